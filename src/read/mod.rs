//! Reading typed responses straight from the body's bytes, in one pass.
//!
//! Generated structs implement [`Object`] (one `match` from wire name to field); the runtime
//! drives jiter's pull parser and hands each value to the field it belongs to. No tree is built
//! for the data, and none of this is generic over the generated types beyond a vtable per field
//! type, so 5,000 APIs do not mean 5,000 copies of a deserializer (docs/decisions.md).
//!
//! Reading is lenient about what these platforms really send: numbers as strings and the
//! reverse, `""` or `null` for absent values, epoch s/ms or Beijing wall times, objects and
//! lists sent as JSON text, lists wrapped in an object (`{"order": [...]}`), unknown fields.
//!
//! The same pass can capture the envelope around the data (see [`Capture`]), so a protocol can
//! look for error codes without a second parse.

mod driver;
mod traits;

use traits::found;
pub use traits::*;

use driver::read_text;
#[cfg(test)]
use driver::{read, CAPTURED_STRING};
pub(crate) use driver::{read_data, read_value, tree, Capture};

use crate::types::{DateTime, Decimal};
use crate::write::JsonError;
use crate::Secret;
use serde_json::Value;
use std::str::FromStr;

/// A member sent twice counts as its last occurrence, as in `Reply::raw` and serde_json: each
/// value replaces what an earlier one left, `null` included.
impl<T: FromJson> Sink for Option<T> {
    fn scalar(&mut self, v: Scalar<'_>) -> Result<(), JsonError> {
        *self = T::from_scalar(v)?;
        Ok(())
    }
    fn begin_object(&mut self) -> Result<(), JsonError> {
        T::begin_object(self)
    }
    fn member(&mut self, key: &str) -> Option<&mut dyn Sink> {
        T::member(self, key)
    }
    fn array(&mut self) -> Result<Box<dyn Elements + '_>, JsonError> {
        T::array(self)
    }
    fn wrapped(&mut self) -> Option<Box<dyn Elements + '_>> {
        T::wrapped(self)
    }
    fn wants_tree(&self) -> bool {
        T::TREE
    }
    fn tree(&mut self, v: Value) -> Result<(), JsonError> {
        *self = T::from_tree(v)?;
        Ok(())
    }
}

impl<T: Object> FromJson for T {
    const EXPECTED: &'static str = "an object";
    /// `null` and `""` are absent; other text is read as a JSON object.
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        match v {
            Scalar::Null => Ok(None),
            Scalar::Str(s) => match nonblank(s) {
                None => Ok(None),
                Some(text) => {
                    let mut slot = None;
                    read_text(text, &mut slot).map_err(|_| found("an object", &v.describe()))?;
                    Ok(slot)
                }
            },
            other => Err(found("an object", &other.describe())),
        }
    }
    fn begin_object(slot: &mut Option<Self>) -> Result<(), JsonError> {
        *slot = Some(T::default());
        Ok(())
    }
    fn member<'s>(slot: &'s mut Option<Self>, key: &str) -> Option<&'s mut dyn Sink> {
        slot.as_mut()?.member(key)
    }
}

