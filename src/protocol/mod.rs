//! Platform protocols: how a call is built and signed, and how an answer is read.
//!
//! Each built-in protocol follows the platform's official SDKs (see
//! `docs/PROTOCOLS.md` in the shared notes). A user adds a platform (JD,
//! Pinduoduo...) by implementing [`Protocol`] outside this crate and
//! registering it with [`ClientBuilder::platform`](crate::ClientBuilder::platform).

use crate::desc::{ApiDesc, ParamLocation};
use crate::error::Result;
pub use crate::read::DataAt;
use crate::types::File;
use crate::wire::{Body, WireRequest};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, RwLock};
use std::time::{Duration, SystemTime};
use url::Url;

/// One business param, as serialized from the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub value: Value,
    pub location: ParamLocation,
}

/// Everything a protocol needs to build one request.
#[derive(Debug)]
pub struct Call<'a> {
    pub api: &'a ApiDesc,
    /// The host to use: the spec's, or the configured `base_url`.
    pub base_url: &'a str,
    pub params: &'a [Param],
    pub files: &'a [(&'static str, File)],
    /// The token for `User`/`Client` APIs. Never log it.
    pub token: Option<&'a str>,
    pub now: SystemTime,
}

pub use crate::error::ErrorKind;

/// A platform error read from an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub sub_code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// What kind of failure it is: decides whether the client refreshes, backs off, retries or
    /// returns it, and becomes [`crate::ApiError::kind`].
    pub kind: ErrorKind,
    /// How long the platform says the caller is blocked (Taobao: "This ban will last for N more
    /// seconds"). A rate-limited call waits at least this long before it is sent again.
    pub retry_after: Option<Duration>,
}

/// A platform's wire protocol. Object-safe; one instance per configured app.
pub trait Protocol: Send + Sync + fmt::Debug {
    /// Builds and signs the HTTP request.
    fn build(&self, call: &Call<'_>) -> Result<WireRequest>;
    /// Where the data of a successful answer usually is, so that it can be read while the body
    /// is parsed. [`Protocol::interpret`] decides; a wrong guess costs a second read.
    fn data_hint(&self, api: &ApiDesc) -> DataAt {
        let _ = api;
        DataAt::Whole
    }
    /// Reads the platform's envelope: where the data is, or the error. Everything outside the
    /// data part is there; inside it, scalars down to two levels below the root (Douyin's
    /// `data.error_code`, Youzan's `response.code`) and, deeper, only the kind of each value.
    fn interpret(
        &self,
        api: &ApiDesc,
        status: u16,
        body: &Value,
    ) -> std::result::Result<DataAt, Failure>;
}

// ------------------------------------------------------------------ shared helpers

/// Text form of a param value: strings as is, numbers and booleans printed,
/// objects and arrays as compact JSON, `null` absent.
pub fn param_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// A signed value as the trace log shows it: `***` for a param named like a credential or a
/// person's data ([`crate::redact`]).
pub(crate) fn shown<'a>(name: &str, value: &'a str) -> &'a str {
    if crate::redact::is_sensitive_name(name) {
        "***"
    } else {
        value
    }
}

/// Logs the string a signature was computed over, secrets masked, at trace level: a gateway that
/// refuses the signature shows its own (the mock does, under `__mock.string_to_sign`), and the
/// two are compared instead of guessed at.
pub(crate) fn trace_string_to_sign(shown: &str) {
    tracing::trace!(string_to_sign = %shown, "signed");
}

/// Java's `isWhitespace`-based blank test used by the TOP SDK (U+00A0 is not blank).
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| matches!(c, '\u{9}'..='\u{d}' | '\u{1c}'..='\u{20}' | '\u{1680}' | '\u{2000}'..='\u{2006}' | '\u{2008}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{205f}' | '\u{3000}'))
}

/// Java `String.compareTo` order: by UTF-16 code units.
pub fn java_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    // UTF-8 byte order equals UTF-16 order except for astral characters against U+E000..U+FFFF;
    // for ASCII (nearly every param name) the cheap comparison is exact.
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// Sorts `items` by `key` in Java `String` order. When every key is ASCII (nearly always) that is
/// byte order: checked once for the whole list, not in every comparison.
pub(crate) fn sort_java<T>(items: &mut [T], key: impl Fn(&T) -> &str) {
    if items.iter().all(|t| key(t).is_ascii()) {
        items.sort_by(|a, b| key(a).cmp(key(b)));
    } else {
        items.sort_by(|a, b| java_cmp(key(a), key(b)));
    }
}

