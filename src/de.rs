//! Conversions between generated types and JSON, done by the runtime so that
//! generated code needs no serde derives (those dominate compile time when a
//! crate has thousands of types).
//!
//! Reading is lenient about what these platforms really send: numbers as
//! strings and the reverse, `""` or `null` for absent values, epoch s/ms or
//! Beijing wall times, objects and lists sent as JSON text, unknown fields.

use crate::json::{Json, Members};
use crate::types::{DateTime, Decimal};
use crate::Secret;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::str::FromStr;

/// Why a value could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Path segments from the innermost outwards (reversed when displayed).
    segments: Vec<Segment>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Field(String),
    Index(usize),
}

impl JsonError {
    fn new(message: impl Into<String>) -> Self {
        JsonError {
            segments: Vec::new(),
            message: message.into(),
        }
    }

    fn at(mut self, s: Segment) -> Self {
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
        write!(f, "{}: {}", self.path(), self.message)
    }
}

fn kind(v: &Json<'_>) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

fn unexpected(expected: &str, v: &Json<'_>) -> JsonError {
    let shown = match v {
        Json::String(s) => format!("the string {s:?}"),
        Json::Number(n) => format!("the number {n}"),
        other => kind(other).to_owned(),
    };
    JsonError::new(format!("expected {expected}, found {shown}"))
}

/// What reading a [`FromJson`] type gives: `Ok(None)` means absent.
pub type Decoded<T> = Result<Option<T>, JsonError>;

/// A type read from JSON. `Ok(None)` means absent: `null`, `""`, or no value.
pub trait FromJson: Sized {
    fn from_json(v: &Json<'_>) -> Decoded<Self>;
}

/// A type written as JSON (request params).
pub trait ToJson {
    fn to_json(&self) -> Value;
}

/// The members of the object a struct is read from, with a cursor: generated code reads fields
/// in spec order, which is nearly always the order the platform sends them in, so each lookup
/// usually finds its member where the previous one ended.
#[derive(Debug)]
pub struct Fields<'v> {
    members: Cow<'v, Members<'v>>,
    next: Cell<usize>,
}

impl<'v> Fields<'v> {
    /// The first member named `name` (as [`Json::get`]).
    fn get(&self, name: &str) -> Option<&Json<'v>> {
        let members: &Members<'v> = &self.members;
        let at = self.next.get();
        let i = match members.get(at) {
            Some((k, _)) if k.as_ref() == name => at,
            _ => members.iter().position(|(k, _)| k.as_ref() == name)?,
        };
        self.next.set(i + 1);
        members.get(i).map(|(_, v)| v)
    }
}

/// Reads member `name` of an object.
pub fn field<T: FromJson>(obj: &Fields<'_>, name: &str) -> Decoded<T> {
    match obj.get(name) {
        None => Ok(None),
        Some(v) => T::from_json(v).map_err(|e| e.at(Segment::Field(name.to_owned()))),
    }
}

/// Reads list member `name` of an object; absent is empty.
pub fn list<T: FromJson>(obj: &Fields<'_>, name: &str) -> Result<Vec<T>, JsonError> {
    Ok(field::<Vec<T>>(obj, name)?.unwrap_or_default())
}

