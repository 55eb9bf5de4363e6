//! Youzan: no signature; `access_token` in the URL query, JSON body (`{}` when empty).

use crate::desc::{ApiDesc, AuthKind, HttpMethod, ParamLocation};
use crate::error::Result;
use crate::protocol::{
    body_multipart, fill_path, headers_of, json_body, text_of, text_pairs, with_query, Call,
    DataAt, ErrorKind, Failure, Protocol,
};
use crate::wire::{Body, WireRequest};
use serde_json::Value;
use std::borrow::Cow;

/// The Youzan protocol.
#[derive(Debug, Clone, Default)]
pub struct Youzan;

/// The path template of a call of `api`: the spec's, else the gateway's (`auth_exempt` for
/// APIs that take no token).
pub(crate) fn path(api: &ApiDesc) -> Cow<'_, str> {
    Cow::Borrowed(if !api.path.is_empty() {
        &api.path
    } else if api.auth == AuthKind::None {
        "/api/auth_exempt/{name}/{version}"
    } else {
        "/api/{name}/{version}"
    })
}

impl Protocol for Youzan {
    fn build(&self, call: &Call<'_>) -> Result<WireRequest> {
        let api = call.api;
        let path = fill_path(
            &path(api),
            call,
            &[("name", &api.name), ("version", &api.version)],
        );
        let mut query = Vec::new();
        if let Some(t) = call.token {
            query.push(("access_token".to_owned(), t.to_owned()));
        }
        let is_get = api.method == HttpMethod::Get;
        query.extend(text_pairs(call.params, |l| {
            l == ParamLocation::Query
                || (is_get && l != ParamLocation::Header && l != ParamLocation::Path)
        }));
        let url = with_query(&format!("{}{path}", call.base_url), &query)?;
        let body = if is_get {
            Body::Empty
        } else if !call.files.is_empty() {
            body_multipart(call)
        } else {
            json_body(call.params)
        };
        Ok(WireRequest {
            method: api.method,
            url,
            headers: headers_of(call.params),
            body,
        })
    }

    fn interpret(
        &self,
        _api: &ApiDesc,
        _status: u16,
        body: &Value,
    ) -> std::result::Result<DataAt, Failure> {
        // The Go SDK's order: gw_err_resp, error_response, response, success.
        if let Some(gw) = body.get("gw_err_resp") {
            let code = text_of(gw.get("err_code")).unwrap_or_default();
            let kind = match code.as_str() {
                "4201" | "4202" | "4203" => ErrorKind::TokenRejected,
                "4101" => ErrorKind::RateLimited,
                "4204" => ErrorKind::PermissionDenied,
                _ => ErrorKind::Other,
            };
            return Err(Failure {
                code,
                sub_code: None,
                message: text_of(gw.get("err_msg")).unwrap_or_default(),
                request_id: text_of(gw.get("trace_id")),
                kind,
                retry_after: None,
            });
        }
        if let Some(err) = body.get("error_response") {
            return Err(Failure {
                code: text_of(err.get("code")).unwrap_or_default(),
                sub_code: None,
                message: text_of(err.get("msg"))
                    .or_else(|| text_of(err.get("message")))
                    .unwrap_or_default(),
                request_id: text_of(body.get("trace_id")),
                kind: ErrorKind::Other,
                retry_after: None,
            });
        }
        if body.get("response").is_some_and(Value::is_object) {
            return Ok(DataAt::Member("response".into()));
        }
        if matches!(body.get("success"), Some(Value::Bool(false))) {
            return Err(Failure {
                code: text_of(body.get("code")).unwrap_or_default(),
                sub_code: None,
                message: text_of(body.get("message")).unwrap_or_default(),
                request_id: text_of(body.get("trace_id")),
                kind: ErrorKind::Other,
                retry_after: None,
            });
        }
        Ok(DataAt::Whole)
    }
}
