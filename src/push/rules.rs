//! What a platform's push rules are given and give back: a [`Delivery`], the [`Push`] messages
//! it opened into, a [`Refusal`] or the [`Answer`]; and the helpers the rules share.

use crate::read::FromJson;
use crate::write::JsonError;
use bytes::Bytes;
use std::fmt;
use std::sync::Arc;

/// One delivery as it arrived: headers, the query string and the raw body.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    pub headers: &'a http::HeaderMap,
    /// The query string without `?` (1688 may send its params there).
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

impl fmt::Debug for Delivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers carry signatures and bodies buyer data: sizes only.
        f.debug_struct("Delivery")
            .field("headers", &self.headers.len())
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Delivery<'a> {
    /// A header's value as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One message of a delivery.
#[derive(Clone)]
pub struct Push {
    /// The platform's name in the config (`youzan`, `doudian`, ...).
    pub platform: Arc<str>,
    /// What happened: Youzan's `type`, Doudian's `tag`, Douyin's `event`, 1688's `type`, a TMC
    /// topic.
    pub kind: String,
    /// The message id as the platform sent it (text, whatever its JSON type).
    pub id: String,
    /// The key that identifies this message across redeliveries, for deduplication: the id
    /// where the platform's id identifies a message, else the fields that do (see the
    /// platform's rules).
    pub key: String,
    /// The shop (or seller, or member) the message is about, where the envelope says.
    pub shop: Option<String>,
    /// A test push sent from the platform's console.
    pub test: bool,
    /// The payload: JSON text, decoded from the envelope where it arrives as a JSON string.
    pub payload: Bytes,
}

impl fmt::Debug for Push {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payload holds buyer data (names, phones, addresses): its size only.
        f.debug_struct("Push")
            .field("platform", &self.platform)
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("shop", &self.shop)
            .field("test", &self.test)
            .field("payload_bytes", &self.payload.len())
            .finish()
    }
}

impl Push {
    /// The payload read into `T` (a generated payload struct, or any [`FromJson`] type).
    pub fn payload_as<T: FromJson + Default>(&self) -> Result<T, JsonError> {
        crate::read::read_value::<T>(&self.payload).map(Option::unwrap_or_default)
    }

    /// [`Push::payload_as`] for generated code: a payload that does not fit is
    /// [`crate::Error::Decode`] naming the platform and the kind (as `<platform> <kind>
    /// message`), with an excerpt masked like an answer's.
    pub fn decode<T: FromJson + Default>(&self) -> crate::Result<T> {
        self.payload_as().map_err(|e| {
            crate::Error::Decode(Box::new(crate::DecodeError {
                api: crate::ApiId {
                    platform: self.platform.to_string(),
                    name: self.kind.clone(),
                    version: "message".into(),
                },
                path: e.path(),
                message: e.message,
                excerpt: crate::error::excerpt(&self.payload, 200),
            }))
        })
    }

    /// The message as one line of JSON (what `opengate push verify` prints): the envelope's
    /// facts and the payload as it arrived, numbers untouched.
    pub fn to_json_line(&self) -> String {
        let text = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
        let shop = self.shop.as_deref().map_or("null".to_owned(), text);
        let payload = std::str::from_utf8(&self.payload)
            .ok()
            .filter(|p| is_json(p))
            .map_or_else(
                || text(&String::from_utf8_lossy(&self.payload)),
                |p| p.trim().to_owned(),
            );
        format!(
            "{{\"platform\":{},\"kind\":{},\"id\":{},\"key\":{},\"shop\":{shop},\"test\":{},\"payload\":{payload}}}",
            text(&self.platform),
            text(&self.kind),
            text(&self.id),
            text(&self.key),
            self.test
        )
    }
}

/// What [`PushRules::open`] found in a verified delivery.
#[derive(Debug)]
pub enum Opened {
    /// The messages to handle, in the order they arrived.
    Messages(Vec<Push>),
    /// A handshake the rules answer themselves (Douyin's `verify_webhook`, Doudian's tag `0`
    /// ping): no handler runs.
    Handshake(Answer),
}

