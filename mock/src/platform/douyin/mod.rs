//! Douyin (`douyin`): each API at its own path, JSON bodies, the token in the `access-token`
//! header; token endpoints `/oauth/client_token/` and `/oauth/refresh_token/`.

use super::gateway::{self, missing_param, query_json, Envelope, Gateway, Message};
use crate::{http, now_secs, MockGateway, Outcome};
use opengate_codegen::ir::{self, Auth, Location};
use serde_json::{json, Value};

const PROTOCOL: &str = "douyin";

pub(super) struct Douyin;

impl Gateway for Douyin {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn serve(&self, mock: &MockGateway, req: &http::Request) -> Option<(String, Outcome)> {
        let p = req.path.as_str();
        if p == "/platform/oauth/connect/" {
            let query = http::parse_form(req.query.as_bytes());
            let key = query
                .iter()
                .find(|(k, _)| k == "client_key")
                .map(|(_, v)| v.as_str());
            let platform = mock.platform_by(PROTOCOL, "client_key", key);
            let outcome = mock.authorize(&platform, "oauth.connect", req);
            return Some((platform, outcome));
        }
        if matches!(
            p,
            "/oauth/client_token/"
                | "/oauth/refresh_token/"
                | "/oauth/access_token/"
                | "/oauth/renew_refresh_token/"
        ) {
            let platform = mock.platform_by(PROTOCOL, "client_key", client_key(req).as_deref());
            let outcome = match p {
                "/oauth/client_token/" => client_token(mock, req, &platform),
                "/oauth/access_token/" => access_token(mock, req, &platform),
                "/oauth/renew_refresh_token/" => renew_refresh_token(mock, req, &platform),
                _ => refresh_token(mock, req, &platform),
            };
            return Some((platform, outcome));
        }
        let entry = mock.catalog.at_path(PROTOCOL, p)?;
        Some((
            entry.platform.clone(),
            call(mock, req, &entry.platform, &entry.api),
        ))
    }

    fn rate_limited(&self) -> Value {
        json!({"data": {"error_code": 2100004, "description": "系统繁忙"}, "extra": {"error_code": 2100004, "description": "系统繁忙"}})
    }

    /// A JSON object with the event, the user it is about and the content as JSON text,
    /// signed in `X-Douyin-Signature`, the message id in `Msg-Id`.
    fn envelope(
        &self,
        mock: &MockGateway,
        platform: &str,
        m: &Message<'_>,
    ) -> Result<Envelope, String> {
        let client_key = mock.get(platform, "client_key").unwrap_or_default();
        let secret = m.secret(mock.get(platform, "client_secret"));
        let body = json!({
            "event": m.kind,
            "client_key": client_key,
            "from_user_id": m.shop.unwrap_or("mock-open-id"),
            "content": m.payload_text(),
            "log_id": m.id,
        })
        .to_string()
        .into_bytes();
        Ok(Envelope {
            content_type: "application/json",
            headers: vec![
                ("Msg-Id", m.id.to_owned()),
                ("X-Douyin-Signature", douyin_push(&secret, &body)),
            ],
            body,
            accepted: gateway::status_ok,
        })
    }
}

/// The `client_key` a token request names: in its JSON body or its form.
fn client_key(req: &http::Request) -> Option<String> {
    if let Ok(body) = serde_json::from_slice::<Value>(&req.body) {
        return body.get("client_key")?.as_str().map(str::to_owned);
    }
    http::parse_form(&req.body)
        .into_iter()
        .find_map(|(k, v)| (k == "client_key").then_some(v))
}