/// The object a struct is read from: `None` for `null`/`""`; an object sent as JSON text is parsed.
pub fn object<'v>(v: &'v Json<'_>) -> Result<Option<Fields<'v>>, JsonError> {
    let members = match v {
        Json::Null => return Ok(None),
        Json::Object(m) => Cow::Borrowed(m.as_slice()),
        Json::String(s) => match nonblank(s) {
            None => return Ok(None),
            Some(text) => match Json::parse(text.as_bytes()) {
                Ok(Json::Object(m)) => Cow::Owned(m),
                _ => return Err(unexpected("an object", v)),
            },
        },
        other => return Err(unexpected("an object", other)),
    };
    Ok(Some(Fields {
        members,
        next: Cell::new(0),
    }))
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

/// The text without surrounding whitespace, `None` when nothing is left.
fn nonblank(s: &str) -> Option<&str> {
    // Most values have nothing to trim: check the ends before the Unicode-aware trim.
    let solid = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    if solid(s.as_bytes().first()) && solid(s.as_bytes().last()) {
        return Some(s);
    }
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

impl FromJson for String {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        Ok(match v {
            Json::Null => None,
            Json::String(s) => Some(s.to_string()),
            Json::Number(n) => Some(n.to_string()),
            Json::Bool(b) => Some(b.to_string()),
            // An object where text was documented: keep its JSON text rather than fail.
            other => Some(other.to_string()),
        })
    }
}

impl FromJson for i64 {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        let integral = |f: f64| (f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64);
        match v {
            Json::Null => Ok(None),
            Json::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().and_then(integral))
                .map(Some)
                .ok_or_else(|| unexpected("an integer", v)),
            Json::String(s) => match nonblank(s) {
                None => Ok(None),
                Some(t) => t
                    .parse::<i64>()
                    .ok()
                    .or_else(|| t.parse::<f64>().ok().and_then(integral))
                    .map(Some)
                    .ok_or_else(|| unexpected("an integer", v)),
            },
            Json::Bool(b) => Ok(Some(i64::from(*b))),
            other => Err(unexpected("an integer", other)),
        }
    }
}

impl FromJson for f64 {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        match v {
            Json::Null => Ok(None),
            Json::Number(n) => Ok(n.as_f64()),
            Json::String(s) => match nonblank(s) {
                None => Ok(None),
                Some(t) => t
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| unexpected("a number", v)),
            },
            other => Err(unexpected("a number", other)),
        }
    }
}

impl FromJson for bool {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        match v {
            Json::Null => Ok(None),
            Json::Bool(b) => Ok(Some(*b)),
            Json::Number(n) => Ok(Some(n.as_f64() != Some(0.0))),
            Json::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" | "y" | "yes" => Ok(Some(true)),
                "false" | "0" | "n" | "no" => Ok(Some(false)),
                _ => Err(unexpected("a boolean", v)),
            },
            other => Err(unexpected("a boolean", other)),
        }
    }
}

impl FromJson for Decimal {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        let parse = |s: &str| {
            Decimal::from_str(s)
                .or_else(|_| Decimal::from_scientific(s))
                .ok()
        };
        match v {
            Json::Null => Ok(None),
            // A JSON number's text is what the platform wrote: parse the text, never an f64.
            Json::Number(n) => parse(&n.to_string())
                .map(Some)
                .ok_or_else(|| unexpected("a decimal", v)),
            Json::String(s) => match nonblank(s) {
                None => Ok(None),
                Some(t) => parse(t).map(Some).ok_or_else(|| unexpected("a decimal", v)),
            },
            other => Err(unexpected("a decimal", other)),
        }
    }
}

/// Epoch seconds (Douyin, Doudian) or milliseconds (Youzan, 1688): values below
/// 10^11 are seconds (10^11 s is the year 5138; 10^11 ms is 1973).
fn epoch_guess(v: i64) -> DateTime {
    if v.abs() < 100_000_000_000 {
        DateTime::from_epoch_millis(v.saturating_mul(1000))
    } else {
        DateTime::from_epoch_millis(v)
    }
}

impl FromJson for DateTime {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        let expected = "a time (epoch s/ms or `yyyy-MM-dd HH:mm:ss`, UTC+8)";
        match v {
            Json::Null => Ok(None),
            Json::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .map(|i| Some(epoch_guess(i)))
                .ok_or_else(|| unexpected(expected, v)),
            Json::String(s) => match nonblank(s) {
                None => Ok(None),
                Some(s) => s
                    .parse::<i64>()
                    .ok()
                    .map(epoch_guess)
                    .or_else(|| DateTime::parse_beijing(s))
                    .map(Some)
                    .ok_or_else(|| unexpected(expected, v)),
            },
            other => Err(unexpected(expected, other)),
        }
    }
}

impl FromJson for Value {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        Ok((!v.is_null()).then(|| v.to_value()))
    }
}

