//! Douyin open platform and 精选联盟: no signature; `access-token` header, JSON
//! body, some params (`open_id`) in the query. Three envelope styles.

use crate::desc::{ApiDesc, HttpMethod, ParamLocation};
use crate::error::Result;
use crate::protocol::{
    body_multipart, fill_path, form_body, headers_of, is_zero, json_body, text_of, text_pairs,
    with_query, Call, DataAt, ErrorKind, Failure, Protocol,
};
use crate::wire::{Body, WireRequest};
use serde_json::Value;
use std::borrow::Cow;

/// The Douyin protocol.
#[derive(Debug, Clone, Default)]
pub struct Douyin;

fn kind_of(code: &str) -> ErrorKind {
    match code {
        "10008" | "2190008" | "2190002" => ErrorKind::TokenRejected,
        "2100004" => ErrorKind::RateLimited,
        _ => ErrorKind::Other,
    }
}

/// The path template of a call of `api`: every Douyin spec names its path.
pub(crate) fn path(api: &ApiDesc) -> Cow<'_, str> {
    Cow::Borrowed(&api.path)
}

impl Protocol for Douyin {
    fn build(&self, call: &Call<'_>) -> Result<WireRequest> {
        let api = call.api;
        let path = fill_path(
            &path(api),
            call,
            &[("name", &api.name), ("version", &api.version)],
        );
        let is_get = api.method == HttpMethod::Get;
        let query = text_pairs(call.params, |l| {
            l == ParamLocation::Query
                || (is_get
                    && matches!(
                        l,
                        ParamLocation::Default | ParamLocation::Body | ParamLocation::Form
                    ))
        });
        let url = with_query(&format!("{}{path}", call.base_url), &query)?;
        let mut headers = headers_of(call.params);
        if let Some(t) = call.token {
            headers.push(("access-token".into(), t.to_owned()));
        }
        // A few endpoints (`/oauth/refresh_token/`) take a form rather than JSON: their specs
        // put the params `in: form`. Uploads are multipart.
        let body = if is_get {
            Body::Empty
        } else if !call.files.is_empty() {
            body_multipart(call)
        } else if call
            .params
            .iter()
            .any(|p| p.location == ParamLocation::Form)
        {
            let pairs = text_pairs(call.params, |l| {
                matches!(
                    l,
                    ParamLocation::Default | ParamLocation::Body | ParamLocation::Form
                )
            });
            Body::Bytes {
                content_type: "application/x-www-form-urlencoded".into(),
                bytes: form_body(&pairs),
            }
        } else {
            json_body(call.params)
        };
        Ok(WireRequest {
            method: api.method,
            url,
            headers,
            body,
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
        let fail =
            |code: String, sub: Option<String>, msg: Option<String>, id: Option<String>| Failure {
                kind: kind_of(&code),
                code,
                sub_code: sub.filter(|s| !s.is_empty() && s != "0"),
                message: msg.unwrap_or_default(),
                request_id: id,
                retry_after: None,
            };
        let log_id = text_of(body.get("log_id")).or_else(|| text_of(body.pointer("/extra/logid")));
        if !is_zero(body.get("err_no")) {
            let msg = text_of(body.get("err_msg")).or_else(|| text_of(body.get("err_tips")));
            return Err(fail(
                text_of(body.get("err_no")).unwrap_or_default(),
                None,
                msg,
                log_id,
            ));
        }
        if let Some(extra) = body.get("extra") {
            if !is_zero(extra.get("error_code")) {
                return Err(fail(
                    text_of(extra.get("error_code")).unwrap_or_default(),
                    text_of(extra.get("sub_error_code")),
                    text_of(extra.get("description")),
                    log_id,
                ));
            }
        }
        if let Some(base) = body.get("base") {
            for (code, msg) in [("gateway_code", "gateway_msg"), ("biz_code", "biz_msg")] {
                if !is_zero(base.get(code)) {
                    return Err(fail(
                        text_of(base.get(code)).unwrap_or_default(),
                        None,
                        text_of(base.get(msg)),
                        text_of(base.get("log_id")).or(log_id),
                    ));
                }
            }
        }
        if let Some(data) = body.get("data") {
            if !is_zero(data.get("error_code")) {
                return Err(fail(
                    text_of(data.get("error_code")).unwrap_or_default(),
                    None,
                    text_of(data.get("description")),
                    log_id,
                ));
            }
        }
        // The public task pages: `{"code": 0, "msg": "...", "data": {...}}`.
        if body.get("code").is_some_and(Value::is_number) && !is_zero(body.get("code")) {
            return Err(fail(
                text_of(body.get("code")).unwrap_or_default(),
                None,
                text_of(body.get("msg")).or_else(|| text_of(body.get("message"))),
                log_id,
            ));
        }
        Ok(if body.get("data").is_some() {
            DataAt::Member("data".into())
        } else {
            DataAt::Whole
        })
    }
}
