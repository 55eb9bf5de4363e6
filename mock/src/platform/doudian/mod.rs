//! Doudian (`doudian`): `/{method with dots as slashes}`, `param_json` in the body signed in
//! canonical form; its token APIs (`token.create`, `token.refresh`) are signed calls too.

mod sign;

use super::gateway::{self, beijing_wall_secs, missing_param, Envelope, Gateway, Message};
use crate::{http, now_secs, MockGateway, Outcome};
use opengate_codegen::ir;
use serde_json::{json, Value};

const PROTOCOL: &str = "doudian";

pub(super) struct Doudian;

impl Gateway for Doudian {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn serve(&self, mock: &MockGateway, req: &http::Request) -> Option<(String, Outcome)> {
        if req.path == "/authorize" {
            // The service market's authorization page (fuwu.jinritemai.com), by `service_id`.
            let query = http::parse_form(req.query.as_bytes());
            let id = query
                .iter()
                .find(|(k, _)| k == "service_id")
                .map(|(_, v)| v.as_str());
            let platform = mock.platform_by(PROTOCOL, "service_id", id);
            let outcome = mock.authorize(&platform, "doudian.authorize", req);
            return Some((platform, outcome));
        }
        let method = req.path.trim_start_matches('/').replace('/', ".");
        let entry = mock.catalog.named(PROTOCOL, &method).next()?;
        Some((
            entry.platform.clone(),
            call(mock, req, &entry.platform, &entry.api),
        ))
    }

    fn rate_limited(&self) -> Value {
        json!({"code": 60000, "msg": "限流", "sub_code": "isv.rate-limit", "sub_msg": "调用频率超限", "data": null})
    }

    /// A JSON array of one message, its `data` the payload as JSON text (with the shop's
    /// `shop_id` when the order names one), signed in the `event-sign` header.
    fn envelope(
        &self,
        mock: &MockGateway,
        platform: &str,
        m: &Message<'_>,
    ) -> Result<Envelope, String> {
        let app_key = mock.get(platform, "app_key").unwrap_or_default();
        let secret = m.secret(mock.get(platform, "app_secret"));
        let mut data = m.payload.clone();
        if let (Some(shop), Value::Object(o)) = (m.shop, &mut data) {
            o.entry("shop_id").or_insert_with(|| json!(shop));
        }
        let body = json!([{"tag": m.kind, "msg_id": m.id, "data": data.to_string()}])
            .to_string()
            .into_bytes();
        Ok(Envelope {
            content_type: "application/json",
            headers: vec![
                ("app-id", app_key.to_owned()),
                ("event-sign", crate::sign::push_md5(app_key, &body, &secret)),
            ],
            body,
            accepted: gateway::code_zero,
        })
    }
}

