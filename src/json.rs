//! A JSON document: what protocols read envelopes from (error codes, the `*_response`
//! wrapper), and how `json` fields and untyped calls (`Client::execute`) see a body. Typed data
//! does not go through it (`read.rs`).
//!
//! Unlike `serde_json::Value`, it keeps object members in a `Vec`, in the order sent.

use crate::de::JsonError;
use serde_json::{Number, Value};
use std::fmt;

/// One JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    /// Members in the order sent.
    Object(Vec<(String, Json)>),
}

/// The members of a JSON object.
pub type Members = [(String, Json)];

impl Json {
    /// Parses a whole document, with the parser and nesting limit of typed reading
    /// (`read.rs`): no input can overflow the stack.
    pub fn parse(bytes: &[u8]) -> Result<Json, JsonError> {
        crate::read::tree(bytes)
    }

    /// Member `key` of an object: the last one, should a key be sent twice (JSON leaves that
    /// case open), as in typed data and `Reply::raw` (a `serde_json::Value`).
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// A JSON pointer (RFC 6901) lookup, e.g. `/extra/logid` or `/items/0`.
    pub fn pointer(&self, pointer: &str) -> Option<&Json> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut at = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            at = match at {
                Json::Object(_) => at.get(&token)?,
                Json::Array(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(at)
    }

    pub fn as_object(&self) -> Option<&Members> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// An integer number (not a string of digits: readers that accept those are in `FromJson`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Json::Number(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    /// An owned `serde_json::Value` of the same JSON.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// `json["key"]`: the member, or `Null` when absent or not an object (as `serde_json::Value` does).
impl std::ops::Index<&str> for Json {
    type Output = Json;
    fn index(&self, key: &str) -> &Json {
        static NULL: Json = Json::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

/// Compact JSON text.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_value(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_serde_json_parses() {
        let text = br#"{"a": "plain", "b\n": "esc\"aped", "n": [1, -2, 3.5, null, true]}"#;
        let j = Json::parse(text).unwrap();
        assert_eq!(j.get("a").and_then(Json::as_str), Some("plain"));
        assert_eq!(j.get("b\n").and_then(Json::as_str), Some("esc\"aped"));
        assert_eq!(
            j.pointer("/n/2").map(ToString::to_string).as_deref(),
            Some("3.5")
        );
        assert_eq!(j.to_value(), serde_json::from_slice::<Value>(text).unwrap());
    }

    #[test]
    fn the_last_of_duplicate_keys_counts_as_in_serde_json() {
        let text = br#"{"k": 1, "k": {"x": 2, "x": 3}}"#;
        let j = Json::parse(text).unwrap();
        assert_eq!(j.pointer("/k/x").and_then(Json::as_i64), Some(3));
        let v: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(j.to_value(), v);
        assert_eq!(j.get("k").map(Json::to_value), v.get("k").cloned());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(Json::parse(deep.as_bytes()).is_err());
    }
}
