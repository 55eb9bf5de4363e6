//! opengate runtime: one client and one call path for Chinese e-commerce open
//! platforms (Youzan, Taobao TOP, 1688 AOP, Douyin, Doudian), with pluggable
//! protocols (signers), token providers, token stores and transports.
//!
//! Typed APIs are generated from YAML specs into the `opengate-apis` crate;
//! every generated method hands an [`ApiDesc`] and its request to
//! [`Client::send`], which builds, signs, sends, retries and decodes.

mod backoff;
mod client;
pub mod config;
mod desc;
mod error;
pub mod limit;
pub mod paging;
pub mod platform;
pub mod protocol;
pub mod push;
mod read;
#[cfg(feature = "redis")]
mod redis_conn;
mod secret;
pub mod token;
mod types;
pub mod wire;
mod write;

/// HTTP/1 serving within limits (the `opengate-server` crate), for a program that serves a push
/// [`push::Receiver`] with hyper.
#[cfg(feature = "server")]
pub use opengate_server as server;

/// The names rule (the `opengate-redact` crate): which members hold a credential or a person's
/// data, and masking them in quoted text.
pub use opengate_redact as redact;

pub use client::{
    decode, to_params, ApiCall, ApiRequest, Client, ClientBuilder, PlatformOptions, RawReply,
    Reply, RetryPolicy,
};
pub use config::Config;
pub use desc::{ApiDesc, AuthKind, HttpMethod, Limits, ParamLocation, ParamSpec};
pub use error::{error_chain, ApiError, ApiId, DecodeError, Error, ErrorKind, Result};
pub use paging::Pages;
pub use write::{JsonError, ToJson};

pub use protocol::Protocol;
pub use read::{Decoded, Elements, FromJson, Object, Scalar, Sink};
pub use secret::{redact_url, Secret};
pub use types::{beijing_timestamp, DateTime, Decimal, File};

/// Used by generated code only; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::desc::{
        limited, param, ApiDesc, AuthKind, HttpMethod, Limits, ParamLocation, ParamSpec, StaticApi,
    };
    pub use crate::paging::{PageStyle, PagedRequest, PagedResponse, Paging};
    pub use crate::read::{
        deserialize, enum_text, serialize, Decoded, FromJson, Object, Scalar, Sink,
    };
    pub use crate::redact::Masked;
    pub use crate::write::enum_json;
    pub use crate::write::{put, put_opt, ToJson};
    pub use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub use serde_json::{Map, Value};
}
