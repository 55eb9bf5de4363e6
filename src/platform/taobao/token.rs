//! Taobao's OAuth 2.0 (`oauth.taobao.com`): the authorization code of a tool app's seller, and
//! the refresh of the session it gives. The `session` of the config stays a fixed token.

use crate::error::Result;
use crate::secret::Secret;
use crate::token::{
    flow_url, grant_in, refresh_of, refreshed, AuthorizationFlow, Grant, Token, TokenContext,
    TokenProvider,
};
use crate::wire::BoxFuture;
use serde_json::Value;

const HOST: &str = "https://oauth.taobao.com";

/// Taobao OAuth: `/authorize`, then `/token` for the code and for each refresh.
#[derive(Debug, Clone)]
pub struct TaobaoOAuth {
    pub app_key: String,
    pub app_secret: Secret,
}

impl TaobaoOAuth {
    /// POSTs the form to `/token`: the answer, or the refusal (`error`, `error_description`).
    async fn token(&self, cx: TokenContext<'_>, pairs: &[(&str, &str)]) -> Result<Value> {
        let mut form = vec![
            ("client_id", self.app_key.as_str()),
            ("client_secret", self.app_secret.expose()),
        ];
        form.extend_from_slice(pairs);
        let v = cx.post_form(cx.url(HOST, "/token"), &form).await?;
        if v.get("error").is_some() || v.get("access_token").is_none() {
            return Err(cx.refused(&v));
        }
        Ok(v)
    }
}

impl TokenProvider for TaobaoOAuth {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            let rt = refresh_of(&cx, rejected)?;
            let v = self
                .token(
                    cx,
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", rt.expose()),
                    ],
                )
                .await?;
            refreshed(&v, Some(rt)).ok_or_else(|| cx.refused(&v))
        })
    }
}

impl AuthorizationFlow for TaobaoOAuth {
    fn authorize_url(
        &self,
        base_url: Option<&str>,
        redirect_uri: &str,
        state: &str,
    ) -> Result<String> {
        Ok(flow_url(
            base_url,
            HOST,
            "/authorize",
            &[
                ("response_type", "code"),
                ("client_id", &self.app_key),
                ("redirect_uri", redirect_uri),
                ("state", state),
                ("view", "web"),
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
            let pairs = [
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("view", "web"),
            ];
            let v = self.token(cx, &pairs).await?;
            grant_in(&cx, &v, &v, "/taobao_user_id")
        })
    }
}