pub(crate) fn upper_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// The digest of the concatenation of `parts` (fed piece by piece: no joined copy).
pub(crate) fn md5(parts: &[&[u8]]) -> [u8; 16] {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

macro_rules! hmac_fn {
    ($name:ident, $digest:ty) => {
        /// The HMAC of the concatenation of `parts`.
        pub(crate) fn $name(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            use hmac::Mac;
            // HMAC takes keys of any length: `new_from_slice` cannot fail here.
            let mut mac =
                hmac::Hmac::<$digest>::new_from_slice(key).expect("HMAC accepts any key length");
            for p in parts {
                mac.update(p);
            }
            mac.finalize().into_bytes().to_vec()
        }
    };
}
hmac_fn!(hmac_md5, md5::Md5);
hmac_fn!(hmac_sha1, sha1::Sha1);
hmac_fn!(hmac_sha256, sha2::Sha256);

/// Parses `url` (host and path: no secrets) and appends `key=value` pairs to its query,
/// form-encoded. The transport gets the parsed URL, so it is not parsed again with its query.
pub(crate) fn with_query<K: AsRef<str>, V: AsRef<str>>(url: &str, pairs: &[(K, V)]) -> Result<Url> {
    let mut parsed = endpoint(url)?;
    if !pairs.is_empty() {
        parsed
            .query_pairs_mut()
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
    }
    Ok(parsed)
}

/// Endpoints parsed so far, by their text. Parsing a URL costs more than signing a request,
/// and a platform's APIs share few endpoints (Taobao and 1688: one or two).
static ENDPOINTS: LazyLock<RwLock<HashMap<String, Url>>> = LazyLock::new(Default::default);

/// Beyond this many endpoints (paths with ids filled in), new ones are parsed on every call.
const MAX_ENDPOINTS: usize = 1024;

/// `url` parsed, from [`ENDPOINTS`] when it was parsed before.
fn endpoint(url: &str) -> Result<Url> {
    let known = ENDPOINTS.read().ok().and_then(|m| m.get(url).cloned());
    if let Some(parsed) = known {
        return Ok(parsed);
    }
    let parsed =
        Url::parse(url).map_err(|e| crate::Error::Config(format!("invalid URL `{url}`: {e}")))?;
    if let Ok(mut known) = ENDPOINTS.write() {
        if known.len() < MAX_ENDPOINTS {
            known.insert(url.to_owned(), parsed.clone());
        }
    }
    Ok(parsed)
}

pub(crate) fn form_body<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> bytes::Bytes {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k.as_ref(), v.as_ref());
    }
    bytes::Bytes::from(ser.finish())
}

/// Fills `{placeholder}`s of a path template from path params and system values.
pub(crate) fn fill_path(template: &str, call: &Call<'_>, system: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        let value = call
            .params
            .iter()
            .find(|p| p.name == name && p.location == ParamLocation::Path)
            .and_then(|p| param_text(&p.value).map(Cow::into_owned))
            .or_else(|| {
                system
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            })
            .unwrap_or_default();
        out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A JSON object of the params at the given locations (nulls dropped).
pub(crate) fn json_object(
    params: &[Param],
    take: impl Fn(ParamLocation) -> bool,
) -> serde_json::Map<String, Value> {
    params
        .iter()
        .filter(|p| take(p.location) && !p.value.is_null())
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect()
}

pub(crate) fn text_pairs(
    params: &[Param],
    take: impl Fn(ParamLocation) -> bool,
) -> Vec<(String, String)> {
    params
        .iter()
        .filter(|p| take(p.location))
        .filter_map(|p| param_text(&p.value).map(|v| (p.name.clone(), v.into_owned())))
        .collect()
}

/// A JSON body of the params that travel in the body (`{}` when there are none).
pub(crate) fn json_body(params: &[Param]) -> Body {
    let obj = json_object(params, |l| {
        matches!(
            l,
            ParamLocation::Default | ParamLocation::Body | ParamLocation::Form
        )
    });
    Body::Bytes {
        content_type: "application/json".into(),
        bytes: serde_json::to_vec(&obj)
            .unwrap_or_else(|_| b"{}".to_vec())
            .into(),
    }
}

/// A multipart body: text fields plus the call's files (never signed).
pub(crate) fn multipart(fields: Vec<(String, String)>, call: &Call<'_>) -> Body {
    Body::Multipart {
        fields,
        files: call
            .files
            .iter()
            .map(|(k, f)| ((*k).to_owned(), f.clone()))
            .collect(),
    }
}

/// An upload as Youzan and Douyin send it: the body's params as text fields beside the files.
pub(crate) fn body_multipart(call: &Call<'_>) -> Body {
    let fields = text_pairs(call.params, |l| {
        matches!(
            l,
            ParamLocation::Default | ParamLocation::Body | ParamLocation::Form
        )
    });
    multipart(fields, call)
}

pub(crate) fn headers_of(params: &[Param]) -> Vec<(String, String)> {
    text_pairs(params, |l| l == ParamLocation::Header)
}

/// Reads a member as text whether it is a string or a number.
pub(crate) fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// True when a code member is absent, `0`, `"0"` or `""`.
pub(crate) fn is_zero(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::String(s)) => s.is_empty() || s == "0",
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_endpoint_gets_only_its_own_query() {
        let url = "http://127.0.0.1:9/router/rest";
        let first = with_query(url, &[("a", "1 2")]).unwrap();
        let second = with_query(url, &[("b", "&")]).unwrap();
        assert_eq!(first.as_str(), "http://127.0.0.1:9/router/rest?a=1+2");
        assert_eq!(second.as_str(), "http://127.0.0.1:9/router/rest?b=%26");
        assert_eq!(with_query::<&str, &str>(url, &[]).unwrap().as_str(), url);
        for _ in 0..2 {
            let e = with_query("not a url", &[("a", "1")]).unwrap_err();
            assert!(e.to_string().contains("invalid URL `not a url`"), "{e}");
        }
    }

    #[test]
    fn java_order_differs_from_byte_order_for_astral() {
        // U+1F600 (surrogates D83D DE00) sorts before U+FF21 in UTF-16, after it in UTF-8.
        let (astral, bmp) = ("\u{1F600}", "\u{FF21}");
        assert_eq!(java_cmp(astral, bmp), std::cmp::Ordering::Less);
        assert_eq!(astral.cmp(bmp), std::cmp::Ordering::Greater);
    }

    #[test]
    fn blank() {
        assert!(is_blank(" \t"));
        assert!(is_blank(""));
        assert!(!is_blank("\u{a0}"));
    }
}
