//! TMC's binary frames (protocol version 2), as the official SDKs' `MessageIO` reads and writes
//! them: little-endian; a byte of protocol version, a byte of message type, then headers, each
//! an `i16` type followed by its value, up to the end-of-headers type. A text is a counted string
//! (an `i32` byte length, then UTF-8; 0 is no text). A custom header is a counted-string name and
//! a typed value (`i8` format, then the value). Reading never panics: any bytes from the network
//! either decode or are a [`FrameError`].

use std::fmt;

/// The protocol version the SDKs speak.
pub const VERSION: u8 = 2;

/// A frame's message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Connect,
    ConnectAck,
    Send,
    SendAck,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Connect => 0,
            Kind::ConnectAck => 1,
            Kind::Send => 2,
            Kind::SendAck => 3,
        }
    }

    fn from_code(c: u8) -> Option<Kind> {
        Some(match c {
            0 => Kind::Connect,
            1 => Kind::ConnectAck,
            2 => Kind::Send,
            3 => Kind::SendAck,
            _ => return None,
        })
    }
}

/// A custom header's value.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Void,
    Text(String),
    Byte(u8),
    I16(i16),
    I32(i32),
    I64(i64),
    /// Epoch milliseconds.
    Date(i64),
    Bytes(Vec<u8>),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Contents carry buyer data: sizes only.
        match self {
            Value::Text(t) => write!(f, "Text({} bytes)", t.len()),
            Value::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Value::Void => f.write_str("Void"),
            Value::Byte(n) => write!(f, "Byte({n})"),
            Value::I16(n) => write!(f, "I16({n})"),
            Value::I32(n) => write!(f, "I32({n})"),
            Value::I64(n) => write!(f, "I64({n})"),
            Value::Date(n) => write!(f, "Date({n})"),
        }
    }
}

impl Value {
    /// An integer value of any width.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Byte(n) => Some(i64::from(*n)),
            Value::I16(n) => Some(i64::from(*n)),
            Value::I32(n) => Some(i64::from(*n)),
            Value::I64(n) | Value::Date(n) => Some(*n),
            Value::Text(t) => t.parse().ok(),
            _ => None,
        }
    }

    /// The value as text: a string as it is, an integer in decimal (ids stay exact).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Text(t) => Some(t.clone()),
            Value::Bytes(b) => String::from_utf8(b.clone()).ok(),
            Value::Void => None,
            other => other.as_i64().map(|n| n.to_string()),
        }
    }
}

/// One frame: its type, the fixed headers and the custom ones (the content map), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: Kind,
    pub status_code: i32,
    pub status_phrase: Option<String>,
    pub flag: i32,
    pub token: Option<String>,
    pub content: Vec<(String, Value)>,
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the frame ends early, at byte {0}")]
    Truncated(usize),
    #[error("protocol version {0}, expected 2")]
    Version(u8),
    #[error("unknown message type {0}")]
    Kind(u8),
    #[error("unknown header type {0}")]
    Header(i16),
    #[error("unknown value format {0}")]
    Format(u8),
    #[error("a counted string of {0} bytes")]
    Length(i32),
    #[error("a counted string that is not UTF-8")]
    Utf8,
}

const END: i16 = 0;
const CUSTOM: i16 = 1;
const STATUS_CODE: i16 = 2;
const STATUS_PHRASE: i16 = 3;
const FLAG: i16 = 4;
const TOKEN: i16 = 5;

impl Frame {
    /// A frame of `kind` with no headers.
    pub fn new(kind: Kind) -> Frame {
        Frame {
            kind,
            status_code: 0,
            status_phrase: None,
            flag: 0,
            token: None,
            content: Vec::new(),
        }
    }

    /// Adds a custom header.
    pub fn with(mut self, name: &str, value: Value) -> Frame {
        self.content.push((name.to_owned(), value));
        self
    }

