//! A JSON document borrowed from the bytes of an answer: what protocols read envelopes from
//! (error codes, the `*_response` wrapper), and how `json` fields and untyped calls
//! (`Client::execute`) see a body. Typed data does not go through it (`read.rs`).
//!
//! Unlike `serde_json::Value`, it borrows strings without escapes from the body and keeps
//! object members in a `Vec`, in the order sent, with one allocation per object.

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::fmt;

/// One JSON value, borrowing its strings from the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Members in the order sent.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

/// The members of a JSON object.
pub type Members<'a> = [(Cow<'a, str>, Json<'a>)];

impl<'a> Json<'a> {
    /// Parses a whole document (serde_json's parser and its nesting limit: no input can
    /// overflow the stack).
    pub fn parse(bytes: &'a [u8]) -> serde_json::Result<Json<'a>> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let json = Seed(&mut Scratch::new()).deserialize(&mut de)?;
        de.end()?;
        Ok(json)
    }

    /// Member `key` of an object: the first one, should a key be sent twice (JSON leaves that
    /// case open; `serde_json::Value`, and so `Reply::raw`, keeps the last).
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.as_object()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// A JSON pointer (RFC 6901) lookup, e.g. `/extra/logid` or `/items/0`.
    pub fn pointer(&self, pointer: &str) -> Option<&Json<'a>> {
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

    pub fn as_object(&self) -> Option<&Members<'a>> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json<'a>]> {
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

    /// The same JSON, owning its strings.
    pub fn into_owned(self) -> Json<'static> {
        match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(b),
            Json::Number(n) => Json::Number(n),
            Json::String(s) => Json::String(Cow::Owned(s.into_owned())),
            Json::Array(items) => Json::Array(items.into_iter().map(Json::into_owned).collect()),
            Json::Object(members) => Json::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
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
impl<'a> std::ops::Index<&str> for Json<'a> {
    type Output = Json<'a>;
    fn index(&self, key: &str) -> &Json<'a> {
        static NULL: Json<'static> = Json::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

/// Compact JSON text.
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_value(), f)
    }
}

/// Members and items of the objects and arrays still open while parsing. Each finished
/// object or array moves its part out into one allocation of the exact size, instead of
/// growing a `Vec` of its own (several allocations and copies per object).
struct Scratch<'a> {
    members: Vec<(Cow<'a, str>, Json<'a>)>,
    items: Vec<Json<'a>>,
}

impl Scratch<'_> {
    fn new() -> Self {
        // Room for typical answers up front: growing the stacks costs more than the unused space.
        Scratch {
            members: Vec::with_capacity(64),
            items: Vec::with_capacity(32),
        }
    }
}

/// Parses one value, using the shared scratch stacks.
struct Seed<'s, 'a>(&'s mut Scratch<'a>);

impl<'de> DeserializeSeed<'de> for Seed<'_, 'de> {
    type Value = Json<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, 'de> {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        // serde_json never produces a non-finite number; treat one as null like `Value` does.
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let start = self.0.items.len();
        while let Some(item) = seq.next_element_seed(Seed(self.0))? {
            self.0.items.push(item);
        }
        Ok(Json::Array(self.0.items.drain(start..).collect()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let start = self.0.members.len();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value = map.next_value_seed(Seed(self.0))?;
            self.0.members.push((key.0, value));
        }
        Ok(Json::Object(self.0.members.drain(start..).collect()))
    }
}

/// The tree of an object or array whose opening the caller's visitor already met.
pub(crate) fn tree_of_map<'de, A: MapAccess<'de>>(map: A) -> Result<Json<'de>, A::Error> {
    Seed(&mut Scratch::new()).visit_map(map)
}

pub(crate) fn tree_of_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Json<'de>, A::Error> {
    Seed(&mut Scratch::new()).visit_seq(seq)
}

/// An object key, borrowed when it has no escapes.
pub(crate) struct Key<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_strings_and_unescapes_others() {
        let text = br#"{"a": "plain", "b\n": "esc\"aped", "n": [1, -2, 3.5, null, true]}"#;
        let j = Json::parse(text).unwrap();
        assert!(matches!(
            j.get("a"),
            Some(Json::String(Cow::Borrowed("plain")))
        ));
        assert_eq!(j.get("b\n").and_then(Json::as_str), Some("esc\"aped"));
        assert_eq!(
            j.pointer("/n/2").map(ToString::to_string).as_deref(),
            Some("3.5")
        );
        assert_eq!(j.to_value(), serde_json::from_slice::<Value>(text).unwrap());
    }

    #[test]
    fn the_first_of_duplicate_keys_counts() {
        let j = Json::parse(br#"{"k": 1, "k": 2}"#).unwrap();
        assert_eq!(j.get("k").map(ToString::to_string).as_deref(), Some("1"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(Json::parse(deep.as_bytes()).is_err());
    }
}