/// A list: elements that read as absent are left out; `null` and `""` are an empty list; text
/// is read as a JSON list; an object is a wrapper whose member holds the list (Taobao sends
/// `{"order": [...]}`, and `{"order": {...}}` when there is one element).
impl<T: FromJson> Sink for Vec<T> {
    fn scalar(&mut self, v: Scalar<'_>) -> Result<(), JsonError> {
        self.clear();
        match v {
            Scalar::Null => Ok(()),
            Scalar::Str(s) => match nonblank(s) {
                None => Ok(()),
                Some(text) => read_text(text, self).map_err(|_| found("a list", &v.describe())),
            },
            other => Err(found("a list", &other.describe())),
        }
    }
    fn begin_object(&mut self) -> Result<(), JsonError> {
        self.clear();
        Ok(())
    }
    fn member(&mut self, _key: &str) -> Option<&mut dyn Sink> {
        None
    }
    fn array(&mut self) -> Result<Box<dyn Elements + '_>, JsonError> {
        self.clear();
        Ok(Box::new(ListElements {
            list: self,
            next: None,
        }))
    }
    /// Each member of the wrapper replaces what an earlier one left (a member sent twice counts
    /// as its last occurrence).
    fn wrapped(&mut self) -> Option<Box<dyn Elements + '_>> {
        self.clear();
        Some(Box::new(ListElements {
            list: self,
            next: None,
        }))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    const EXPECTED: &'static str = "a list";
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        let mut list = Vec::new();
        Sink::scalar(&mut list, v)?;
        Ok((!list.is_empty()).then_some(list))
    }
    fn begin_object(slot: &mut Option<Self>) -> Result<(), JsonError> {
        *slot = Some(Vec::new());
        Ok(())
    }
    fn array(slot: &mut Option<Self>) -> Result<Box<dyn Elements + '_>, JsonError> {
        Sink::array(slot.get_or_insert_with(Vec::new))
    }
    fn wrapped(slot: &mut Option<Self>) -> Option<Box<dyn Elements + '_>> {
        Sink::wrapped(slot.get_or_insert_with(Vec::new))
    }
}

struct ListElements<'v, T> {
    list: &'v mut Vec<T>,
    next: Option<T>,
}

impl<T: FromJson> Elements for ListElements<'_, T> {
    fn element(&mut self) -> &mut dyn Sink {
        &mut self.next
    }
    fn done(&mut self) {
        if let Some(element) = self.next.take() {
            self.list.push(element);
        }
    }
}

/// The text without surrounding whitespace, `None` when nothing is left.
#[inline]
pub(crate) fn nonblank(s: &str) -> Option<&str> {
    // Most values have nothing to trim: check the ends before the Unicode-aware trim.
    let solid = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    if solid(s.as_bytes().first()) && solid(s.as_bytes().last()) {
        return Some(s);
    }
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// `Deserialize` of a generated type (feature `serde` of the generated crates): the value as
/// JSON, read by the same lenient reader as an answer, so that what [`serialize`] wrote, or an
/// answer's raw JSON, reads back the same.
pub fn deserialize<'de, T: FromJson, D: serde::Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    use serde::de::Error as _;
    let value = <Value as serde::Deserialize>::deserialize(d)?;
    let bytes = serde_json::to_vec(&value).map_err(D::Error::custom)?;
    let mut slot: Option<T> = None;
    read_data(&bytes, &DataAt::Whole, &mut slot, None).map_err(D::Error::custom)?;
    slot.ok_or_else(|| D::Error::custom(format!("expected {}, found nothing", T::EXPECTED)))
}

/// `Serialize` of a generated type: its JSON, with the wire names.
pub fn serialize<T: crate::ToJson + ?Sized, S: serde::Serializer>(
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&value.to_json(), s)
}

/// The text an enum value arrived as: a string, a number as written, `true`/`false`; `None`
/// for `null` and `""`, as for any value.
pub fn enum_text(v: Scalar<'_>) -> Option<&str> {
    match v {
        Scalar::Null => None,
        Scalar::Str(s) => nonblank(s),
        Scalar::Number(n) => Some(n),
        Scalar::Bool(b) => Some(if b { "true" } else { "false" }),
    }
}

impl FromJson for String {
    const EXPECTED: &'static str = "text";
    #[inline]
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        Ok(match v {
            Scalar::Null => None,
            Scalar::Str(s) => Some(s.to_owned()),
            Scalar::Number(n) => Some(n.to_owned()),
            Scalar::Bool(b) => Some(b.to_string()),
        })
    }
    // An object or list where text was documented: keep its JSON text rather than fail.
    const TREE: bool = true;
    fn from_tree(v: Value) -> Decoded<Self> {
        Ok(Some(v.to_string()))
    }
}

impl FromJson for Secret {
    const EXPECTED: &'static str = "text";
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        Ok(String::from_scalar(v)?.map(Secret::new))
    }
}

/// An integer written as such or as a whole float (`12.0`, `1e3`).
#[inline]
fn integer(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| {
        let f = text.parse::<f64>().ok()?;
        (f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
    })
}