    /// A custom header's value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.content.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The frame's bytes. Headers with no value are left out, as the SDKs do.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION, self.kind.code()];
        if self.status_code > 0 {
            out.extend(STATUS_CODE.to_le_bytes());
            out.extend(self.status_code.to_le_bytes());
        }
        if let Some(p) = self.status_phrase.as_deref().filter(|p| !p.is_empty()) {
            out.extend(STATUS_PHRASE.to_le_bytes());
            counted(&mut out, p.as_bytes());
        }
        if self.flag > 0 {
            out.extend(FLAG.to_le_bytes());
            out.extend(self.flag.to_le_bytes());
        }
        if let Some(t) = self.token.as_deref().filter(|t| !t.is_empty()) {
            out.extend(TOKEN.to_le_bytes());
            counted(&mut out, t.as_bytes());
        }
        for (name, value) in &self.content {
            out.extend(CUSTOM.to_le_bytes());
            counted(&mut out, name.as_bytes());
            match value {
                Value::Void => out.push(0),
                Value::Text(t) => {
                    out.push(1);
                    counted(&mut out, t.as_bytes());
                }
                Value::Byte(n) => out.extend([2, *n]),
                Value::I16(n) => {
                    out.push(3);
                    out.extend(n.to_le_bytes());
                }
                Value::I32(n) => {
                    out.push(4);
                    out.extend(n.to_le_bytes());
                }
                Value::I64(n) => {
                    out.push(5);
                    out.extend(n.to_le_bytes());
                }
                Value::Date(n) => {
                    out.push(6);
                    out.extend(n.to_le_bytes());
                }
                Value::Bytes(b) => {
                    out.push(7);
                    counted(&mut out, b);
                }
            }
        }
        out.extend(END.to_le_bytes());
        out
    }

    /// Reads a frame.
    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u8()?;
        if version != VERSION {
            return Err(FrameError::Version(version));
        }
        let code = r.u8()?;
        let kind = Kind::from_code(code).ok_or(FrameError::Kind(code))?;
        let mut frame = Frame::new(kind);
        loop {
            match r.i16()? {
                END => return Ok(frame),
                CUSTOM => {
                    let name = r.text()?.unwrap_or_default();
                    let value = match r.u8()? {
                        0 => Value::Void,
                        1 => Value::Text(r.text()?.unwrap_or_default()),
                        2 => Value::Byte(r.u8()?),
                        3 => Value::I16(r.i16()?),
                        4 => Value::I32(i32::from_le_bytes(r.take()?)),
                        5 => Value::I64(i64::from_le_bytes(r.take()?)),
                        6 => Value::Date(i64::from_le_bytes(r.take()?)),
                        7 => Value::Bytes(r.counted()?.to_vec()),
                        other => return Err(FrameError::Format(other)),
                    };
                    frame.content.push((name, value));
                }
                STATUS_CODE => frame.status_code = i32::from_le_bytes(r.take()?),
                STATUS_PHRASE => frame.status_phrase = r.text()?,
                FLAG => frame.flag = i32::from_le_bytes(r.take()?),
                TOKEN => frame.token = r.text()?,
                other => return Err(FrameError::Header(other)),
            }
        }
    }
}

fn counted(out: &mut Vec<u8>, bytes: &[u8]) {
    // A frame is far below 2 GiB (the server limits messages); saturate rather than wrap.
    let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
    out.extend(len.to_le_bytes());
    out.extend(bytes);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn slice(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or(FrameError::Truncated(self.bytes.len()))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], FrameError> {
        let mut a = [0; N];
        a.copy_from_slice(self.slice(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.take::<1>()?[0])
    }

    fn i16(&mut self) -> Result<i16, FrameError> {
        Ok(i16::from_le_bytes(self.take()?))
    }

    fn counted(&mut self) -> Result<&'a [u8], FrameError> {
        let len = i32::from_le_bytes(self.take()?);
        let n = usize::try_from(len).map_err(|_| FrameError::Length(len))?;
        self.slice(n)
    }

    fn text(&mut self) -> Result<Option<String>, FrameError> {
        let b = self.counted()?;
        if b.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(b)
            .map(|s| Some(s.to_owned()))
            .map_err(|_| FrameError::Utf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back_as_written() {
        let mut f = Frame::new(Kind::Send)
            .with("__kind", Value::Byte(3))
            .with("id", Value::I64(9_007_199_254_740_993))
            .with("topic", Value::Text("taobao_trade_TradePaid".into()))
            .with("content", Value::Text("{\"tid\":1}".into()))
            .with("time", Value::Date(1_700_000_000_000))
            .with("gz", Value::Bytes(vec![1, 2, 3]))
            .with("n", Value::I16(-2))
            .with("m", Value::I32(70_000))
            .with("none", Value::Void);
        f.token = Some("tok".into());
        f.flag = 1;
        f.status_code = 200;
        f.status_phrase = Some("ok".into());
        assert_eq!(Frame::decode(&f.encode()), Ok(f));
    }

    #[test]
    fn the_layout_is_the_sdks() {
        // Version, type, a token header, a custom byte header, the end: little-endian,
        // counted strings with an i32 length.
        let mut f = Frame::new(Kind::Send).with("__kind", Value::Byte(1));
        f.token = Some("t".into());
        let expected: Vec<u8> = [
            &[2u8, 2][..],
            &[5, 0, 1, 0, 0, 0, b't'],
            &[1, 0, 6, 0, 0, 0],
            b"__kind",
            &[2, 1],
            &[0, 0],
        ]
        .concat();
        assert_eq!(f.encode(), expected);
    }

    #[test]
    fn bad_bytes_are_errors() {
        assert_eq!(Frame::decode(&[]), Err(FrameError::Truncated(0)));
        assert_eq!(Frame::decode(&[1, 2, 0, 0]), Err(FrameError::Version(1)));
        assert_eq!(Frame::decode(&[2, 9, 0, 0]), Err(FrameError::Kind(9)));
        assert_eq!(Frame::decode(&[2, 2, 7, 0]), Err(FrameError::Header(7)));
        assert_eq!(
            Frame::decode(&[2, 2, 5, 0, 0xff, 0xff, 0xff, 0xff]),
            Err(FrameError::Length(-1))
        );
        assert_eq!(
            Frame::decode(&[2, 2, 5, 0, 0xff, 0xff, 0xff, 0x7f]),
            Err(FrameError::Truncated(8))
        );
        assert_eq!(
            Frame::decode(&[2, 2, 5, 0, 1, 0, 0, 0, 0xff, 0, 0]),
            Err(FrameError::Utf8)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = Frame::decode(&bytes);
            // A prefix of a valid frame too.
            let valid = Frame::new(Kind::Send).with("k", Value::Text("v".into())).encode();
            let cut = bytes.len() % valid.len();
            proptest::prop_assert!(Frame::decode(&valid[..cut]).is_err());
        }
    }
}
