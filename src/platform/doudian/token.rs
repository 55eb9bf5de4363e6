//! Doudian's token APIs, `token.create` and `token.refresh`: signed calls of the gateway itself.

use super::Doudian;
use crate::error::Result;
use crate::token::{refreshed, Token, TokenContext, TokenProvider};
use crate::wire::BoxFuture;
use crate::HttpMethod;
use serde_json::Value;
use std::time::SystemTime;

/// Doudian `token.create` (self-use app, `shop_id`) and `token.refresh`.
#[derive(Debug, Clone)]
pub struct DoudianToken {
    pub protocol: Doudian,
    pub shop_id: String,
}

impl TokenProvider for DoudianToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            use crate::protocol::{Param, Protocol};
            let (name, params) = match rejected.and_then(|t| t.refresh_token.as_ref()) {
                Some(rt) => (
                    "token.refresh",
                    vec![
                        ("grant_type", "refresh_token".to_owned()),
                        ("refresh_token", rt.expose().to_owned()),
                    ],
                ),
                None => (
                    "token.create",
                    vec![
                        ("code", String::new()),
                        ("grant_type", "authorization_self".to_owned()),
                        // The shop the call named, else the configured one.
                        ("shop_id", cx.shop.unwrap_or(&self.shop_id).to_owned()),
                    ],
                ),
            };
            let desc = crate::ApiDesc::new(
                "doudian",
                name,
                "2",
                HttpMethod::Post,
                "https://openapi-fxg.jinritemai.com",
                "",
                "",
                crate::AuthKind::App,
                false,
                Vec::new(),
            );
            let params: Vec<Param> = params
                .into_iter()
                .map(|(k, v)| Param {
                    name: k.into(),
                    value: Value::String(v),
                    location: crate::ParamLocation::Default,
                })
                .collect();
            let base = cx.base_url.unwrap_or("https://openapi-fxg.jinritemai.com");
            let call = crate::protocol::Call {
                api: &desc,
                base_url: base,
                params: &params,
                files: &[],
                token: None,
                now: SystemTime::now(),
            };
            let req = self.protocol.build(&call)?;
            let resp = cx
                .transport
                .send(req, cx.timeout)
                .await
                .map_err(|e| cx.unreachable(e))?;
            let v = crate::read::tree(&resp.body).map_err(|_| {
                cx.auth_error("token endpoint answered with a body that is not JSON")
            })?;
            if crate::protocol::text_of(v.get("code")).as_deref() != Some("10000") {
                return Err(cx.refused(&v));
            }
            let old = rejected.and_then(|t| t.refresh_token.as_ref());
            refreshed(&v["data"], old).ok_or_else(|| cx.refused(&v))
        })
    }

    /// A self-use app's `authorization_self` grants any of its shops by `shop_id`.
    fn grants_any_shop(&self) -> bool {
        true
    }
}