fn client_token(mock: &MockGateway, req: &http::Request, platform: &str) -> Outcome {
    let api = Some("oauth.client_token");
    let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let ok = body.get("client_key").and_then(Value::as_str) == mock.get(platform, "client_key")
        && body.get("client_secret").and_then(Value::as_str) == mock.get(platform, "client_secret")
        && body.get("grant_type").and_then(Value::as_str) == Some("client_credential")
        && mock.get(platform, "client_key").is_some();
    if !ok {
        return Outcome::err(
            api,
            200,
            "10013",
            json!({"data": {"error_code": 10013, "description": "client_key或client_secret错误"}, "message": "error"}),
        );
    }
    let (token, _) = mock.issue(platform, "client", "clt.", None);
    Outcome::ok(
        "oauth.client_token",
        json!({"data": {"access_token": token, "expires_in": mock.token_ttl.as_secs(), "error_code": 0, "description": ""}, "message": "success"}),
    )
}

/// `POST /oauth/access_token/` (JSON): a user's authorization code for their token; `open_id`
/// names the user (the shop of the grant).
fn access_token(mock: &MockGateway, req: &http::Request, platform: &str) -> Outcome {
    let api = Some("oauth.access_token");
    let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let s = |k: &str| body.get(k).and_then(Value::as_str);
    let fail = |code: i64, msg: &str| {
        Outcome::err(
            api,
            200,
            code.to_string(),
            json!({"data": {"error_code": code, "description": msg}, "message": "error"}),
        )
    };
    if s("client_key").is_none()
        || s("client_key") != mock.get(platform, "client_key")
        || s("client_secret") != mock.get(platform, "client_secret")
        || s("grant_type") != Some("authorization_code")
    {
        return fail(10013, "client_key或client_secret错误");
    }
    let Some(user) = mock.redeem_code(platform, s("code").unwrap_or_default(), None) else {
        return fail(10007, "授权码过期");
    };
    let (token, refresh) = mock.issue(platform, "user", "act.", Some(&user));
    // `data.log_id`: the official SDK's model of the answer has it.
    Outcome::ok(
        "oauth.access_token",
        json!({"data": {"access_token": token, "expires_in": mock.token_ttl.as_secs(), "refresh_token": refresh, "refresh_expires_in": 2592000, "open_id": user, "scope": "user_info", "error_code": 0, "description": "", "log_id": format!("{}", now_secs())}, "message": "success"}),
    )
}

/// `POST /oauth/renew_refresh_token/` (form): a new refresh token, at most five times for one
/// authorization (10020 after that, as Douyin's doc says).
fn renew_refresh_token(mock: &MockGateway, req: &http::Request, platform: &str) -> Outcome {
    let api = Some("oauth.renew_refresh_token");
    // A form as the doc says; the imported spec sends JSON, so that is read too.
    let form: Vec<(String, String)> = match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => m
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
            .collect(),
        _ => http::parse_form(&req.body),
    };
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let fail = |code: i64, msg: &str| {
        Outcome::err(
            api,
            200,
            code.to_string(),
            json!({"data": {"error_code": code, "description": msg}, "message": "error"}),
        )
    };
    if get("client_key").is_none() || get("client_key") != mock.get(platform, "client_key") {
        return fail(10013, "client_key 错误");
    }
    match mock.renew_refresh(platform, get("refresh_token").unwrap_or_default(), 5) {
        Ok(renewed) => Outcome::ok(
            "oauth.renew_refresh_token",
            json!({"data": {"refresh_token": renewed, "expires_in": 2592000, "error_code": 0, "description": ""}, "message": "success"}),
        ),
        Err(true) => fail(10020, "刷新次数已达上限"),
        Err(false) => fail(10010, "refresh_token 已过期"),
    }
}

