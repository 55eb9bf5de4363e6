//! Doudian's token APIs, `token.create` and `token.refresh`: signed calls of the gateway itself.

use super::protocol::Doudian;
use crate::error::Result;
use crate::secret::Secret;
use crate::token::{
    flow_url, grant_in, refresh_of, refreshed, AuthorizationFlow, Grant, Token, TokenContext,
    TokenProvider,
};
use crate::wire::BoxFuture;
use crate::HttpMethod;
use serde_json::Value;
use std::time::SystemTime;

const HOST: &str = "https://openapi-fxg.jinritemai.com";

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
            if let Some(rt) = rejected.and_then(|t| t.refresh_token.as_ref()) {
                let (name, params) = refresh_params(rt);
                match call(&self.protocol, cx, name, params).await {
                    Ok(v) => return refreshed(&v["data"], Some(rt)).ok_or_else(|| cx.refused(&v)),
                    // Refused (used by a worker killed before it stored the new pair, or
                    // expired): `authorization_self` needs no refresh token, so grant anew
                    // rather than lose the shop.
                    Err(e) if TokenContext::is_refusal(&e) => {
                        tracing::warn!(platform = "doudian", error = %e, "refresh refused; granting anew with authorization_self");
                    }
                    Err(e) => return Err(e),
                }
            }
            let params = vec![
                ("code", String::new()),
                ("grant_type", "authorization_self".to_owned()),
                // The shop the call named, else the configured one.
                ("shop_id", cx.shop.unwrap_or(&self.shop_id).to_owned()),
            ];
            let v = call(&self.protocol, cx, "token.create", params).await?;
            refreshed(&v["data"], None).ok_or_else(|| cx.refused(&v))
        })
    }

    /// A self-use app's `authorization_self` grants any of its shops by `shop_id`.
    fn grants_any_shop(&self) -> bool {
        true
    }
}

fn refresh_params(rt: &Secret) -> (&'static str, Vec<(&'static str, String)>) {
    (
        "token.refresh",
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", rt.expose().to_owned()),
        ],
    )
}

/// One of the gateway's token APIs: a signed call without `access_token`; the answer when its
/// `code` is 10000.
async fn call(
    protocol: &Doudian,
    cx: TokenContext<'_>,
    name: &str,
    params: Vec<(&str, String)>,
) -> Result<Value> {
    use crate::protocol::{Param, Protocol};
    let desc = crate::ApiDesc::new(
        "doudian",
        name,
        "2",
        HttpMethod::Post,
        HOST,
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
    let call = crate::protocol::Call {
        api: &desc,
        base_url: cx.base_url.unwrap_or(HOST),
        params: &params,
        files: &[],
        token: None,
        now: SystemTime::now(),
    };
    let req = protocol.build(&call)?;
    let resp = cx
        .transport
        .send(req, cx.timeout)
        .await
        .map_err(|e| cx.unreachable(e))?;
    let v = crate::read::tree(&resp.body)
        .map_err(|_| cx.auth_error("token endpoint answered with a body that is not JSON"))?;
    if crate::protocol::text_of(v.get("code")).as_deref() != Some("10000") {
        return Err(cx.refused(&v));
    }
    Ok(v)
}

/// A tool app's shops (工具型应用): authorized on the service market
/// (`fuwu.jinritemai.com/authorize?service_id&state`), the code exchanged with `token.create`,
/// refreshed with `token.refresh`.
#[derive(Debug, Clone)]
pub struct DoudianOAuth {
    pub protocol: Doudian,
    /// The app's service on the service market (`[doudian] service_id`).
    pub service_id: Option<String>,
}

impl TokenProvider for DoudianOAuth {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            let rt = refresh_of(&cx, rejected)?;
            let (name, params) = refresh_params(rt);
            let v = call(&self.protocol, cx, name, params).await?;
            refreshed(&v["data"], Some(rt)).ok_or_else(|| cx.refused(&v))
        })
    }
}

impl AuthorizationFlow for DoudianOAuth {
    /// Doudian's authorization page redirects to the URL registered with the service, not to a
    /// parameter; `redirect_uri` is passed along for gateways that take it (the mock does).
    fn authorize_url(
        &self,
        base_url: Option<&str>,
        redirect_uri: &str,
        state: &str,
    ) -> Result<String> {
        let service = self.service_id.as_deref().ok_or_else(|| {
            crate::Error::Config("[doudian] needs `service_id` for the authorization URL".into())
        })?;
        Ok(flow_url(
            base_url,
            "https://fuwu.jinritemai.com",
            "/authorize",
            &[
                ("service_id", service),
                ("state", state),
                ("redirect_uri", redirect_uri),
            ],
        ))
    }

    fn exchange<'a>(
        &'a self,
        cx: TokenContext<'a>,
        code: &'a str,
        _redirect_uri: &'a str,
    ) -> BoxFuture<'a, Result<Grant>> {
        Box::pin(async move {
            let params = vec![
                ("code", code.to_owned()),
                ("grant_type", "authorization_code".to_owned()),
            ];
            let v = call(&self.protocol, cx, "token.create", params).await?;
            grant_in(&cx, &v, &v["data"], "/shop_id")
        })
    }
}
