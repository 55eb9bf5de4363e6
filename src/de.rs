//! Lenient decoding of what these platforms really send: numbers as strings
//! and the reverse, `""` or `null` for absent values, epoch ms or Beijing
//! wall times, unknown fields (ignored by the generated structs).

use crate::types::{DateTime, Decimal};
use serde::de::{
    self, DeserializeOwned, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

/// A type that can be read leniently: `Ok(None)` for `null`, `""` and (for
/// non-strings) unparsable-but-empty values. Generated structs use the default
/// method, which treats `null` and `""` as absent and otherwise reads the value.
pub trait Lenient: DeserializeOwned {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        d.deserialize_any(Forward::<Self>(PhantomData))
    }
}

/// Deserializes `Option<T>` leniently (serde `deserialize_with`).
pub fn opt<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<Option<T>, D::Error> {
    T::lenient(d)
}

/// Deserializes `Vec<T>` leniently: `null` and `""` are empty; absent items are dropped.
pub fn vec<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(<Vec<T> as Lenient>::lenient(d)?.unwrap_or_default())
}

struct Forward<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for Forward<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        // Some platforms send nested objects as JSON text.
        serde_json::from_str::<T>(v)
            .map(Some)
            .map_err(|_| E::invalid_type(de::Unexpected::Str(v), &self))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Some)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(Some)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(Some)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(Some)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(Some)
    }
}

impl<T: Lenient> Lenient for Vec<T> {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Lenient> Visitor<'de> for V<T> {
            type Value = Option<Vec<T>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.trim().is_empty() {
                    return Ok(None);
                }
                // A list sent as JSON text.
                let value: serde_json::Value = serde_json::from_str(v)
                    .map_err(|_| E::invalid_type(de::Unexpected::Str(v), &self))?;
                <Vec<T> as Lenient>::lenient(value).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Item<T>>()? {
                    if let Some(v) = item.0 {
                        out.push(v);
                    }
                }
                Ok(Some(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                // Taobao wraps lists in an object: `{"order": [...]}`. Take the single list inside.
                let obj = serde_json::Map::<String, serde_json::Value>::deserialize(
                    de::value::MapAccessDeserializer::new(map),
                )?;
                let mut lists = obj.into_iter().filter(|(_, v)| v.is_array());
                match (lists.next(), lists.next()) {
                    (Some((_, v)), None) => {
                        <Vec<T> as Lenient>::lenient(v).map_err(de::Error::custom)
                    }
                    _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
                }
            }
        }
        d.deserialize_any(V::<T>(PhantomData))
    }
}

struct Item<T>(Option<T>);

impl<'de, T: Lenient> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::lenient(d).map(Item)
    }
}

macro_rules! scalar_visitor {
    ($t:ty, $what:literal, |$s:ident| $from_str:expr, $($extra:tt)*) => {
        impl Lenient for $t {
            fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Option<$t>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok(None) }
                    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> { Ok(None) }
                    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                        d.deserialize_any(self)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        let $s = v.trim();
                        if $s.is_empty() { return Ok(None); }
                        match $from_str {
                            Some(x) => Ok(Some(x)),
                            None => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                        }
                    }
                    $($extra)*
                }
                d.deserialize_any(V)
            }
        }
    };
}

#[rustfmt::skip]
scalar_visitor!(
    i64,
    "an integer (or an integer in a string)",
    |s| s.parse::<i64>().ok().or_else(|| s
        .parse::<f64>()
        .ok()
        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
        .map(|f| f as i64)),
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.fract() == 0.0 && v.abs() < 9.0e18 {
            Ok(Some(v as i64))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(i64::from(v)))
    }
);

#[rustfmt::skip]
scalar_visitor!(
    f64,
    "a number (or a number in a string)",
    |s| s.parse::<f64>().ok(),
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
);

#[rustfmt::skip]
scalar_visitor!(
    bool,
    "a boolean (true/false, 1/0, \"true\"/\"false\")",
    |s| match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "y" | "yes" => Some(true),
        "false" | "0" | "n" | "no" => Some(false),
        _ => None,
    },
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
);

#[rustfmt::skip]
scalar_visitor!(
    String,
    "a string",
    |s| Some(s.to_owned()),
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        // An object where text was documented: keep it as its JSON text rather than fail.
        let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Some(v.to_string()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Some(v.to_string()))
    }
);

#[rustfmt::skip]
scalar_visitor!(
    Decimal,
    "a decimal (number or string)",
    |s| Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok()),
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // JSON numbers arrive as f64; their shortest round-trip text is what the platform wrote
        // (for up to 15 significant digits), so parse that text rather than the binary value.
        Decimal::from_str(&v.to_string())
            .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
    }
);

#[rustfmt::skip]
scalar_visitor!(
    DateTime,
    "a time (epoch ms or `yyyy-MM-dd HH:mm:ss`, UTC+8)",
    |s| s
        .parse::<i64>()
        .ok()
        .map(epoch_guess)
        .or_else(|| DateTime::parse_beijing(s)),
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(epoch_guess(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(epoch_guess(i64::try_from(v).unwrap_or(i64::MAX))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(epoch_guess(v as i64)))
    }
);

/// Epoch seconds (Douyin, Doudian) or milliseconds (Youzan, 1688): values below
/// 10^11 are seconds (10^11 s is the year 5138; 10^11 ms is 1973).
fn epoch_guess(v: i64) -> DateTime {
    if v.abs() < 100_000_000_000 {
        DateTime::from_epoch_millis(v.saturating_mul(1000))
    } else {
        DateTime::from_epoch_millis(v)
    }
}

impl Lenient for serde_json::Value {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(if v.is_null() { None } else { Some(v) })
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <DateTime as Lenient>::lenient(d)?
            .ok_or_else(|| de::Error::custom("expected a time, found an empty value"))
    }
}

impl Lenient for crate::Secret {
    fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        Ok(String::lenient(d)?.map(crate::Secret::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read<T: Lenient>(v: serde_json::Value) -> Option<T> {
        T::lenient(v).unwrap()
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
        assert!(i64::lenient(json!("abc")).is_err());
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
    }
}
