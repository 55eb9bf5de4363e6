//! 1688 / Alibaba AOP: `_aop_signature` = HMAC-SHA1 over the URL path
//! `param2/{version}/{namespace}/{name}/{appKey}` plus the sorted `key+value`
//! strings, upper-case hex; every param in a form body.

use crate::desc::{ApiDesc, HttpMethod, ParamLocation};
use crate::error::{Error, Result};
use crate::protocol::{
    fill_path, hmac_sha1, param_text, text_of, upper_hex, with_query, Call, DataAt, ErrorKind,
    Failure, Protocol,
};
use crate::secret::Secret;
use crate::wire::{Body, WireRequest};
use serde_json::Value;
use std::borrow::Cow;
use std::time::UNIX_EPOCH;

/// The AOP protocol for one app.
#[derive(Debug, Clone)]
pub struct Aop {
    app_key: String,
    secret: Secret,
}

impl Aop {
    pub fn new(app_key: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Aop {
            app_key: app_key.into(),
            secret: secret.into(),
        }
    }

    /// `_aop_signature` of `url_path` (`param2/1/ns/name/appKey`, no leading `/`) and the sent params.
    pub fn sign(secret: &str, url_path: &str, params: &[(String, String)]) -> String {
        // The SDK sorts the concatenated `key+value` strings, not the keys.
        let mut parts: Vec<(String, &str, &str)> = params
            .iter()
            .map(|(k, v)| (format!("{k}{v}"), k.as_str(), v.as_str()))
            .collect();
        crate::protocol::sort_java(&mut parts, |(piece, _, _)| piece);
        if tracing::enabled!(tracing::Level::TRACE) {
            let shown: String = parts
                .iter()
                .map(|(_, k, v)| format!("{k}{}", crate::protocol::shown(k, v)))
                .collect();
            crate::protocol::trace_string_to_sign(&format!("{url_path}{shown}"));
        }
        let mut msg = String::from(url_path);
        for (piece, _, _) in &parts {
            msg.push_str(piece);
        }
        upper_hex(&hmac_sha1(secret.as_bytes(), &[msg.as_bytes()]))
    }
}

/// The path template of a call of `api`: the spec's, else the gateway's
/// (`/openapi/param2/{version}/{namespace}/{name}/{app_key}`).
pub(crate) fn path(api: &ApiDesc) -> Cow<'_, str> {
    if api.path.is_empty() {
        Cow::Borrowed("/openapi/param2/{version}/{namespace}/{name}/{app_key}")
    } else {
        Cow::Borrowed(&api.path)
    }
}

impl Protocol for Aop {
    fn build(&self, call: &Call<'_>) -> Result<WireRequest> {
        let api = call.api;
        if api.namespace.is_empty() && api.path.is_empty() {
            return Err(Error::Config(format!(
                "alibaba: API `{}` has no `namespace` in its spec",
                api.name
            )));
        }
        let system = [
            ("name", &*api.name),
            ("version", &*api.version),
            ("namespace", &*api.namespace),
            ("app_key", self.app_key.as_str()),
        ];
        // What is signed is the path after `/openapi/`.
        let sign_path = fill_path(&path(api), call, &system)
            .trim_start_matches('/')
            .trim_start_matches("openapi/")
            .to_owned();
        let mut params: Vec<(String, String)> = call
            .params
            .iter()
            .filter(|p| !matches!(p.location, ParamLocation::Path | ParamLocation::Header))
            .filter_map(|p| param_text(&p.value).map(|v| (p.name.clone(), v.into_owned())))
            .collect();
        if let Some(t) = call.token {
            params.push(("access_token".into(), t.to_owned()));
        }
        let ms = call
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        params.push(("_aop_timestamp".into(), ms.to_string()));
        let sig = Aop::sign(self.secret.expose(), &sign_path, &params);
        params.push(("_aop_signature".into(), sig));
        let url = format!("{}/openapi/{sign_path}", call.base_url);
        let headers = crate::protocol::headers_of(call.params);
        let no_query: &[(&str, &str)] = &[];
        Ok(if api.method == HttpMethod::Get {
            WireRequest {
                method: api.method,
                url: with_query(&url, &params)?,
                headers,
                body: Body::Empty,
            }
        } else if !call.files.is_empty() {
            WireRequest {
                method: api.method,
                url: with_query(&url, no_query)?,
                headers,
                body: crate::protocol::multipart(params, call),
            }
        } else {
            let bytes = crate::protocol::form_body(&params);
            WireRequest {
                method: api.method,
                url: with_query(&url, no_query)?,
                headers,
                body: Body::Bytes {
                    content_type: "application/x-www-form-urlencoded;charset=UTF-8".into(),
                    bytes,
                },
            }
        })
    }

    fn interpret(
        &self,
        _api: &ApiDesc,
        status: u16,
        body: &Value,
    ) -> std::result::Result<DataAt, Failure> {
        // Business results carry `errorCode` too, `0` (or empty) when the call succeeded.
        let code = text_of(body.get("error_code"))
            .or_else(|| text_of(body.get("errorCode")))
            .filter(|c| !c.is_empty() && c != "0");
        let oauth = text_of(body.get("error")).filter(|c| !c.is_empty());
        let Some(code) = code.or(oauth.clone()) else {
            return Ok(DataAt::Whole);
        };
        let message = text_of(body.get("error_message"))
            .or_else(|| text_of(body.get("errorMessage")))
            .or_else(|| text_of(body.get("error_description")))
            .unwrap_or_default();
        let lower = code.to_ascii_lowercase();
        let kind = if code == "gw.QosAppFrequencyLimit" || lower.contains("frequency") {
            ErrorKind::RateLimited
        } else if lower.contains("signature")
            || lower.contains("appkey")
            || lower.contains("timestamp")
        {
            // Before the 401 rule: an unknown app key is answered 401 too.
            ErrorKind::SignatureRejected
        } else if lower.contains("parameter") {
            ErrorKind::InvalidParams
        } else if status == 401
            || oauth.is_some()
            || lower.contains("accesstoken")
            || lower.contains("token")
        {
            ErrorKind::TokenRejected
        } else if status >= 500 {
            ErrorKind::PlatformDown
        } else {
            ErrorKind::Other
        };
        Err(Failure {
            code,
            sub_code: text_of(body.get("exception")).filter(|s| !s.is_empty()),
            message,
            request_id: text_of(body.get("request_id")),
            kind,
            retry_after: None,
        })
    }
}