fn call(mock: &MockGateway, req: &http::Request, platform: &str, api: &ir::Api) -> Outcome {
    let n = Some(api.name.as_str());
    let query = http::parse_form(req.query.as_bytes());
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let err = |code: i64, sub: &str, msg: &str| {
        Outcome::err(
            n,
            200,
            code.to_string(),
            json!({"code": code, "msg": msg, "sub_code": sub, "sub_msg": msg, "log_id": format!("mock{}", now_secs()), "data": null, "err_no": code, "message": msg}),
        )
    };
    if get("method") != Some(api.name.as_str()) {
        return err(40001, "isv.parameter-invalid", "method 与路径不一致");
    }
    if get("app_key").is_none() || get("app_key") != mock.get(platform, "app_key") {
        return err(30001, "isv.app-key-invalid", "app_key 无效");
    }
    let ts = get("timestamp").unwrap_or_default();
    if !timestamp_ok(ts) {
        return err(
            40001,
            "isv.timestamp-invalid",
            "timestamp 无效或超出 300 秒",
        );
    }
    let param_json = String::from_utf8_lossy(&req.body).into_owned();
    let secret = mock.get(platform, "app_secret").unwrap_or_default();
    let expected = sign::doudian(
        secret,
        get("app_key").unwrap_or_default(),
        &api.name,
        &param_json,
        ts,
        get("sign_method").unwrap_or("md5"),
    );
    if expected.is_none() || expected.as_deref() != get("sign") {
        let shown = sign::doudian_shown(
            get("app_key").unwrap_or_default(),
            &api.name,
            &param_json,
            ts,
        );
        return err(40004, "isv.signature-invalid", "签名校验失败")
            .signature_refused(shown, get("sign"));
    }
    let Ok(params @ Value::Object(_)) = serde_json::from_str::<Value>(&param_json) else {
        return err(40001, "isv.parameter-invalid", "param_json 不是 JSON 对象");
    };
    if api.auth.checks_user_token(get("access_token").is_some()) {
        let token = get("access_token").unwrap_or_default();
        match mock.check_token(platform, "user", token, Some("access_token")) {
            Ok(()) => {}
            Err(true) => return err(40003, "isv.access-token-expired", "access_token已过期"),
            Err(false) => return err(40003, "isv.access-token-no-existed", "access_token不存在"),
        }
    }
    if let Some(missing) = missing_param(api, |f| params.get(&f.wire).is_some_and(|v| !v.is_null()))
    {
        return err(
            40001,
            "isv.parameter-invalid",
            &format!("缺少参数 {missing}"),
        );
    }
    let data = match api.name.as_str() {
        "token.create" => {
            let text = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or_default();
            let shop = match text("grant_type") {
                // A self-use app: its configured shop, or one of its listed `shops`.
                "authorization_self" => {
                    let shop = text("shop_id");
                    let listed = mock
                        .get(platform, "shops")
                        .is_some_and(|l| l.split(',').any(|s| s.trim() == shop));
                    if mock.get(platform, "shop_id") == Some(shop) {
                        None
                    } else if listed {
                        Some(shop.to_owned())
                    } else {
                        return err(
                            50001,
                            "dop.token-generate-failed:shop-invalid",
                            "shop_id 无效",
                        );
                    }
                }
                // A tool app: the code the service market's authorization gave.
                "authorization_code" => match mock.redeem_code(platform, text("code"), None) {
                    Some(shop) => Some(shop),
                    None => {
                        return err(
                            50001,
                            "dop.token-generate-failed:code-invalid",
                            "code 无效或已过期",
                        )
                    }
                },
                _ => return err(40001, "isv.parameter-invalid", "grant_type 无效"),
            };
            token(mock, platform, shop)
        }
        "token.refresh" => {
            let rt = params
                .get("refresh_token")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(shop) = mock.redeem_refresh(platform, rt) else {
                return err(50002, "dop.token-refresh-failed", "refresh_token 无效");
            };
            token(mock, platform, shop)
        }
        _ => mock.answer(api, PROTOCOL, &|k| gateway::text(params.get(k))),
    };
    Outcome::ok(
        &api.name,
        json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": format!("mock{}", now_secs()), "data": data, "err_no": 0, "message": "success"}),
    )
}

/// A token for `shop` (`None`: the configured `shop_id`).
fn token(mock: &MockGateway, platform: &str, shop: Option<String>) -> Value {
    let (token, refresh) = mock.issue(platform, "user", "dd.", shop.as_deref());
    let shop_id = shop.unwrap_or_else(|| mock.get(platform, "shop_id").unwrap_or("0").to_owned());
    json!({"access_token": token, "expires_in": mock.token_ttl.as_secs(), "refresh_token": refresh, "scope": "SCOPE", "shop_id": shop_id, "shop_name": "测试店铺"})
}

/// Unix seconds (doc), milliseconds (Java SDK) or `yyyy-MM-dd HH:mm:ss` (old docs), within 300 s.
fn timestamp_ok(ts: &str) -> bool {
    let secs = match ts.parse::<u64>() {
        Ok(v) if v > 100_000_000_000 => Some(v / 1000),
        Ok(v) => Some(v),
        Err(_) => beijing_wall_secs(ts),
    };
    secs.is_some_and(|s| s.abs_diff(now_secs()) <= 300)
}
