//! Taobao / Tmall TOP: system params in the URL, business params in a form
//! body, `sign` over every sent text param in Java order.

use crate::desc::{ApiDesc, HttpMethod, ParamLocation};
use crate::error::{Error, Result};
use crate::protocol::{
    hmac_md5, hmac_sha256, is_blank, md5, param_text, sort_java, text_of, upper_hex, with_query,
    Call, DataAt, ErrorKind, Failure, Protocol,
};
use crate::secret::Secret;
use crate::wire::{Body, WireRequest};
use serde_json::Value;
use std::borrow::Cow;
use std::time::Duration;

/// TOP `sign_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaobaoSignMethod {
    /// `MD5(secret + s + secret)`.
    Md5,
    /// HMAC-MD5 keyed with the secret.
    Hmac,
    /// HMAC-SHA256 keyed with the secret.
    HmacSha256,
}

impl TaobaoSignMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TaobaoSignMethod::Md5 => "md5",
            TaobaoSignMethod::Hmac => "hmac",
            TaobaoSignMethod::HmacSha256 => "hmac-sha256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "md5" => TaobaoSignMethod::Md5,
            "hmac" => TaobaoSignMethod::Hmac,
            "hmac-sha256" => TaobaoSignMethod::HmacSha256,
            _ => return None,
        })
    }
}

/// A param's text as TOP takes it: a list of scalars (`String[]`, `Number[]`) is comma-joined,
/// as the API docs ask ("多个用半角逗号分隔") and the official SDKs send them; objects and lists
/// of objects travel as JSON text, as the SDKs' JSON writer sends them.
fn top_text(v: &serde_json::Value) -> Option<Cow<'_, str>> {
    use serde_json::Value;
    match v {
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => {
            let texts: Vec<Cow<'_, str>> = items.iter().filter_map(param_text).collect();
            Some(Cow::Owned(texts.join(",")))
        }
        other => param_text(other),
    }
}

/// The TOP protocol for one app.
#[derive(Debug, Clone)]
pub struct Taobao {
    app_key: String,
    secret: Secret,
    sign_method: TaobaoSignMethod,
}

impl Taobao {
    pub fn new(
        app_key: impl Into<String>,
        secret: impl Into<Secret>,
        sign_method: TaobaoSignMethod,
    ) -> Self {
        Taobao {
            app_key: app_key.into(),
            secret: secret.into(),
            sign_method,
        }
    }

    /// The TOP signature of a set of text params (plus an optional raw body), upper-case hex.
    /// Blank keys or values are skipped, as the Java SDK does.
    pub fn sign<'p, K, V>(
        secret: &str,
        method: TaobaoSignMethod,
        params: impl IntoIterator<Item = &'p (K, V)>,
        body: Option<&str>,
    ) -> String
    where
        K: AsRef<str> + 'p,
        V: AsRef<str> + 'p,
    {
        let mut sorted: Vec<(&str, &str)> = params
            .into_iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .filter(|(k, v)| !is_blank(k) && !is_blank(v))
            .collect();
        sort_java(&mut sorted, |(k, _)| k);
        if tracing::enabled!(tracing::Level::TRACE) {
            let pairs: String = sorted
                .iter()
                .map(|(k, v)| format!("{k}{}", crate::protocol::shown(k, v)))
                .collect();
            let wrap = if method == TaobaoSignMethod::Md5 {
                "***"
            } else {
                ""
            };
            let body = body.map_or("", |_| "<body>");
            crate::protocol::trace_string_to_sign(&format!("{wrap}{pairs}{body}{wrap}"));
        }
        // The signed string is `k1v1k2v2...[body]`, fed to the digest piece by piece.
        let mut parts: Vec<&[u8]> = Vec::with_capacity(2 * sorted.len() + 3);
        let wrap = method == TaobaoSignMethod::Md5;
        if wrap {
            parts.push(secret.as_bytes());
        }
        for (k, v) in sorted {
            parts.push(k.as_bytes());
            parts.push(v.as_bytes());
        }
        if let Some(b) = body {
            parts.push(b.as_bytes());
        }
        if wrap {
            parts.push(secret.as_bytes());
        }
        let digest = match method {
            TaobaoSignMethod::Md5 => md5(&parts).to_vec(),
            TaobaoSignMethod::Hmac => hmac_md5(secret.as_bytes(), &parts),
            TaobaoSignMethod::HmacSha256 => hmac_sha256(secret.as_bytes(), &parts),
        };
        upper_hex(&digest)
    }
}

/// The path of a call of `api`: TOP's one router, unless the spec says another.
pub(crate) fn path(api: &ApiDesc) -> Cow<'_, str> {
    if api.path.is_empty() {
        Cow::Borrowed("/router/rest")
    } else {
        Cow::Borrowed(&api.path)
    }
}

