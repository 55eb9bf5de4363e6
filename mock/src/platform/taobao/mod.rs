//! Taobao TOP (`taobao-top`): `/router/rest`, the API named by `method`, `sign` over every
//! text param.

mod sign;
pub mod tmc;

use super::gateway::{beijing_wall_secs, missing_param, Envelope, Gateway, Message};
use crate::{http, now_secs, MockGateway, Outcome};
use serde_json::{json, Value};

const PROTOCOL: &str = "taobao-top";

pub(super) struct Top;

impl Gateway for Top {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn serve(&self, mock: &MockGateway, req: &http::Request) -> Option<(String, Outcome)> {
        match req.path.as_str() {
            "/router/rest" => Some(call(mock, req)),
            // OAuth 2.0 (oauth.taobao.com): the authorization page and the token endpoint.
            // oauth.taobao.com's page takes `client_id` (Doudian's, on the same mock, `service_id`).
            "/authorize" if req.query.contains("client_id=") => {
                let query = http::parse_form(req.query.as_bytes());
                let id = query
                    .iter()
                    .find(|(k, _)| k == "client_id")
                    .map(|(_, v)| v.as_str());
                let platform = mock.platform_by(PROTOCOL, "app_key", id);
                let outcome = mock.authorize(&platform, "taobao.oauth.authorize", req);
                Some((platform, outcome))
            }
            "/token" => Some(oauth_token(mock, req)),
            _ => None,
        }
    }

    fn rate_limited(&self) -> Value {
        json!({"error_response": {"code": 7, "msg": "App Call Limited", "sub_code": "accesscontrol.limited-by-app-access-count", "sub_msg": "This ban will last for 1 more seconds"}})
    }

    fn envelope(
        &self,
        _: &MockGateway,
        platform: &str,
        _: &Message<'_>,
    ) -> Result<Envelope, String> {
        Err(format!(
            "`{platform}` messages come over TMC, a WebSocket the app opens, not as HTTP pushes"
        ))
    }
}

