//! What a protocol's side of the mock implements ([`Gateway`]), the push envelope it builds,
//! and the request helpers the protocols share. Public, so that a protocol the mock does not
//! build in is served by a gateway of the user's own ([`MockGateway::with_gateway`]), as the
//! runtime takes a user's `Protocol`.

use crate::http::Request;
use crate::{MockGateway, Outcome};
use opengate_codegen::ir::{self, Location};
use serde_json::Value;

/// A protocol's side of the mock: it routes a request on its paths to an API of the specs,
/// verifies it as the platform does (with its own signature code, never the client's), and
/// answers in the platform's envelope, usually around [`MockGateway::answer`]'s data.
pub trait Gateway: Send + Sync {
    /// The `protocol:` of the platform folders it serves.
    fn protocol(&self) -> &'static str;
    /// The answer to a request on one of this protocol's paths, with the platform it went to;
    /// `None` when the path is not this protocol's.
    fn serve(&self, mock: &MockGateway, req: &Request) -> Option<(String, Outcome)>;
    /// The platform's flow-control answer (HTTP 200).
    fn rate_limited(&self) -> Value;
    /// The `code` of a successful answer, where the data has one.
    fn success_code(&self) -> i64 {
        0
    }
    /// A push message's envelope as the platform posts it to an app, signed with `platform`'s
    /// secret; an error says why this protocol cannot push it.
    fn envelope(
        &self,
        mock: &MockGateway,
        platform: &str,
        message: &Message<'_>,
    ) -> Result<Envelope, String>;
}

impl std::fmt::Debug for dyn Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("protocol", &self.protocol())
            .finish()
    }
}

/// A signed envelope, ready to post.
#[derive(Debug)]
pub struct Envelope {
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Whether an answer is the platform's acknowledgement.
    pub accepted: fn(u16, &[u8]) -> bool,
}

/// What a protocol's envelope is built from: a [`PushOrder`](crate::PushOrder)'s message.
#[derive(Debug)]
pub struct Message<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub shop: Option<&'a str>,
    pub status: Option<&'a str>,
    pub payload: &'a Value,
    /// Sign with a wrong secret, to test a receiver's refusal ([`Message::secret`]).
    pub(crate) forge: bool,
}

impl Message<'_> {
    /// The secret to sign with: the app's, or not quite it for a forgery.
    pub fn secret(&self, real: Option<&str>) -> String {
        let real = real.unwrap_or_default();
        if self.forge {
            format!("{real}-forged")
        } else {
            real.to_owned()
        }
    }

    /// The payload as JSON text.
    pub fn payload_text(&self) -> String {
        self.payload.to_string()
    }
}

/// Whether a JSON answer has `"code": 0` (a number or a string).
pub fn code_zero(status: u16, body: &[u8]) -> bool {
    let code = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("code").cloned());
    status == 200 && matches!(code, Some(c) if c == 0 || c == "0")
}

pub fn status_ok(status: u16, _: &[u8]) -> bool {
    status == 200
}

/// A JSON param as text: a string as it is, a number or a boolean written out.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The first required param (not a file) the predicate says is absent.
pub fn missing_param(api: &ir::Api, present: impl Fn(&ir::FieldIr) -> bool) -> Option<String> {
    api.params
        .iter()
        .filter(|f| f.required && f.location != Location::Path && f.location != Location::Header)
        .find(|f| !present(f))
        .map(|f| f.wire.clone())
}

pub fn query_json(req: &Request) -> Value {
    Value::Object(
        crate::http::parse_form(req.query.as_bytes())
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// `yyyy-MM-dd HH:mm:ss` read as Beijing time (UTC+8), in Unix seconds.
pub fn beijing_wall_secs(ts: &str) -> Option<u64> {
    chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| (t.and_utc().timestamp() - 8 * 3600).max(0) as u64)
}

/// An upload's multipart body as the params it carries: each non-empty part by name, a file part
/// standing for its file. `None` when the body is not multipart of that boundary.
pub fn multipart_params(content_type: &str, body: &[u8]) -> Option<Value> {
    let parts = crate::http::parse_multipart(content_type, body)?;
    Some(Value::Object(
        parts
            .into_iter()
            .filter(|p| !p.body.is_empty())
            .map(|p| {
                let value = p.file_name.map_or_else(
                    || String::from_utf8_lossy(&p.body).into_owned(),
                    |f| format!("file {f}, {} bytes", p.body.len()),
                );
                (p.name, Value::String(value))
            })
            .collect(),
    ))
}