impl FromJson for i64 {
    const EXPECTED: &'static str = "an integer";
    #[inline]
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        let bad = || found(Self::EXPECTED, &v.describe());
        match v {
            Scalar::Null => Ok(None),
            Scalar::Number(n) => integer(n).map(Some).ok_or_else(bad),
            Scalar::Str(s) => match nonblank(s) {
                None => Ok(None),
                Some(t) => integer(t).map(Some).ok_or_else(bad),
            },
            Scalar::Bool(b) => Ok(Some(i64::from(b))),
        }
    }
}

impl FromJson for f64 {
    const EXPECTED: &'static str = "a number";
    #[inline]
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        // Finite only: `1e400` overflows to infinity, and `"NaN"` parses; neither is a value.
        let finite = |t: &str| {
            t.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| found(Self::EXPECTED, &v.describe()))
        };
        match v {
            Scalar::Null => Ok(None),
            Scalar::Number(n) => finite(n),
            Scalar::Str(s) => match nonblank(s) {
                None => Ok(None),
                Some(t) => finite(t),
            },
            Scalar::Bool(_) => Err(found(Self::EXPECTED, &v.describe())),
        }
    }
}

impl FromJson for bool {
    const EXPECTED: &'static str = "a boolean";
    #[inline]
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        match v {
            Scalar::Null => Ok(None),
            Scalar::Bool(b) => Ok(Some(b)),
            Scalar::Number(n) => Ok(Some(n.parse::<f64>().is_ok_and(|f| f != 0.0))),
            Scalar::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" | "y" | "yes" => Ok(Some(true)),
                "false" | "0" | "n" | "no" => Ok(Some(false)),
                _ => Err(found(Self::EXPECTED, &v.describe())),
            },
        }
    }
}

impl FromJson for Decimal {
    const EXPECTED: &'static str = "a decimal";
    #[inline]
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        let parse = |s: &str| {
            Decimal::from_str(s)
                .or_else(|_| Decimal::from_scientific(s))
                .ok()
        };
        let bad = || found(Self::EXPECTED, &v.describe());
        match v {
            Scalar::Null => Ok(None),
            // A JSON number's text is what the platform wrote: parse the text, never an f64.
            Scalar::Number(n) => parse(n).map(Some).ok_or_else(bad),
            Scalar::Str(s) => match nonblank(s) {
                None => Ok(None),
                Some(t) => parse(t).map(Some).ok_or_else(bad),
            },
            Scalar::Bool(_) => Err(bad()),
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
    const EXPECTED: &'static str = "a time (epoch s/ms or `yyyy-MM-dd HH:mm:ss`, UTC+8)";
    #[inline]
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        let bad = || found(Self::EXPECTED, &v.describe());
        match v {
            Scalar::Null => Ok(None),
            Scalar::Number(n) => n
                .parse::<i64>()
                .ok()
                .or_else(|| n.parse::<f64>().ok().map(|f| f as i64))
                .map(|i| Some(epoch_guess(i)))
                .ok_or_else(bad),
            Scalar::Str(s) => match nonblank(s) {
                None => Ok(None),
                Some(s) => s
                    .parse::<i64>()
                    .ok()
                    .map(epoch_guess)
                    .or_else(|| DateTime::parse_beijing(s))
                    .map(Some)
                    .ok_or_else(bad),
            },
            Scalar::Bool(_) => Err(bad()),
        }
    }
}

