//! Doudian 抖店: `sign` over `app_secret + app_key… + method… + param_json… +
//! timestamp… + v2 + app_secret`, where `param_json` is the doc-flavour
//! canonical JSON; the body is that exact string.

use crate::desc::{ApiDesc, ParamLocation};
use crate::error::Result;
use crate::protocol::{
    fill_path, hmac_sha256, is_zero, md5, sort_java, text_of, with_query, Call, DataAt, ErrorKind,
    Failure, Protocol,
};
use crate::secret::Secret;
use crate::wire::{Body, WireRequest};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Write;
use std::time::UNIX_EPOCH;

/// Doudian `sign_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoudianSignMethod {
    Md5,
    HmacSha256,
}

impl DoudianSignMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            DoudianSignMethod::Md5 => "md5",
            DoudianSignMethod::HmacSha256 => "hmac-sha256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "md5" => Some(DoudianSignMethod::Md5),
            "hmac-sha256" => Some(DoudianSignMethod::HmacSha256),
            _ => None,
        }
    }
}

/// The Doudian protocol for one app.
#[derive(Debug, Clone)]
pub struct Doudian {
    app_key: String,
    secret: Secret,
    sign_method: DoudianSignMethod,
}

impl Doudian {
    pub fn new(
        app_key: impl Into<String>,
        secret: impl Into<Secret>,
        sign_method: DoudianSignMethod,
    ) -> Self {
        Doudian {
            app_key: app_key.into(),
            secret: secret.into(),
            sign_method,
        }
    }

    /// The signature (lower-case hex) of one call.
    pub fn sign(
        secret: &str,
        method: DoudianSignMethod,
        app_key: &str,
        api: &str,
        param_json: &str,
        timestamp: &str,
    ) -> String {
        if tracing::enabled!(tracing::Level::TRACE) {
            let param_json = crate::redact::mask(param_json);
            crate::protocol::trace_string_to_sign(&format!(
                "***app_key{app_key}method{api}param_json{param_json}timestamp{timestamp}v2***"
            ));
        }
        let pattern = format!("{secret}app_key{app_key}method{api}param_json{param_json}timestamp{timestamp}v2{secret}");
        match method {
            DoudianSignMethod::Md5 => hex::encode(md5(&[pattern.as_bytes()])),
            DoudianSignMethod::HmacSha256 => {
                hex::encode(hmac_sha256(secret.as_bytes(), &[pattern.as_bytes()]))
            }
        }
    }
}

/// The doc-flavour canonical `param_json`: keys sorted (Java order) at every
/// level, compact, no HTML escaping, numbers through `double` (`3.0` -> `3`),
/// `null` members dropped (kept inside arrays).
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> =
                map.iter().filter(|(_, v)| !v.is_null()).collect();
            sort_java(&mut entries, |(k, _)| k);
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
    }
}

fn write_number(n: &serde_json::Number, out: &mut String) {
    // Every number goes through a Java double, as in the doc demo.
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e19 {
        let _ = write!(out, "{}", f as i128);
    } else if (1e-3..1e7).contains(&f.abs()) {
        let _ = write!(out, "{f}");
    } else {
        // Java's Double.toString switches to `1.0E10` notation outside [1e-3, 1e7).
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        let _ = write!(out, "{mantissa}E{exp}");
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The path template of a call of `api`: the spec's, else the method's name with `/` for `.`
/// (`order.searchList` is `/order/searchList`).
pub(crate) fn path(api: &ApiDesc) -> Cow<'_, str> {
    if api.path.is_empty() {
        Cow::Owned(format!("/{}", api.name.replace('.', "/")))
    } else {
        Cow::Borrowed(&api.path)
    }
}

impl Protocol for Doudian {
    fn build(&self, call: &Call<'_>) -> Result<WireRequest> {
        let api = call.api;
        let obj: serde_json::Map<String, Value> = call
            .params
            .iter()
            .filter(|p| {
                !matches!(
                    p.location,
                    ParamLocation::Query | ParamLocation::Path | ParamLocation::Header
                ) && !p.value.is_null()
            })
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect();
        let param_json = canonical_json(&Value::Object(obj));
        let timestamp = call
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string();
        let sign = Doudian::sign(
            self.secret.expose(),
            self.sign_method,
            &self.app_key,
            &api.name,
            &param_json,
            &timestamp,
        );
        let mut query = vec![
            ("method".to_owned(), api.name.to_string()),
            ("app_key".to_owned(), self.app_key.clone()),
        ];
        if let Some(t) = call.token {
            query.push(("access_token".into(), t.to_owned()));
        }
        query.extend([
            ("timestamp".to_owned(), timestamp),
            ("v".to_owned(), "2".to_owned()),
            (
                "sign_method".to_owned(),
                self.sign_method.as_str().to_owned(),
            ),
            ("sign".to_owned(), sign),
        ]);
        query.extend(crate::protocol::text_pairs(call.params, |l| {
            l == ParamLocation::Query
        }));
        let path = fill_path(&path(api), call, &[("name", &api.name)]);
        let url = with_query(&format!("{}{path}", call.base_url), &query)?;
        let mut headers = crate::protocol::headers_of(call.params);
        headers.push(("x-open-no-old-err-code".into(), "1".into()));
        Ok(WireRequest {
            method: api.method,
            url,
            headers,
            body: Body::Bytes {
                content_type: "application/json;charset=UTF-8".into(),
                bytes: param_json.into(),
            },
        })
    }

    fn data_hint(&self, _api: &ApiDesc) -> DataAt {
        DataAt::Member("data".into())
    }

    fn interpret(
        &self,
        _api: &ApiDesc,
        _status: u16,
        body: &Value,
    ) -> std::result::Result<DataAt, Failure> {
        let code = text_of(body.get("code")).unwrap_or_default();
        if code == "10000"
            || (code.is_empty() && is_zero(body.get("err_no")) && body.get("data").is_some())
        {
            return Ok(DataAt::Member("data".into()));
        }
        let sub_code = text_of(body.get("sub_code")).filter(|s| !s.is_empty());
        let sub = sub_code.as_deref().unwrap_or("");
        // The platform's code table (shared PROTOCOLS.md 5.4); sub codes first, they are finer.
        let kind = match code.as_str() {
            "40003" if sub.contains("access-token") || sub.is_empty() => ErrorKind::TokenRejected,
            "60000" => ErrorKind::RateLimited,
            "20000" | "20001" => ErrorKind::PlatformDown,
            _ if sub.contains("signature")
                || sub.contains("timestamp")
                || sub.contains("app-key") =>
            {
                ErrorKind::SignatureRejected
            }
            _ if sub.contains("parameter") => ErrorKind::InvalidParams,
            "30001" | "30002" => ErrorKind::PermissionDenied,
            _ => ErrorKind::Other,
        };
        let msg = text_of(body.get("msg")).unwrap_or_default();
        let message = match text_of(body.get("sub_msg")) {
            Some(s) if !s.is_empty() => format!("{msg}: {s}"),
            _ => msg,
        };
        Err(Failure {
            code,
            sub_code,
            message,
            request_id: text_of(body.get("log_id")),
            kind,
            retry_after: None,
        })
    }
}