/// Why a delivery was refused: nothing of it was handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("content type `{found}` is not what the platform sends ({expected})")]
    ContentType {
        expected: &'static str,
        found: String,
    },
    #[error("the signature is missing: no `{0}`")]
    Unsigned(&'static str),
    #[error("the signature does not match (`{0}`)")]
    BadSignature(&'static str),
    /// Signed, but not a push of this platform; the text names what is wrong, never a value.
    #[error("not a push message: {0}")]
    Malformed(String),
    /// The push names another app (the field or header given) than the one receiving it.
    #[error("the push is for another app (`{0}`)")]
    OtherApp(&'static str),
}

impl Refusal {
    /// The HTTP status of the refusal: 413, 415, 401 or 400.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::TooLarge { .. } => 413,
            Refusal::ContentType { .. } => 415,
            Refusal::Unsigned(_) | Refusal::BadSignature(_) | Refusal::OtherApp(_) => 401,
            Refusal::Malformed(_) => 400,
        }
    }

    /// Whether the signature is what failed (rather than the input's form).
    pub fn is_signature(&self) -> bool {
        matches!(self, Refusal::Unsigned(_) | Refusal::BadSignature(_))
    }
}

/// An HTTP answer to a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Bytes,
}

impl Answer {
    /// A JSON answer.
    pub fn json(status: u16, body: impl Into<Bytes>) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: body.into(),
        }
    }

    /// The JSON answer to a refusal: its status, and `{"code":<status>,"msg":<why>}`.
    pub fn refusal(r: &Refusal) -> Answer {
        let body = serde_json::json!({"code": r.status(), "msg": r.to_string()});
        Answer::json(r.status(), body.to_string())
    }
}

/// One platform's push rules, configured with the app's credentials (from its config table:
/// [`crate::Config::push_rules`]).
pub trait PushRules: Send + Sync + fmt::Debug {
    /// The platform's name in the config.
    fn platform(&self) -> &str;
    /// The content types its deliveries have, lower case and without parameters; the
    /// receiver answers 415 to others.
    fn content_types(&self) -> &'static [&'static str];
    /// Verifies the delivery's signature over the raw bytes, then decodes its messages.
    fn open(&self, delivery: &Delivery<'_>) -> Result<Opened, Refusal>;
    /// The answer when every message was handled.
    fn success(&self) -> Answer;
    /// The answer that makes the platform redeliver.
    fn failure(&self) -> Answer;
}

/// Constant-time comparison of a received hex signature with the expected one, in any case.
pub(crate) fn hex_matches(received: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    let received = received.trim().to_ascii_lowercase();
    let expected = expected.to_ascii_lowercase();
    // Lengths are public (a hex digest has one); only the contents are compared in constant time.
    received.len() == expected.len() && bool::from(received.as_bytes().ct_eq(expected.as_bytes()))
}

/// Lower-hex MD5 of the parts in order (Youzan's and Doudian's push signatures).
pub(crate) fn md5_hex(parts: &[&[u8]]) -> String {
    hex::encode(crate::protocol::md5(parts))
}

/// Whether `text` is one JSON document.
fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// The payload text of an envelope member: a JSON string holds JSON text (kept as is when it
/// is not JSON, as a JSON string); any other value is the payload itself.
pub(crate) fn payload_of(v: Option<&serde_json::Value>) -> Bytes {
    match v {
        None | Some(serde_json::Value::Null) => Bytes::from_static(b"{}"),
        Some(serde_json::Value::String(s)) => {
            if is_json(s) {
                Bytes::from(s.clone())
            } else {
                Bytes::from(serde_json::Value::String(s.clone()).to_string())
            }
        }
        Some(other) => Bytes::from(other.to_string()),
    }
}

/// Parses a signed body as JSON, naming only what is wrong (serde_json's category, no text
/// of the body).
pub(crate) fn json_body(body: &[u8]) -> Result<serde_json::Value, Refusal> {
    use serde_json::error::Category;
    serde_json::from_slice(body).map_err(|e| {
        let why = match e.classify() {
            Category::Io => "i/o",
            Category::Syntax => "syntax error",
            Category::Data => "unexpected data",
            Category::Eof => "truncated",
        };
        Refusal::Malformed(format!("the body is not JSON ({why})"))
    })
}
