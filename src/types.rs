//! Value types the specs map to: exact money, platform timestamps, upload files.

use chrono::{FixedOffset, NaiveDateTime, TimeZone};
use serde::{Serialize, Serializer};
use std::fmt;

pub use rust_decimal::Decimal;

const BEIJING_SECS: i32 = 8 * 3600;
const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(BEIJING_SECS).expect("UTC+8 is a valid offset")
}

/// An instant, as these platforms send it: epoch milliseconds or a Beijing
/// (UTC+8) wall time `yyyy-MM-dd HH:mm:ss`. Displays and serializes as the latter,
/// whatever the host's time zone.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    epoch_ms: i64,
}

impl DateTime {
    /// From epoch milliseconds.
    pub fn from_epoch_millis(epoch_ms: i64) -> Self {
        DateTime { epoch_ms }
    }

    /// Now.
    pub fn now() -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        DateTime { epoch_ms: ms }
    }

    /// Parses `yyyy-MM-dd HH:mm:ss` (or `yyyy-MM-dd`) as Beijing time.
    pub fn parse_beijing(s: &str) -> Option<Self> {
        let s = s.trim();
        let naive = match parse_plain(s) {
            Some(naive) => naive,
            // Unpadded fields, fractions, `T`, a date alone: chrono's parser.
            None => NaiveDateTime::parse_from_str(s, FORMAT)
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
                })
                .ok()?,
        };
        let dt = beijing().from_local_datetime(&naive).single()?;
        Some(DateTime {
            epoch_ms: dt.timestamp_millis(),
        })
    }

    /// Epoch milliseconds.
    pub fn epoch_millis(self) -> i64 {
        self.epoch_ms
    }

    /// `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8).
    pub fn to_beijing_string(self) -> String {
        use chrono::{Datelike, Timelike};
        // Written digit by digit: this runs on every Taobao call, and `format!` costs more than
        // the rest of the timestamp.
        match chrono::DateTime::from_timestamp_millis(self.epoch_ms) {
            Some(utc) => {
                let t = utc.with_timezone(&beijing());
                let Ok(year @ 0..=9999) = u32::try_from(t.year()) else {
                    return t.format(FORMAT).to_string();
                };
                let mut out = String::with_capacity(19);
                let mut push = |n: u32, width: u32, then: Option<char>| {
                    for place in (0..width).rev() {
                        out.push(char::from(b'0' + ((n / 10u32.pow(place)) % 10) as u8));
                    }
                    out.extend(then);
                };
                push(year, 4, Some('-'));
                push(t.month(), 2, Some('-'));
                push(t.day(), 2, Some(' '));
                push(t.hour(), 2, Some(':'));
                push(t.minute(), 2, Some(':'));
                push(t.second(), 2, None);
                out
            }
            None => self.epoch_ms.to_string(),
        }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_beijing_string())
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({} +08:00)", self.to_beijing_string())
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_beijing_string())
    }
}

/// Reads what [`Serialize`] writes: `yyyy-MM-dd HH:mm:ss` Beijing time.
impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_beijing(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("not a `yyyy-MM-dd HH:mm:ss` time: {text:?}"))
        })
    }
}

/// A file to upload (multipart). Not signed, as on every platform.
#[derive(Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct File {
    pub file_name: String,
    pub content_type: String,
    pub bytes: bytes::Bytes,
}

impl File {
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<bytes::Bytes>,
    ) -> Self {
        File {
            file_name: file_name.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "File({:?}, {}, {} bytes)",
            self.file_name,
            self.content_type,
            self.bytes.len()
        )
    }
}

/// `yyyy-MM-dd HH:mm:ss` read by position: what nearly every answer sends, without running
/// chrono's format parser on each field. Anything else goes to the parser.
fn parse_plain(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |at: usize, len: usize| {
        b[at..at + len].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    chrono::NaiveDate::from_ymd_opt(i32::try_from(num(0, 4)?).ok()?, num(5, 2)?, num(8, 2)?)?
        .and_hms_opt(num(11, 2)?, num(14, 2)?, num(17, 2)?)
}

/// The current time formatted as a Taobao timestamp: Beijing wall time whatever `TZ` says.
pub fn beijing_timestamp(now: std::time::SystemTime) -> String {
    let ms = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    DateTime::from_epoch_millis(ms).to_beijing_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_positional_reader_agrees_with_chrono() {
        for s in [
            "2016-01-01 12:00:00",
            "2024-02-29 23:59:59",
            "1999-12-31 00:00:00",
        ] {
            assert_eq!(
                parse_plain(s),
                NaiveDateTime::parse_from_str(s, FORMAT).ok(),
                "{s}"
            );
        }
        for bad in [
            "2023-02-29 12:00:00",
            "2016-13-01 12:00:00",
            "2016-01-01 24:00:00",
            "2016-01-01T12:00:00",
            "2016-01-0a 12:00:00",
            "２０１６-01-01 12:00",
        ] {
            assert_eq!(parse_plain(bad), None, "{bad}");
        }
    }

    #[test]
    fn digits_match_chrono_format() {
        for ms in [
            0,
            1_451_620_800_000,
            253_402_300_799_000,
            -62_135_596_800_000,
            -62_135_596_800_001,
            253_402_300_800_000,
        ] {
            let t = DateTime::from_epoch_millis(ms);
            let expected = chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .with_timezone(&beijing())
                .format(FORMAT)
                .to_string();
            assert_eq!(t.to_beijing_string(), expected, "{ms}");
        }
    }

    #[test]
    fn any_instant_displays_without_panicking() {
        let max = chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis();
        let min = chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis();
        for ms in [i64::MIN, min - 1, min, max, max + 1, i64::MAX] {
            let t = DateTime::from_epoch_millis(ms);
            assert!(!t.to_string().is_empty());
            assert!(format!("{t:?}").starts_with("DateTime("));
        }
        // Beyond chrono's range the number itself is shown.
        assert_eq!(
            DateTime::from_epoch_millis(i64::MAX).to_string(),
            i64::MAX.to_string()
        );
    }

    #[test]
    fn beijing_round_trip() {
        let t = DateTime::parse_beijing("2016-01-01 12:00:00").unwrap();
        assert_eq!(t.epoch_millis(), 1_451_620_800_000);
        assert_eq!(t.to_string(), "2016-01-01 12:00:00");
        assert_eq!(
            DateTime::from_epoch_millis(0).to_string(),
            "1970-01-01 08:00:00"
        );
    }
}