impl FromJson for Secret {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        Ok(String::from_json(v)?.map(Secret::new))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Json<'_>) -> Decoded<Self> {
        match v {
            Json::Null => Ok(None),
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(x) = T::from_json(item).map_err(|e| e.at(Segment::Index(i)))? {
                        out.push(x);
                    }
                }
                Ok(Some(out))
            }
            // A list sent as JSON text.
            Json::String(s) => match nonblank(s) {
                None => Ok(None),
                Some(text) => match Json::parse(text.as_bytes()) {
                    Ok(inner @ Json::Array(_)) => Self::from_json(&inner),
                    _ => Err(unexpected("a list", v)),
                },
            },
            // Taobao wraps lists in an object: `{"order": [...]}`. Take the single list inside.
            Json::Object(m) => {
                let mut lists = m.iter().filter(|(_, v)| v.is_array());
                match (lists.next(), lists.next()) {
                    (Some((k, inner)), None) => {
                        Self::from_json(inner).map_err(|e| e.at(Segment::Field(k.to_string())))
                    }
                    _ => Err(unexpected("a list", v)),
                }
            }
            other => Err(unexpected("a list", other)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read<T: FromJson>(v: Value) -> Option<T> {
        T::from_json(&json_of(&v)).unwrap()
    }

    fn json_of(v: &Value) -> Json<'static> {
        Json::parse(v.to_string().leak().as_bytes()).unwrap()
    }

    #[test]
    fn numbers_and_strings_both_ways() {
        assert_eq!(read::<i64>(json!("42")), Some(42));
        assert_eq!(read::<i64>(json!(42)), Some(42));
        assert_eq!(read::<i64>(json!("")), None);
        assert_eq!(read::<i64>(json!(null)), None);
        assert_eq!(read::<String>(json!(42)), Some("42".into()));
        assert_eq!(read::<bool>(json!("true")), Some(true));
        assert_eq!(read::<bool>(json!(0)), Some(false));
        assert!(i64::from_json(&json_of(&json!("abc"))).is_err());
    }

    #[test]
    fn money_is_exact() {
        assert_eq!(
            read::<Decimal>(json!("100.10")).unwrap().to_string(),
            "100.10"
        );
        assert_eq!(read::<Decimal>(json!(0.1)).unwrap().to_string(), "0.1");
        assert_eq!(read::<Decimal>(json!(12)).unwrap().to_string(), "12");
    }

    #[test]
    fn times() {
        let t = read::<DateTime>(json!("2016-01-01 12:00:00")).unwrap();
        assert_eq!(t.epoch_millis(), 1_451_620_800_000);
        assert_eq!(read::<DateTime>(json!(1_451_620_800_000_i64)), Some(t));
        assert_eq!(read::<DateTime>(json!(1_451_620_800)), Some(t));
    }

    #[test]
    fn lists() {
        assert_eq!(read::<Vec<i64>>(json!(["1", 2, null])), Some(vec![1, 2]));
        assert_eq!(read::<Vec<i64>>(json!("")), None);
        assert_eq!(read::<Vec<i64>>(json!({"order": [1]})), Some(vec![1]));
        assert_eq!(read::<Vec<i64>>(json!("[3]")), Some(vec![3]));
    }

    #[test]
    fn errors_carry_the_path() {
        let obj = json!({"orders": {"order": [{"price": "1"}, {"price": "x"}]}});
        #[derive(Debug)]
        struct Order(#[allow(dead_code)] Option<Decimal>);
        impl FromJson for Order {
            fn from_json(v: &Json<'_>) -> Decoded<Self> {
                let Some(o) = object(v)? else { return Ok(None) };
                Ok(Some(Order(field(&o, "price")?)))
            }
        }
        let json = json_of(&obj);
        let fields = object(&json).unwrap().unwrap();
        let e = list::<Order>(&fields, "orders").unwrap_err();
        assert_eq!(e.path(), "orders.order[1].price");
        assert!(e.message.contains("\"x\""), "{}", e.message);
    }
}
