//! What a call gives back: the typed data with the body it came from ([`Reply`]), or the body
//! alone, its data located ([`RawReply`]).

use crate::protocol::DataAt;
use crate::read::{FromJson, Sink};
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Typed data plus the raw JSON it came from.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    pub(crate) data: T,
    pub(crate) raw: Arc<RawReply>,
}

impl<T> Reply<T> {
    pub fn data(&self) -> &T {
        &self.data
    }
    pub fn into_data(self) -> T {
        self.data
    }
    /// The whole response body as JSON (parsed from the kept bytes on first use).
    pub fn raw(&self) -> &Value {
        self.raw.body()
    }
    /// The part of the body the typed data was read from, as JSON (for members the spec
    /// does not describe).
    pub fn raw_data(&self) -> &Value {
        self.raw.data()
    }
    /// The response body exactly as received.
    pub fn raw_bytes(&self) -> &[u8] {
        self.raw.bytes()
    }
    pub fn http_status(&self) -> u16 {
        self.raw.status
    }
}

impl<T> std::ops::Deref for Reply<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

/// A successful answer before typed decoding: the body as received and where its data sits.
#[derive(Clone)]
pub struct RawReply {
    pub(crate) status: u16,
    pub(crate) bytes: bytes::Bytes,
    pub(crate) data_at: DataAt,
    /// The body as a `Value`, made only when someone asks for it.
    pub(crate) body: OnceLock<Value>,
}

impl RawReply {
    /// An answer whose body is `bytes` (JSON) with its data at `data_at`.
    pub fn new(status: u16, bytes: impl Into<bytes::Bytes>, data_at: DataAt) -> Self {
        RawReply {
            status,
            bytes: bytes.into(),
            data_at,
            body: OnceLock::new(),
        }
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body exactly as received.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn data_at(&self) -> &DataAt {
        &self.data_at
    }

    /// The whole body as JSON, parsed on first use (`Null` if it is not JSON).
    pub fn body(&self) -> &Value {
        self.body
            .get_or_init(|| serde_json::from_slice(&self.bytes).unwrap_or(Value::Null))
    }

    /// The part of the body the spec's response describes.
    pub fn data(&self) -> &Value {
        let body = self.body();
        match &self.data_at {
            DataAt::Whole => body,
            DataAt::Member(k) => body.get(k).unwrap_or(&Value::Null),
        }
    }
}

/// Bodies can carry tokens (a token endpoint called as a typed API): show their size only.
impl fmt::Debug for RawReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawReply")
            .field("status", &self.status)
            .field("data_at", &self.data_at)
            .field("body_bytes", &self.bytes.len())
            .finish()
    }
}

/// Where `Client::send` reads the typed data: an `Option` of the response type.
pub(crate) trait Slot {
    fn sink(&mut self) -> &mut dyn Sink;
    fn clear(&mut self);
}

impl<T: FromJson> Slot for Option<T> {
    fn sink(&mut self) -> &mut dyn Sink {
        self
    }
    fn clear(&mut self) {
        *self = None;
    }
}
