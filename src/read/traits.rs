//! What the reader reads into: the sinks a generated type implements, and the scalar as the
//! parser met it.

use crate::write::JsonError;
use serde_json::{Number, Value};
use std::str::FromStr;

/// Where the typed data sits in a successful body: the protocol says
/// ([`crate::Protocol::interpret`]), the reader reads it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataAt {
    Whole,
    Member(String),
}

/// What reading a [`FromJson`] type gives: `Ok(None)` means absent.
pub type Decoded<T> = Result<Option<T>, JsonError>;

/// A JSON string, number, boolean or null, as the parser met it.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    /// A number, as written (so money keeps every digit).
    Number(&'a str),
    Str(&'a str),
}

impl Scalar<'_> {
    pub(super) fn describe(self) -> String {
        match self {
            Scalar::Null => "null".into(),
            Scalar::Bool(_) => "a boolean".into(),
            Scalar::Number(n) => format!("the number {n}"),
            Scalar::Str(s) => format!("the string {s:?}"),
        }
    }

    pub(super) fn to_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            // Beyond f64 (`1e400`): no JSON number can hold it.
            Scalar::Number(n) => Number::from_str(n).map_or(Value::Null, Value::Number),
            Scalar::Str(s) => Value::String(s.to_owned()),
        }
    }
}

pub(super) fn found(expected: &str, what: &str) -> JsonError {
    JsonError::new(format!("expected {expected}, found {what}"))
}

/// Where one JSON value goes. Implemented by the runtime for `Option<T>` and `Vec<T>` of every
/// [`FromJson`] type; generated code only names fields as `&mut dyn Sink`.
pub trait Sink {
    fn scalar(&mut self, v: Scalar<'_>) -> Result<(), JsonError>;
    /// An object begins.
    fn begin_object(&mut self) -> Result<(), JsonError>;
    /// Where member `key` of the object goes; `None` skips it.
    fn member(&mut self, key: &str) -> Option<&mut dyn Sink>;
    /// An array begins: where its elements go.
    fn array(&mut self) -> Result<Box<dyn Elements + '_>, JsonError>;
    /// A list met as an object is a wrapper (Taobao's `{"order": [...]}`, or `{"order": {...}}`
    /// for a single element): called once per member of that object (after
    /// [`Sink::begin_object`]), it gives where that member's elements go. `None` (the default)
    /// reads the object's members with [`Sink::member`].
    fn wrapped(&mut self) -> Option<Box<dyn Elements + '_>> {
        None
    }
    /// Takes objects and arrays as a whole tree instead (raw JSON fields, text fields).
    fn wants_tree(&self) -> bool {
        false
    }
    fn tree(&mut self, _v: Value) -> Result<(), JsonError> {
        Ok(())
    }
}

/// The elements of one array being read.
pub trait Elements {
    fn element(&mut self) -> &mut dyn Sink;
    /// The element just read is complete.
    fn done(&mut self);
}

/// A generated response struct: the field each wire name goes to.
pub trait Object: Default {
    fn member(&mut self, key: &str) -> Option<&mut dyn Sink>;
}

/// A type read from JSON: what a scalar means for it, and whether objects and arrays do.
pub trait FromJson: Sized {
    /// For errors: `an integer`, `an object`.
    const EXPECTED: &'static str;
    /// Reads a scalar; `Ok(None)` means absent (`null`, `""`).
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self>;
    /// An object begins where a value of this type goes.
    fn begin_object(slot: &mut Option<Self>) -> Result<(), JsonError> {
        let _ = slot;
        Err(found(Self::EXPECTED, "an object"))
    }
    fn member<'s>(slot: &'s mut Option<Self>, key: &str) -> Option<&'s mut dyn Sink> {
        let _ = (slot, key);
        None
    }
    fn array(slot: &mut Option<Self>) -> Result<Box<dyn Elements + '_>, JsonError> {
        let _ = slot;
        Err(found(Self::EXPECTED, "a list"))
    }
    fn wrapped(slot: &mut Option<Self>) -> Option<Box<dyn Elements + '_>> {
        let _ = slot;
        None
    }
    /// Types that read objects and arrays as a tree say so here and read it in `from_tree`.
    const TREE: bool = false;
    fn from_tree(v: Value) -> Decoded<Self> {
        let _ = v;
        Err(found(Self::EXPECTED, "an object"))
    }
}
