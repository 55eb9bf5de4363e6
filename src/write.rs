//! Writing request params as JSON (done by the runtime so that generated code needs no serde
//! derives, which dominate compile time when a crate has thousands of types), and the error
//! type of reading (`read/`).

use crate::types::{DateTime, Decimal};
use crate::Secret;
use serde_json::{Map, Value};
use std::fmt;

/// Why a value could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Path segments from the innermost outwards (reversed when displayed).
    segments: Vec<Segment>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Field(String),
    Index(usize),
}

impl JsonError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        JsonError {
            segments: Vec::new(),
            message: message.into(),
        }
    }

    /// The path relative to member `key` of the root, when the error is inside it.
    pub(crate) fn within(mut self, key: &str) -> Self {
        if matches!(self.segments.last(), Some(Segment::Field(k)) if k == key) {
            self.segments.pop();
        }
        self
    }

    pub(crate) fn at(mut self, s: Segment) -> Self {
        self.segments.push(s);
        self
    }

    /// `data.orders[3].price`.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for s in self.segments.iter().rev() {
            match s {
                Segment::Field(f) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(f);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path() {
            path if path.is_empty() => f.write_str(&self.message),
            path => write!(f, "{path}: {}", self.message),
        }
    }
}

/// A type written as JSON (request params).
pub trait ToJson {
    fn to_json(&self) -> Value;
}

/// Adds member `name` (a required request field).
pub fn put<T: ToJson + ?Sized>(obj: &mut Map<String, Value>, name: &str, value: &T) {
    obj.insert(name.to_owned(), value.to_json());
}

/// Adds member `name` if set.
pub fn put_opt<T: ToJson>(obj: &mut Map<String, Value>, name: &str, value: &Option<T>) {
    if let Some(v) = value {
        put(obj, name, v);
    }
}

/// The JSON of an enum value: its wire text, or the number it spells for an `int`/`long` enum.
pub fn enum_json(text: &str, numeric: bool) -> Value {
    match text.parse::<i64>() {
        Ok(n) if numeric => Value::from(n),
        _ => Value::String(text.to_owned()),
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}
impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_owned())
    }
}
impl ToJson for i64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}
impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}
impl ToJson for f64 {
    fn to_json(&self) -> Value {
        serde_json::Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
}
impl ToJson for Decimal {
    /// Money travels as text: exact on every platform.
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}
impl ToJson for DateTime {
    fn to_json(&self) -> Value {
        Value::String(self.to_beijing_string())
    }
}
impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}
impl ToJson for Secret {
    fn to_json(&self) -> Value {
        Value::String(self.expose().to_owned())
    }
}
impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}