/// `POST /oauth/refresh_token/` (form): a new user access token for a valid refresh token
/// (the configured `refresh_token`, or one this mock issued). The refresh token stays what it
/// was: Douyin's doc says a refresh leaves it (and its 30 days) unchanged.
fn refresh_token(mock: &MockGateway, req: &http::Request, platform: &str) -> Outcome {
    let api = Some("oauth.refresh_token");
    let form = http::parse_form(&req.body);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let fail = |code: i64, msg: &str| {
        Outcome::err(
            api,
            200,
            code.to_string(),
            json!({"data": {"error_code": code, "description": msg}, "message": "error"}),
        )
    };
    if !req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        return fail(
            2100005,
            "Content-Type 必须是 application/x-www-form-urlencoded",
        );
    }
    if get("client_key").is_none()
        || get("client_key") != mock.get(platform, "client_key")
        || get("grant_type") != Some("refresh_token")
    {
        return fail(10013, "client_key 错误");
    }
    let rt = get("refresh_token").unwrap_or_default();
    let Some(user) = mock.refresh_owner(platform, rt) else {
        return fail(10010, "refresh_token 已过期");
    };
    let (token, _) = mock.issue(platform, "user", "act.", user.as_deref());
    Outcome::ok(
        "oauth.refresh_token",
        json!({"data": {"access_token": token, "expires_in": mock.token_ttl.as_secs(), "refresh_token": rt, "refresh_expires_in": 2592000, "open_id": "open-id", "scope": "user_info", "error_code": 0, "description": "", "log_id": format!("{}", now_secs())}, "message": "success"}),
    )
}

fn call(mock: &MockGateway, req: &http::Request, platform: &str, api: &ir::Api) -> Outcome {
    let n = Some(api.name.as_str());
    let logid = format!("2024{:012}", now_secs());
    let err = |code: i64, msg: &str| {
        Outcome::err(
            n,
            200,
            code.to_string(),
            json!({"data": {"error_code": code, "description": msg}, "extra": {"error_code": code, "description": msg, "sub_error_code": 0, "sub_description": "", "logid": logid, "now": now_secs()}}),
        )
    };
    if req.method != api.method.as_str() {
        return err(2100005, "请求方法错误");
    }
    let sent = req.header("access-token").is_some();
    match api.auth {
        Auth::Optional if !sent => {}
        Auth::User | Auth::Optional | Auth::Client => {
            let kind = if api.auth != Auth::Client {
                "user"
            } else {
                "client"
            };
            let Some(token) = req.header("access-token") else {
                return err(10008, "access_token无效或已过期");
            };
            let static_key = (api.auth != Auth::Client).then_some("access_token");
            match mock.check_token(platform, kind, token, static_key) {
                Ok(()) => {}
                Err(true) => return err(2190008, "access_token已过期"),
                Err(false) => return err(10008, "access_token无效"),
            }
        }
        Auth::None | Auth::App => {}
    }
    let query = query_json(req);
    let content_type = req.header("content-type").unwrap_or_default();
    let body = if req.method == "GET" {
        Value::Object(Default::default())
    } else if content_type.starts_with("multipart/form-data") {
        // Uploads: each part is a param; a file part stands for its file.
        match gateway::multipart_params(content_type, &req.body) {
            Some(params) => params,
            None => return err(2100005, "multipart 请求体格式错误"),
        }
    } else {
        if !content_type.starts_with("application/json") {
            return err(2100005, "Content-Type 必须是 application/json");
        }
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return err(2100005, "请求体必须是 JSON 对象"),
        }
    };
    let present = |f: &ir::FieldIr| {
        let in_query = f.location == Location::Query || req.method == "GET";
        let src = if in_query { &query } else { &body };
        src.get(&f.wire).is_some_and(|v| !v.is_null())
    };
    if let Some(missing) = missing_param(api, present) {
        return err(2100005, &format!("参数不合法: 缺少 {missing}"));
    }
    let data = mock.answer(api, PROTOCOL, &|k| {
        gateway::text(query.get(k)).or_else(|| gateway::text(body.get(k)))
    });
    if api.host_key == "lianmeng" {
        return Outcome::ok(
            &api.name,
            json!({"code": 0, "msg": "success", "data": data}),
        );
    }
    Outcome::ok(
        &api.name,
        json!({"data": data, "extra": {"error_code": 0, "description": "", "sub_error_code": 0, "sub_description": "", "logid": logid, "now": now_secs()}}),
    )
}

/// Douyin's webhook signature: SHA-1 of `client secret + body`, lower hex.
fn douyin_push(secret: &str, body: &[u8]) -> String {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(secret.as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}
