//! Youzan's token endpoint, `/auth/token`: a self-use app's silent grant, a tool app's
//! authorization code, and the refresh of either.

use crate::error::Result;
use crate::secret::Secret;
use crate::token::{
    flow_url, needs_code, shop_in, AuthorizationFlow, Grant, Token, TokenContext, TokenProvider,
};
use crate::wire::BoxFuture;
use serde_json::{json, Value};

const HOST: &str = "https://open.youzanyun.com";

/// Youzan `/auth/token`: silent grant (`grant_id`, a self-use app), refresh with the refresh
/// token when one was issued. Without a `grant_id` (a tool app) it only refreshes shops'
/// stored tokens, and its shops authorize by code ([`AuthorizationFlow`]).
#[derive(Debug, Clone)]
pub struct YouzanToken {
    pub client_id: String,
    pub client_secret: Secret,
    pub grant_id: Option<String>,
}

impl YouzanToken {
    /// POSTs `body` to `/auth/token`; the token and the answer's `data`.
    async fn call(&self, cx: TokenContext<'_>, body: Value) -> Result<(Token, Value)> {
        let url = cx.url(HOST, "/auth/token");
        let v = cx
            .post(url, "application/json", body.to_string().into_bytes())
            .await?;
        if !matches!(v.get("success"), Some(Value::Bool(true))) {
            return Err(cx.refused(&v));
        }
        let data = v.get("data").cloned().unwrap_or_default();
        let access =
            crate::protocol::text_of(data.get("access_token")).ok_or_else(|| cx.refused(&v))?;
        let token = Token {
            access_token: access.into(),
            refresh_token: crate::protocol::text_of(data.get("refresh_token")).map(Secret::new),
            expires_at_ms: data.get("expires").and_then(Value::as_i64),
        };
        Ok((token, data))
    }
}

impl TokenProvider for YouzanToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            let (id, secret) = (&self.client_id, self.client_secret.expose());
            let grant = cx
                .shop
                .or(self.grant_id.as_deref())
                .filter(|_| self.grant_id.is_some());
            if let Some(rt) = rejected.and_then(|t| t.refresh_token.as_ref()) {
                let body = json!({"client_id": id, "client_secret": secret, "authorize_type": "refresh_token", "refresh_token": rt.expose()});
                match self.call(cx, body).await {
                    Ok((token, _)) => return Ok(token),
                    // Refused (used by a worker killed before it stored the new pair, or
                    // expired): a self-use app's silent grant needs no refresh token, so grant
                    // anew rather than lose the shop. A tool app has no other way back.
                    Err(e) if grant.is_some() && TokenContext::is_refusal(&e) => {
                        tracing::warn!(platform = "youzan", error = %e, "refresh refused; granting anew with the silent grant");
                    }
                    Err(e) => return Err(e),
                }
            }
            let Some(grant) = grant else {
                // A tool app: nothing to refresh, and no silent grant.
                return Err(needs_code(&cx));
            };
            let body = json!({"client_id": id, "client_secret": secret, "authorize_type": "silent", "grant_id": grant, "refresh": true});
            Ok(self.call(cx, body).await?.0)
        })
    }

    /// A self-use app's silent grant takes any of its shops as `grant_id`; a tool app grants none.
    fn grants_any_shop(&self) -> bool {
        self.grant_id.is_some()
    }
}

impl AuthorizationFlow for YouzanToken {
    fn authorize_url(
        &self,
        base_url: Option<&str>,
        redirect_uri: &str,
        state: &str,
    ) -> Result<String> {
        Ok(flow_url(
            base_url,
            HOST,
            "/auth/authorize",
            &[
                ("client_id", &self.client_id),
                ("response_type", "code"),
                ("state", state),
                ("redirect_uri", redirect_uri),
            ],
        ))
    }

    fn exchange<'a>(
        &'a self,
        cx: TokenContext<'a>,
        code: &'a str,
        redirect_uri: &'a str,
    ) -> BoxFuture<'a, Result<Grant>> {
        Box::pin(async move {
            let body = json!({"client_id": self.client_id, "client_secret": self.client_secret.expose(),
                              "authorize_type": "authorization_code", "code": code, "redirect_uri": redirect_uri});
            let (token, data) = self.call(cx, body).await?;
            Ok(Grant {
                shop: shop_in(&cx, &data, "/authority_id")?,
                token,
            })
        })
    }
}
