//! 1688 (`alibaba-aop`): `/openapi/param2/{version}/{namespace}/{name}/{appKey}`, signed with
//! the URL path, and the token endpoint `system.oauth2/getToken`.

use super::{missing_param, Gateway};
use crate::{http, now_secs, sign, synth, MockGateway, Outcome};
use opengate_codegen::ir::{Api, Auth};
use serde_json::{json, Value};

const PROTOCOL: &str = "alibaba-aop";

pub(super) struct Aop;

impl Gateway for Aop {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn serve(&self, mock: &MockGateway, req: &http::Request) -> Option<(String, Outcome)> {
        let p = req.path.as_str();
        if let Some(app_key) = p.strip_prefix("/openapi/http/1/system.oauth2/getToken/") {
            let platform = mock.platform_by(PROTOCOL, "app_key", Some(app_key));
            let outcome = token(mock, req, &platform, app_key);
            return Some((platform, outcome));
        }
        let rest = p.strip_prefix("/openapi/")?;
        Some(call(mock, req, rest))
    }

    fn rate_limited(&self) -> Value {
        json!({"error_code": "gw.QosAppFrequencyLimit", "error_message": "App frequency limit"})
    }
}

fn err(api: Option<&str>, status: u16, code: &str, msg: &str) -> Outcome {
    Outcome::err(
        api,
        status,
        code,
        json!({"error_code": code, "error_message": msg, "exception": msg, "request_id": format!("mock{}", now_secs())}),
    )
}

fn call(mock: &MockGateway, req: &http::Request, rest: &str) -> (String, Outcome) {
    // param2/{version}/{namespace}/{name}/{appKey}
    let parts: Vec<&str> = rest.split('/').collect();
    let found = match parts.as_slice() {
        [_, version, namespace, name, app_key] => mock
            .catalog
            .named(PROTOCOL, name)
            .find(|e| e.api.version == *version && e.api.namespace == *namespace)
            .ok_or((*app_key, "API not found")),
        _ => Err(("", "bad API path")),
    };
    match found {
        Ok(entry) => {
            let outcome = verify(mock, req, &entry.platform, &entry.api, &parts);
            (entry.platform.clone(), outcome)
        }
        Err((app_key, why)) => (
            mock.platform_by(PROTOCOL, "app_key", Some(app_key)),
            err(None, 400, "gw.APIUnsupported", why),
        ),
    }
}

fn verify(
    mock: &MockGateway,
    req: &http::Request,
    platform: &str,
    api: &Api,
    parts: &[&str],
) -> Outcome {
    let [proto, version, namespace, name, app_key] = parts else {
        return err(None, 400, "gw.APIUnsupported", "bad API path");
    };
    let n = Some(api.name.as_str());
    if *proto != "param2" {
        return err(n, 400, "gw.APIUnsupported", "protocol not supported");
    }
    if Some(*app_key) != mock.get(platform, "app_key") {
        return err(n, 401, "gw.AppKeyNotExist", "App key not exist");
    }
    let mut params = http::parse_form(req.query.as_bytes());
    if req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        params.extend(http::parse_form(&req.body));
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(sig) = get("_aop_signature") else {
        return err(n, 400, "gw.SignatureInvalid", "signature missing");
    };
    let url_path = format!("param2/{version}/{namespace}/{name}/{app_key}");
    if sign::aop(
        &url_path,
        &params,
        mock.get(platform, "app_secret").unwrap_or_default(),
    ) != sig
    {
        return err(
            n,
            400,
            "gw.SignatureInvalid",
            "Request signature is invalid",
        )
        .signature_refused(sign::aop_shown(&url_path, &params), Some(sig));
    }
    if let Some(ts) = get("_aop_timestamp") {
        let ok = ts
            .parse::<u64>()
            .is_ok_and(|ms| (ms / 1000).abs_diff(now_secs()) <= 600);
        if !ok {
            return err(n, 400, "gw.TimestampInvalid", "timestamp out of range");
        }
    }
    if api.auth == Auth::User {
        let token = get("access_token").unwrap_or_default();
        if let Err(expired) = mock.check_token(platform, "user", token, Some("access_token")) {
            let why = if expired { "expired" } else { "invalid" };
            return err(
                n,
                401,
                "gw.AccessTokenInvalid",
                &format!("access_token is {why}"),
            );
        }
    }
    if let Some(missing) = missing_param(api, |f| get(&f.wire).is_some()) {
        return err(
            n,
            400,
            "gw.MissingParameter",
            &format!("missing parameter: {missing}"),
        );
    }
    Outcome::ok(&api.name, synth::response(api, PROTOCOL))
}

/// `POST /openapi/http/1/system.oauth2/getToken/{appKey}` (form, not signed): a new access
/// token for a valid refresh token (the configured `refresh_token`, or one this mock issued).
fn token(mock: &MockGateway, req: &http::Request, platform: &str, app_key: &str) -> Outcome {
    let api = Some("system.oauth2.getToken");
    let mut form = http::parse_form(req.query.as_bytes());
    form.extend(http::parse_form(&req.body));
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let fail = |status: u16, error: &str, description: &str| {
        Outcome::err(
            api,
            status,
            error,
            json!({"error": error, "error_description": description}),
        )
    };
    if req.method != "POST" {
        return fail(400, "invalid_request", "getToken must be POSTed");
    }
    let app_ok = Some(app_key) == mock.get(platform, "app_key")
        && get("client_id") == Some(app_key)
        && get("client_secret") == mock.get(platform, "app_secret");
    if !app_ok {
        return fail(401, "invalid_client", "client_id or client_secret is wrong");
    }
    if get("grant_type") != Some("refresh_token") {
        return fail(
            400,
            "unsupported_grant_type",
            "grant_type must be refresh_token",
        );
    }
    let rt = get("refresh_token").unwrap_or_default();
    if mock.redeem_refresh(platform, rt).is_none() {
        return fail(401, "invalid_grant", "refresh_token is invalid or expired");
    }
    let (token, refresh) = mock.issue(platform, "user", "aop.", None);
    // 1688 sends numbers as text here.
    Outcome::ok(
        "system.oauth2.getToken",
        json!({"access_token": token, "expires_in": mock.token_ttl.as_secs().to_string(),
               "refresh_token": refresh, "refresh_token_timeout": "20991231000000000+0800",
               "aliId": "8888", "resource_owner": "mock-buyer", "memberId": "b2b-8888"}),
    )
}
