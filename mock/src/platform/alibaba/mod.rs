//! 1688 (`alibaba-aop`): `/openapi/param2/{version}/{namespace}/{name}/{appKey}`, signed with
//! the URL path, and the token endpoint `system.oauth2/getToken`.

mod sign;

use super::gateway::{self, missing_param, Envelope, Gateway, Message};
use crate::{http, now_secs, MockGateway, Outcome};
use opengate_codegen::ir::Api;
use serde_json::{json, Value};

const PROTOCOL: &str = "alibaba-aop";

pub(super) struct Aop;

impl Gateway for Aop {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn serve(&self, mock: &MockGateway, req: &http::Request) -> Option<(String, Outcome)> {
        let p = req.path.as_str();
        if p == "/oauth/authorize" {
            return Some(authorize(mock, req));
        }
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

    /// A form with the message as JSON in `message`, signed in `_aop_signature` as an API
    /// call is but without a URL path.
    fn envelope(
        &self,
        mock: &MockGateway,
        platform: &str,
        m: &Message<'_>,
    ) -> Result<Envelope, String> {
        let secret = m.secret(mock.get(platform, "app_secret"));
        let message = json!({
            "msgId": m.id,
            "type": m.kind,
            "userInfo": m.shop.unwrap_or("mock-member"),
            "gmtBorn": now_secs() * 1000,
            "data": m.payload,
        })
        .to_string();
        let params = vec![("message".to_owned(), message)];
        let signature = sign::aop("", &params, &secret);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .append_pair("_aop_signature", &signature)
            .finish()
            .into_bytes();
        Ok(Envelope {
            content_type: "application/x-www-form-urlencoded",
            headers: Vec::new(),
            body,
            accepted: gateway::status_ok,
        })
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
    if api.auth.checks_user_token(get("access_token").is_some()) {
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
    Outcome::ok(
        &api.name,
        mock.answer(api, PROTOCOL, &|k| get(k).map(str::to_owned)),
    )
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
    let shop = match get("grant_type") {
        Some("refresh_token") => {
            let rt = get("refresh_token").unwrap_or_default();
            match mock.redeem_refresh(platform, rt) {
                Some(shop) => shop,
                None => return fail(401, "invalid_grant", "refresh_token is invalid or expired"),
            }
        }
        Some("authorization_code") => {
            let code = get("code").unwrap_or_default();
            match mock.redeem_code(platform, code, get("redirect_uri")) {
                Some(member) => Some(member),
                None => return fail(401, "invalid_grant", "code is invalid or expired"),
            }
        }
        _ => {
            return fail(
                400,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        }
    };
    let (token, refresh) = mock.issue(platform, "user", "aop.", shop.as_deref());
    let member = shop.unwrap_or_else(|| "b2b-8888".to_owned());
    // 1688 sends numbers as text here.
    Outcome::ok(
        "system.oauth2.getToken",
        json!({"access_token": token, "expires_in": mock.token_ttl.as_secs().to_string(),
               "refresh_token": refresh, "refresh_token_timeout": "20991231000000000+0800",
               "aliId": "8888", "resource_owner": "mock-buyer", "memberId": member}),
    )
}

/// `GET /oauth/authorize` (auth.1688.com): the page checks `_aop_signature`, made over the
/// params alone (no URL path), before it asks the member.
fn authorize(mock: &MockGateway, req: &http::Request) -> (String, Outcome) {
    let query = http::parse_form(req.query.as_bytes());
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let platform = mock.platform_by(PROTOCOL, "app_key", get("client_id"));
    // Signed: every param but the signature and the mock's own `shop` (who is agreeing).
    let signed: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "_aop_signature" && k != "shop")
        .cloned()
        .collect();
    let secret = mock.get(&platform, "app_secret").unwrap_or_default();
    if get("_aop_signature") != Some(sign::aop("", &signed, secret).as_str()) {
        let outcome = Outcome::err(
            Some("oauth.authorize"),
            400,
            "invalid_signature",
            json!({"error": "invalid_signature", "error_description": "_aop_signature is wrong"}),
        );
        return (platform, outcome);
    }
    let outcome = mock.authorize(&platform, "oauth.authorize", req);
    (platform, outcome)
}