impl Protocol for Taobao {
    fn build(&self, call: &Call<'_>) -> Result<WireRequest> {
        let api = call.api;
        if self.app_key.is_empty() {
            return Err(Error::Config("taobao: `app_key` is empty".into()));
        }
        // Borrowed wherever the text already exists: this runs on every call.
        let mut query: Vec<(&str, Cow<'_, str>)> = vec![
            ("method", Cow::Borrowed(&api.name)),
            ("app_key", Cow::Borrowed(&self.app_key)),
            (
                "timestamp",
                Cow::Owned(crate::types::beijing_timestamp(call.now)),
            ),
            ("v", Cow::Borrowed("2.0")),
            ("sign_method", Cow::Borrowed(self.sign_method.as_str())),
            ("format", Cow::Borrowed("json")),
        ];
        if let Some(t) = call.token {
            query.push(("session", Cow::Borrowed(t)));
        }
        let is_get = api.method == HttpMethod::Get;
        let mut form = Vec::new();
        for p in call.params {
            let Some(v) = top_text(&p.value) else {
                continue;
            };
            if is_blank(&v) {
                continue; // neither sent nor signed
            }
            match p.location {
                ParamLocation::Header => {}
                ParamLocation::Query | ParamLocation::Path => query.push((&p.name, v)),
                _ if is_get => query.push((&p.name, v)),
                _ => form.push((p.name.as_str(), v)),
            }
        }
        let sign = Taobao::sign(
            self.secret.expose(),
            self.sign_method,
            query.iter().chain(&form),
            None,
        );
        query.push(("sign", Cow::Owned(sign)));
        let path = path(api);
        let url = with_query(&format!("{}{path}", call.base_url), &query)?;
        let body = if !call.files.is_empty() {
            let fields = form
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.into_owned()))
                .collect();
            crate::protocol::multipart(fields, call)
        } else if is_get {
            Body::Empty
        } else {
            Body::Bytes {
                content_type: "application/x-www-form-urlencoded;charset=UTF-8".into(),
                bytes: crate::protocol::form_body(&form),
            }
        };
        Ok(WireRequest {
            method: api.method,
            url,
            headers: crate::protocol::headers_of(call.params),
            body,
        })
    }

    fn data_hint(&self, api: &ApiDesc) -> DataAt {
        // `taobao.trade.fullinfo.get` answers in `trade_fullinfo_get_response`.
        let name = api.name.strip_prefix("taobao.").unwrap_or(&api.name);
        DataAt::Member(format!("{}_response", name.replace('.', "_")))
    }

    fn interpret(
        &self,
        _api: &ApiDesc,
        _status: u16,
        body: &Value,
    ) -> std::result::Result<DataAt, Failure> {
        if let Some(err) = body.get("error_response") {
            let code = text_of(err.get("code")).unwrap_or_default();
            let sub_code = text_of(err.get("sub_code")).filter(|s| !s.is_empty());
            let msg = text_of(err.get("msg")).unwrap_or_default();
            let message = match text_of(err.get("sub_msg")) {
                Some(sub) if !sub.is_empty() => format!("{msg}: {sub}"),
                _ => msg,
            };
            let sub = sub_code.as_deref().unwrap_or("");
            // The codes of the TOP error list (shared PROTOCOLS.md 1.4).
            let kind = match code.as_str() {
                "26" | "27" => ErrorKind::TokenRejected,
                "4" | "5" | "6" | "7" | "8" => ErrorKind::RateLimited,
                _ if sub == "isp.call-limited" || sub.starts_with("accesscontrol.limited") => {
                    ErrorKind::RateLimited
                }
                _ if sub.starts_with("isp.") => ErrorKind::PlatformDown,
                "24" | "25" | "28" | "29" | "30" | "31" => ErrorKind::SignatureRejected,
                "11" | "12" => ErrorKind::PermissionDenied,
                "40" | "41" => ErrorKind::InvalidParams,
                _ if sub.starts_with("isv.missing-parameter")
                    || sub.starts_with("isv.invalid-parameter") =>
                {
                    ErrorKind::InvalidParams
                }
                _ => ErrorKind::Other,
            };
            let retry_after = (kind == ErrorKind::RateLimited)
                .then(|| ban_seconds(&message))
                .flatten()
                .map(Duration::from_secs);
            return Err(Failure {
                code,
                sub_code,
                message,
                request_id: text_of(err.get("request_id")),
                kind,
                retry_after,
            });
        }
        // The Java SDK takes the first object-valued member of the root (`*_response`).
        match body.as_object().and_then(|o| {
            o.iter()
                .find(|(k, v)| k.ends_with("_response") && v.is_object())
        }) {
            Some((k, _)) => Ok(DataAt::Member(k.to_string())),
            None => Ok(DataAt::Whole),
        }
    }
}

/// N in Taobao's "This ban will last for N more seconds" (code 7, `accesscontrol.*`).
fn ban_seconds(message: &str) -> Option<u64> {
    let rest = &message[message.find("ban will last for ")? + "ban will last for ".len()..];
    let digits = rest.split(' ').next()?;
    rest[digits.len()..]
        .starts_with(" more second")
        .then(|| digits.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::{ban_seconds, top_text};
    use serde_json::json;

    #[test]
    fn lists_of_scalars_are_comma_joined_and_objects_are_json() {
        let text = |v| top_text(&v).map(|t| t.into_owned());
        assert_eq!(text(json!([1, 22, 333])).as_deref(), Some("1,22,333"));
        assert_eq!(text(json!(["a", "b"])).as_deref(), Some("a,b"));
        assert_eq!(text(json!([])).as_deref(), Some(""));
        assert_eq!(
            text(json!([{"sku_id": 1}])).as_deref(),
            Some(r#"[{"sku_id":1}]"#)
        );
        assert_eq!(
            text(json!({"a": [1, 2]})).as_deref(),
            Some(r#"{"a":[1,2]}"#)
        );
        assert_eq!(text(json!(null)), None);
    }

    #[test]
    fn the_ban_length_is_read_from_the_message() {
        let m = "App Call Limited: This ban will last for 57 more seconds";
        assert_eq!(ban_seconds(m), Some(57));
        assert_eq!(ban_seconds("This ban will last for 1 more second"), Some(1));
        assert_eq!(
            ban_seconds("This ban will last for many more seconds"),
            None
        );
        assert_eq!(ban_seconds("App Call Limited"), None);
    }
}