/// A `json` field: any JSON, kept as a `Value`.
impl FromJson for Value {
    const EXPECTED: &'static str = "JSON";
    fn from_scalar(v: Scalar<'_>) -> Decoded<Self> {
        Ok(match v {
            Scalar::Null => None,
            other => Some(other.to_value()),
        })
    }
    const TREE: bool = true;
    fn from_tree(v: Value) -> Decoded<Self> {
        Ok(Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_as<T: FromJson>(v: Value) -> Option<T> {
        let mut slot = None;
        read(v.to_string().as_bytes(), Some(&mut slot), None).unwrap();
        slot
    }

    #[test]
    fn numbers_and_strings_both_ways() {
        assert_eq!(read_as::<i64>(json!("42")), Some(42));
        assert_eq!(read_as::<i64>(json!(42)), Some(42));
        assert_eq!(read_as::<i64>(json!("")), None);
        assert_eq!(read_as::<i64>(json!(null)), None);
        assert_eq!(read_as::<String>(json!(42)), Some("42".into()));
        assert_eq!(
            read_as::<String>(json!({"a": [1]})),
            Some(r#"{"a":[1]}"#.into())
        );
        assert_eq!(read_as::<bool>(json!("true")), Some(true));
        assert_eq!(read_as::<bool>(json!(0)), Some(false));
        let mut slot: Option<i64> = None;
        assert!(read(br#""abc""#, Some(&mut slot), None).is_err());
        assert_eq!(read_as::<f64>(json!("2.5")), Some(2.5));
        for not_a_value in [&b"1e400"[..], b"\"NaN\"", b"\"-inf\""] {
            let mut slot: Option<f64> = None;
            assert!(read(not_a_value, Some(&mut slot), None).is_err());
        }
    }

    #[test]
    fn money_is_exact() {
        assert_eq!(
            read_as::<Decimal>(json!("100.10")).unwrap().to_string(),
            "100.10"
        );
        assert_eq!(read_as::<Decimal>(json!(0.1)).unwrap().to_string(), "0.1");
        assert_eq!(read_as::<Decimal>(json!(12)).unwrap().to_string(), "12");
        // A JSON number is read from its text: no digit is lost to an f64 on the way.
        let mut price: Option<Decimal> = None;
        read(b"12345678901234567.89", Some(&mut price), None).unwrap();
        assert_eq!(price.unwrap().to_string(), "12345678901234567.89");
        let mut text: Option<String> = None;
        read(b"1.50", Some(&mut text), None).unwrap();
        assert_eq!(text.as_deref(), Some("1.50"));
    }

    #[test]
    fn times() {
        let t = read_as::<DateTime>(json!("2016-01-01 12:00:00")).unwrap();
        assert_eq!(t.epoch_millis(), 1_451_620_800_000);
        assert_eq!(read_as::<DateTime>(json!(1_451_620_800_000_i64)), Some(t));
        assert_eq!(read_as::<DateTime>(json!(1_451_620_800)), Some(t));
    }

    #[test]
    fn lists() {
        assert_eq!(read_as::<Vec<i64>>(json!(["1", 2, null])), Some(vec![1, 2]));
        assert_eq!(read_as::<Vec<i64>>(json!("")), None);
        assert_eq!(read_as::<Vec<i64>>(json!({"order": [1]})), Some(vec![1]));
        // One element may come as itself rather than in a list (Taobao `{"number": 7}`).
        assert_eq!(read_as::<Vec<i64>>(json!({"number": 7})), Some(vec![7]));
        assert_eq!(read_as::<Vec<i64>>(json!({})), Some(vec![]));
        assert_eq!(
            read_as::<Vec<Vec<i64>>>(json!([{"number": [1, 2]}, [3]])),
            Some(vec![vec![1, 2], vec![3]])
        );
        assert_eq!(read_as::<Vec<i64>>(json!("[3]")), Some(vec![3]));
        assert_eq!(
            read_as::<Value>(json!([1, {"a": null}])),
            Some(json!([1, {"a": null}]))
        );
    }

    #[derive(Debug, Default, PartialEq)]
    struct Order {
        price: Option<Decimal>,
        tags: Vec<String>,
    }

    impl Object for Order {
        fn member(&mut self, key: &str) -> Option<&mut dyn Sink> {
            let field: &mut dyn Sink = match key {
                "price" => &mut self.price,
                "tags" => &mut self.tags,
                _ => return None,
            };
            Some(field)
        }
    }

    #[derive(Debug, Default, PartialEq)]
    struct Trade {
        orders: Vec<Order>,
    }

    impl Object for Trade {
        fn member(&mut self, key: &str) -> Option<&mut dyn Sink> {
            let field: &mut dyn Sink = match key {
                "orders" => &mut self.orders,
                _ => return None,
            };
            Some(field)
        }
    }

    #[test]
    fn a_member_sent_twice_counts_as_its_last_occurrence() {
        let body = br#"{"orders": [{"price": "1", "price": "9", "tags": ["a"], "tags": ["b"]}],
                        "orders": [{"price": "2", "tags": ["c"], "price": null}]}"#;
        let mut trade: Option<Trade> = None;
        read(body, Some(&mut trade), None).unwrap();
        let orders = trade.unwrap().orders;
        assert_eq!(
            orders,
            vec![Order {
                price: None,
                tags: vec!["c".into()]
            }]
        );
        // The same document kept as JSON agrees, as serde_json does.
        let tree = tree(body).unwrap();
        assert_eq!(
            tree.pointer("/orders/0/tags/0").and_then(Value::as_str),
            Some("c")
        );
        let value: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(value.pointer("/orders/0/tags/0"), Some(&json!("c")));
    }

    #[test]
    fn objects_nest_and_come_as_text_too() {
        let t = read_as::<Trade>(json!({"orders": {"order": [{"price": "1.5", "x": [1]}, "{\"tags\": [\"a\"]}"]}, "y": 1})).unwrap();
        assert_eq!(t.orders.len(), 2);
        assert_eq!(t.orders[0].price.unwrap().to_string(), "1.5");
        assert_eq!(t.orders[1].tags, vec!["a".to_owned()]);
        // A wrapped list of one element: the element itself, not a list.
        let t =
            read_as::<Trade>(json!({"orders": {"order": {"price": "2", "tags": {"string": "x"}}}}))
                .unwrap();
        assert_eq!(
            t.orders,
            vec![Order {
                price: Some(Decimal::from(2)),
                tags: vec!["x".into()]
            }]
        );
        // The wrapper's member sent twice: the last occurrence counts.
        let t = read_as::<Trade>(json!({"orders": {"order": [{"price": "1"}]}})).unwrap();
        assert_eq!(t.orders.len(), 1);
        let body =
            br#"{"orders": {"order": [{"price": "1"}, {"price": "2"}], "order": {"price": "3"}}}"#;
        let mut trade: Option<Trade> = None;
        read(body, Some(&mut trade), None).unwrap();
        assert_eq!(trade.unwrap().orders[0].price, Some(Decimal::from(3)));
    }

    #[test]
    fn errors_carry_the_path() {
        let mut slot: Option<Trade> = None;
        let body = json!({"orders": {"order": [{"price": "1"}, {"price": "x"}]}}).to_string();
        let e = read(body.as_bytes(), Some(&mut slot), None).unwrap_err();
        assert_eq!(e.path(), "orders.order[1].price");
        assert!(e.message.contains("\"x\""), "{}", e.message);
        let e = read(br#"{"orders": [{"price": 1} "#, Some(&mut slot), None).unwrap_err();
        assert!(e.path().starts_with("orders"), "{}", e.path());
    }

    #[test]
    fn bad_json_is_an_error_with_its_place() {
        for bad in [
            &b"{\"a\": 1"[..],
            b"{\"a\": 1} x",
            b"{'a': 1}",
            b"[01]",
            b"[NaN]",
            b"[1.]",
            b"{\"a\" 1}",
            b"[1,]",
            b"\"tab\tinside\"",
            b"\"\xff\"",
            b"",
        ] {
            let mut any: Option<Value> = None;
            let e = read(bad, Some(&mut any), None).unwrap_err();
            assert!(e.message.contains("line 1 column"), "{bad:?}: {e}");
            // Read without a tree too, as typed data is.
            let mut list: Option<Vec<i64>> = None;
            assert!(read(bad, Some(&mut list), None).is_err(), "{bad:?}");
            assert!(tree(bad).is_err(), "{bad:?}");
        }
        let e = tree(b"{\n  \"a\": 1,\n  \"b\": x\n}").unwrap_err();
        assert!(e.message.ends_with("line 3 column 8"), "{e}");
    }

    /// `body`'s member `data` read into a `T`, and the envelope captured as protocols ask.
    fn with_envelope<T: FromJson>(body: &[u8]) -> (Option<T>, Value) {
        let mut data: Option<T> = None;
        let mut envelope = Value::Null;
        let capture = Capture {
            into: &mut envelope,
            depth: 2,
        };
        read_data(
            body,
            &DataAt::Member("data".into()),
            &mut data,
            Some(capture),
        )
        .unwrap();
        (data, envelope)
    }

    #[test]
    fn the_last_of_duplicate_keys_counts_in_trees_and_envelopes() {
        let text = br#"{"k": 1, "k": {"x": 2, "x": 3}, "data": {"code": 1, "code": 0}}"#;
        let expected: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(tree(text).unwrap(), expected);
        let (data, envelope) = with_envelope::<Value>(text);
        assert_eq!(envelope.pointer("/k/x"), Some(&json!(3)));
        assert_eq!(envelope.pointer("/data/code"), Some(&json!(0)));
        assert_eq!(data, Some(json!({"code": 0})));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{{\"orders\": {}}}", "[".repeat(100_000));
        let mut slot: Option<Trade> = None;
        assert!(read(deep.as_bytes(), Some(&mut slot), None).is_err());
        let mut value: Option<Value> = None;
        assert!(read(deep.as_bytes(), Some(&mut value), None).is_err());
        // Skipped, not read: the parser's own limit holds.
        let skipped = format!("{{\"other\": {}}}", "[".repeat(100_000));
        assert!(read(skipped.as_bytes(), Some(&mut slot), None).is_err());
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// The tree of any document is what serde_json reads from it, compact or pretty.
        #[test]
        fn trees_agree_with_serde_json(v in any_json()) {
            for text in [v.to_string(), serde_json::to_string_pretty(&v).unwrap()] {
                let expected: Value = serde_json::from_str(&text).unwrap();
                proptest::prop_assert_eq!(tree(text.as_bytes()).unwrap(), expected);
            }
        }

        /// Any bytes: an answer or an error, never a panic.
        #[test]
        fn no_bytes_panic_the_reader(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let mut slot: Option<Trade> = None;
            let _ = read(&bytes, Some(&mut slot), None);
            let _ = tree(&bytes);
        }
    }

    /// Inside the data, what the data does not read is captured by the levels too, and a long
    /// string is cut: a large member the data skips is not copied.
    #[test]
    fn an_unread_member_inside_the_data_is_not_copied_into_the_envelope() {
        let blob = "x".repeat(1 << 20);
        let body = format!(
            r#"{{"data": {{"error_code": 0, "blob": "{blob}", "deep": {{"x": {{"y": 1}}}}}}, "msg": "{blob}"}}"#
        );
        let (_, envelope) = with_envelope::<Trade>(body.as_bytes());
        assert_eq!(envelope.pointer("/data/error_code"), Some(&json!(0)));
        let cut = |p: &str| envelope.pointer(p).and_then(Value::as_str).map(str::len);
        assert_eq!(cut("/data/blob"), Some(CAPTURED_STRING));
        assert_eq!(cut("/msg"), Some(CAPTURED_STRING));
        assert_eq!(envelope.pointer("/data/deep"), Some(&json!({})));
    }

    #[test]
    fn the_envelope_is_captured_around_the_data() {
        let body = br#"{"data": {"error_code": 0, "orders": [{"price": "2"}], "extra": {"deep": 1}}, "extra": {"logid": "x", "n": [1]}}"#;
        let (data, envelope) = with_envelope::<Trade>(body);
        assert_eq!(data.unwrap().orders.len(), 1);
        assert_eq!(
            envelope
                .pointer("/data/error_code")
                .map(ToString::to_string)
                .as_deref(),
            Some("0")
        );
        assert_eq!(
            envelope
                .pointer("/extra/n/0")
                .map(ToString::to_string)
                .as_deref(),
            Some("1")
        );
        assert!(envelope
            .pointer("/data/orders")
            .is_some_and(Value::is_array));
    }
}