fn call(mock: &MockGateway, req: &http::Request) -> (String, Outcome) {
    let err = |api: Option<&str>, code: i64, msg: &str, sub: Option<&str>| {
        let mut e = json!({"code": code, "msg": msg, "request_id": format!("mock{}", now_secs())});
        if let Some(s) = sub {
            e["sub_code"] = json!(s);
            e["sub_msg"] = json!(msg);
        }
        Outcome::err(api, 200, code.to_string(), json!({ "error_response": e }))
    };
    let mut params = http::parse_form(req.query.as_bytes());
    // Uploads: text parts are params (signed), file parts are not signed.
    let mut files = Vec::new();
    match req.header("content-type") {
        Some(c) if c.starts_with("application/x-www-form-urlencoded") => {
            params.extend(http::parse_form(&req.body));
        }
        Some(c) if c.starts_with("multipart/form-data") => {
            let Some(parts) = http::parse_multipart(c, &req.body) else {
                let platform = mock.platform_by(PROTOCOL, "app_key", None);
                return (
                    platform,
                    err(None, 41, "Invalid Arguments", Some("isv.invalid-multipart")),
                );
            };
            for part in parts {
                match part.file_name {
                    Some(_) => files.push(part),
                    None => {
                        params.push((part.name, String::from_utf8_lossy(&part.body).into_owned()))
                    }
                }
            }
        }
        _ => {}
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(entry) = get("method").and_then(|m| mock.catalog.named(PROTOCOL, m).next()) else {
        let platform = mock.platform_by(PROTOCOL, "app_key", get("app_key"));
        let outcome = match get("method") {
            None => err(None, 21, "Missing Method", None),
            Some(_) => err(None, 22, "Invalid Method", None),
        };
        return (platform, outcome);
    };
    let (platform, api) = (entry.platform.as_str(), &entry.api);
    (
        platform.to_owned(),
        verify(mock, platform, api, &params, &files, err),
    )
}

/// The checks of the TOP router, in its order, for a call of `api` on `platform`.
fn verify(
    mock: &MockGateway,
    platform: &str,
    api: &opengate_codegen::ir::Api,
    params: &[(String, String)],
    files: &[http::Part],
    err: impl Fn(Option<&str>, i64, &str, Option<&str>) -> Outcome,
) -> Outcome {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let n = Some(api.name.as_str());
    match get("app_key") {
        None => return err(n, 28, "Missing App Key", None),
        Some(k) if Some(k) != mock.get(platform, "app_key") => {
            return err(n, 29, "Invalid App Key", None)
        }
        _ => {}
    }
    let Some(ts) = get("timestamp") else {
        return err(n, 30, "Missing Timestamp", None);
    };
    if !timestamp_ok(ts) {
        return err(n, 31, "Invalid Timestamp", Some("isv.invalid-timestamp"));
    }
    if get("v") != Some("2.0") {
        return err(n, 32, "Invalid Version", None);
    }
    let Some(sign) = get("sign") else {
        return err(n, 24, "Missing Signature", None);
    };
    let method_name = get("sign_method").unwrap_or("md5");
    let secret = mock.get(platform, "app_secret").unwrap_or_default();
    if sign::top(params, secret, method_name).as_deref() != Some(sign) {
        return err(n, 25, "Invalid Signature", None)
            .signature_refused(sign::top_shown(params, method_name), Some(sign));
    }
    // The configured session, or one this mock issued through OAuth (a seller's).
    if api.auth.checks_user_token(get("session").is_some()) {
        let Some(session) = get("session") else {
            return err(n, 26, "Missing Session", None);
        };
        match mock.check_token(platform, "user", session, Some("session")) {
            Ok(()) => {}
            Err(true) => return err(n, 27, "Invalid session", Some("session-expired")),
            Err(false) => return err(n, 27, "Invalid session", Some("invalid-sessionkey")),
        }
    }
    if let Some(missing) = missing_param(api, |f| {
        get(&f.wire).is_some_and(|v| !v.trim().is_empty())
            || files.iter().any(|p| p.name == f.wire && !p.body.is_empty())
    }) {
        return err(
            n,
            40,
            &format!("Missing required arguments:{missing}"),
            Some("isv.missing-parameter"),
        );
    }
    let key = format!(
        "{}_response",
        api.name
            .strip_prefix("taobao.")
            .unwrap_or(&api.name)
            .replace('.', "_")
    );
    let tmc = mock.lock().tmc.clone();
    if let Some(data) = tmc.and_then(|t| t.http_api(&api.name, params)) {
        return Outcome::ok(&api.name, json!({ key: data }));
    }
    let mut data = mock.answer(api, PROTOCOL, &|k| get(k).map(str::to_owned));
    // The server's clock, which a client may set its own by: the mock's, in Beijing time.
    if api.name == "taobao.time.get" {
        data["time"] = json!(beijing_wall_time(now_secs()));
    }
    Outcome::ok(&api.name, json!({ key: data }))
}

/// `secs` since the epoch as TOP writes a time: Beijing wall time, `yyyy-MM-dd HH:mm:ss`.
fn beijing_wall_time(secs: u64) -> String {
    let at = chrono::DateTime::from_timestamp(secs as i64 + 8 * 3600, 0).unwrap_or_default();
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `POST /token` (form): a seller's authorization code, or a refresh; the answer is
/// oauth.taobao.com's (`taobao_user_id` names the seller), a refusal `error` +
/// `error_description`.
fn oauth_token(mock: &MockGateway, req: &http::Request) -> (String, Outcome) {
    let form = http::parse_form(&req.body);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let platform = mock.platform_by(PROTOCOL, "app_key", get("client_id"));
    let api = Some("taobao.oauth.token");
    let fail = |status: u16, error: &str, description: &str| {
        Outcome::err(
            api,
            status,
            error,
            json!({"error": error, "error_description": description}),
        )
    };
    let outcome = if get("client_id").is_none()
        || get("client_id") != mock.get(&platform, "app_key")
        || get("client_secret") != mock.get(&platform, "app_secret")
    {
        fail(401, "invalid_client", "client_id or client_secret is wrong")
    } else {
        let granted = match get("grant_type") {
            Some("authorization_code") => mock
                .redeem_code(
                    &platform,
                    get("code").unwrap_or_default(),
                    get("redirect_uri"),
                )
                .map(|shop| {
                    (
                        Some(shop.clone()),
                        mock.issue(&platform, "user", "tb.", Some(&shop)),
                    )
                }),
            // Taobao's rule is not in the notes: the mock retires a used refresh token at once.
            Some("refresh_token") => mock.rotate(
                &platform,
                get("refresh_token").unwrap_or_default(),
                "tb.",
                std::time::Duration::ZERO,
            ),
            _ => None,
        };
        match granted {
            Some((shop, (token, refresh))) => Outcome::ok(
                "taobao.oauth.token",
                json!({"access_token": token, "token_type": "Bearer", "expires_in": mock.token_ttl.as_secs(),
                       "refresh_token": refresh, "re_expires_in": 2_592_000,
                       "taobao_user_id": shop, "taobao_user_nick": "mock-seller"}),
            ),
            None => fail(
                400,
                "invalid_grant",
                "code or refresh_token is invalid or expired",
            ),
        }
    };
    (platform, outcome)
}

/// `yyyy-MM-dd HH:mm:ss` in UTC+8 (or epoch ms), within 10 minutes.
fn timestamp_ok(ts: &str) -> bool {
    let secs = ts
        .parse::<u64>()
        .map(|ms| ms / 1000)
        .ok()
        .or_else(|| beijing_wall_secs(ts));
    secs.is_some_and(|s| s.abs_diff(now_secs()) <= 600)
}
