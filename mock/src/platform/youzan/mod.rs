//! Youzan (`youzan`): `/api/{name}/{version}` with the token in the query, and the token
//! endpoint `/auth/token`.

use super::gateway::{self, missing_param, query_json, Envelope, Gateway, Message};
use crate::{http, now_secs, sign, MockGateway, Outcome};
use opengate_codegen::ir::Auth;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

const PROTOCOL: &str = "youzan";

pub(super) struct Youzan;

impl Gateway for Youzan {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn serve(&self, mock: &MockGateway, req: &http::Request) -> Option<(String, Outcome)> {
        if req.path == "/auth/token" {
            return Some(token(mock, req));
        }
        if req.path == "/auth/authorize" {
            let query = http::parse_form(req.query.as_bytes());
            let id = query
                .iter()
                .find(|(k, _)| k == "client_id")
                .map(|(_, v)| v.as_str());
            let platform = mock.platform_by(PROTOCOL, "client_id", id);
            let outcome = mock.authorize(&platform, "youzan.auth.authorize", req);
            return Some((platform, outcome));
        }
        let rest = req.path.strip_prefix("/api/")?;
        Some(call(mock, req, rest))
    }

    fn rate_limited(&self) -> Value {
        json!({"gw_err_resp": {"trace_id": "yz7-limit", "err_msg": "调用过于频繁", "err_code": 4101}})
    }

    /// Youzan's data says success with `code: 200`.
    fn success_code(&self) -> i64 {
        200
    }

    /// A JSON body with the payload url-encoded in `msg`, signed twice as Youzan does: the
    /// `Event-Sign` header over the body, and the legacy `sign` member over `msg`.
    fn envelope(
        &self,
        mock: &MockGateway,
        platform: &str,
        m: &Message<'_>,
    ) -> Result<Envelope, String> {
        let client_id = mock.get(platform, "client_id").unwrap_or_default();
        let secret = m.secret(mock.get(platform, "client_secret"));
        let msg: String = form_urlencoded::byte_serialize(m.payload_text().as_bytes()).collect();
        let version = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let body = json!({
            "client_id": client_id,
            "id": m.id,
            "kdt_id": m.shop.unwrap_or("0"),
            "kdt_name": "mock shop",
            "mode": 1,
            "msg": msg,
            "msg_id": format!("{:032x}", rand::random::<u128>()),
            "sendCount": 0,
            "sign": sign::push_md5(client_id, msg.as_bytes(), &secret),
            "status": m.status.unwrap_or(""),
            "test": false,
            "type": m.kind,
            "version": version,
        })
        .to_string()
        .into_bytes();
        Ok(Envelope {
            content_type: "application/json",
            headers: vec![
                ("Client-Id", client_id.to_owned()),
                ("Event-Type", m.kind.to_owned()),
                ("Event-Sign", sign::push_md5(client_id, &body, &secret)),
            ],
            body,
            accepted: gateway::code_zero,
        })
    }
}

/// `POST /auth/token`: a self-use app's silent grant (`grant_id`), a tool app's authorization
/// code, or a refresh.
fn token(mock: &MockGateway, req: &http::Request) -> (String, Outcome) {
    let api = Some("youzan.auth.token");
    let fail = |code: i64, msg: &str| {
        Outcome::err(
            api,
            200,
            code.to_string(),
            json!({"success": false, "code": code, "data": null, "message": msg}),
        )
    };
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return (
            mock.platform_by(PROTOCOL, "client_id", None),
            fail(4007, "body must be JSON"),
        );
    };
    let s = |k: &str| {
        body.get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
    };
    let platform = mock.platform_by(PROTOCOL, "client_id", s("client_id").as_deref());
    let outcome = grant(mock, &platform, s, fail);
    (platform, outcome)
}

fn grant(
    mock: &MockGateway,
    platform: &str,
    s: impl Fn(&str) -> Option<String>,
    fail: impl Fn(i64, &str) -> Outcome,
) -> Outcome {
    if s("client_id").as_deref() != mock.get(platform, "client_id")
        || mock.get(platform, "client_id").is_none()
    {
        return fail(1103, "Client 不存在");
    }
    if s("client_secret").as_deref() != mock.get(platform, "client_secret") {
        return fail(1104, "client_secret 错误");
    }
    let (shop, (token, refresh)) = match s("authorize_type").as_deref() {
        Some("silent") => {
            // The configured grant, or one of the app's other shops (`shops`, comma-separated).
            let grant = s("grant_id").unwrap_or_default();
            let shop = if mock.get(platform, "grant_id") == Some(grant.as_str()) {
                None
            } else if mock
                .get(platform, "shops")
                .is_some_and(|shops| shops.split(',').any(|s| s.trim() == grant))
            {
                Some(grant)
            } else {
                return fail(1201, "grant_id 无效");
            };
            let pair = mock.issue(platform, "user", "yz", shop.as_deref());
            (shop, pair)
        }
        Some("authorization_code") => {
            let code = s("code").unwrap_or_default();
            match mock.redeem_code(platform, &code, s("redirect_uri").as_deref()) {
                Some(shop) => {
                    let pair = mock.issue(platform, "user", "yz", Some(&shop));
                    (Some(shop), pair)
                }
                None => return fail(1301, "code 无效或已过期"),
            }
        }
        Some("refresh_token") => {
            let rt = s("refresh_token").unwrap_or_default();
            // A new pair retires the old refresh token, but a repeated refresh with it within an
            // hour answers the same new pair (the rule of the Youzan docs the fleet issue cites).
            match mock.rotate(platform, &rt, "yz", std::time::Duration::from_secs(3600)) {
                Some(answer) => answer,
                None => return fail(1202, "refresh_token 无效"),
            }
        }
        _ => return fail(1200, "authorize_type 不支持"),
    };
    let authority = shop
        .clone()
        .or_else(|| mock.get(platform, "grant_id").map(str::to_owned));
    let expires = (SystemTime::now() + mock.token_ttl)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    Outcome::ok(
        "youzan.auth.token",
        json!({"success": true, "code": 200, "message": null,
               "data": {"access_token": token, "expires": expires, "scope": "trade item logistics user shop",
                        "authority_id": authority, "refresh_token": refresh}}),
    )
}

fn call(mock: &MockGateway, req: &http::Request, rest: &str) -> (String, Outcome) {
    let trace = format!("yz7-0a0b0c0d-{}", now_secs());
    let gw = |code: i64, msg: &str, api: Option<&str>| {
        Outcome::err(
            api,
            200,
            code.to_string(),
            json!({"gw_err_resp": {"trace_id": trace, "err_msg": msg, "err_code": code}}),
        )
    };
    let rest = rest.strip_prefix("auth_exempt/").unwrap_or(rest);
    let found = rest.split_once('/').map(|(name, version)| {
        mock.catalog
            .named(PROTOCOL, name)
            .find(|e| e.api.version == version)
    });
    let entry = match found {
        Some(Some(entry)) => entry,
        missing => {
            let platform = mock.platform_by(PROTOCOL, "client_id", None);
            return match missing {
                None => (platform, gw(4001, "路径错误", None)),
                Some(_) => (platform, gw(4005, "API 不存在", None)),
            };
        }
    };
    let platform = entry.platform.clone();
    let outcome = verify(mock, req, &platform, &entry.api, &trace, gw);
    (platform, outcome)
}

fn verify(
    mock: &MockGateway,
    req: &http::Request,
    platform: &str,
    api: &opengate_codegen::ir::Api,
    trace: &str,
    gw: impl Fn(i64, &str, Option<&str>) -> Outcome,
) -> Outcome {
    let n = Some(api.name.as_str());
    if req.method != api.method.as_str() {
        return gw(4007, "请求方法错误", n);
    }
    let mut shop = None;
    let query = http::parse_form(req.query.as_bytes());
    let sent = query.iter().any(|(k, _)| k == "access_token");
    // Youzan's app-level APIs take the app's token too.
    if matches!(api.auth, Auth::App | Auth::Client) || api.auth.checks_user_token(sent) {
        let Some((_, token)) = query.iter().find(|(k, _)| k == "access_token") else {
            return gw(4201, "access_token 不能为空", n);
        };
        match mock.check_token(platform, "user", token, None) {
            Ok(()) => shop = mock.shop_of(token),
            Err(true) => return gw(4202, "access_token 已过期", n),
            Err(false) => return gw(4203, "Token 不存在", n),
        }
    }
    let content_type = req.header("content-type").unwrap_or_default();
    let params = if req.method == "GET" {
        query_json(req)
    } else if content_type.starts_with("multipart/form-data") {
        // Uploads: each part is a param; a file part stands for its file.
        match gateway::multipart_params(content_type, &req.body) {
            Some(params) => params,
            None => return gw(4007, "multipart 请求体格式错误", n),
        }
    } else {
        if !content_type.starts_with("application/json") {
            return gw(4007, "Content-Type 必须是 application/json", n);
        }
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return gw(4007, "请求体必须是 JSON 对象", n),
        }
    };
    if let Some(missing) = missing_param(api, |f| params.get(&f.wire).is_some_and(|v| !v.is_null()))
    {
        return Outcome::err(
            n,
            200,
            "40010",
            json!({"trace_id": trace, "success": false, "code": 40010, "message": format!("参数 {missing} 不能为空")}),
        );
    }
    let data = mock.answer(api, PROTOCOL, &|k| gateway::text(params.get(k)));
    Outcome::ok(&api.name, data).for_shop(shop)
}
