//! 1688's token endpoint, `system.oauth2/getToken`.

use crate::error::Result;
use crate::secret::Secret;
use crate::token::{
    configured, flow_url, grant_in, newest_refresh, refresh_of, refreshed, AuthorizationFlow,
    Grant, Token, TokenContext, TokenProvider,
};
use crate::wire::BoxFuture;

/// A 1688 user token: the configured `access_token` (10 hours), refreshed with the refresh token
/// (about half a year) at `POST /openapi/http/1/system.oauth2/getToken/{appKey}`: a form, not
/// signed, `grant_type=refresh_token`.
#[derive(Debug, Clone)]
pub struct AopToken {
    pub app_key: String,
    pub app_secret: Secret,
    pub access_token: Option<Secret>,
    pub refresh_token: Secret,
}

impl TokenProvider for AopToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            if let Some(t) = configured(rejected, self.access_token.as_ref(), &self.refresh_token) {
                return Ok(t);
            }
            let rt = newest_refresh(rejected, &self.refresh_token);
            refresh(cx, &self.app_key, &self.app_secret, rt).await
        })
    }
}

/// `getToken` with `pairs` after the app's own: the answer (an error has no `access_token`).
async fn get_token(
    cx: TokenContext<'_>,
    app_key: &str,
    app_secret: &Secret,
    pairs: &[(&str, &str)],
) -> Result<serde_json::Value> {
    let path = format!("/openapi/http/1/system.oauth2/getToken/{app_key}");
    let url = cx.url("https://gw.open.1688.com", &path);
    let mut form = vec![
        ("client_id", app_key),
        ("client_secret", app_secret.expose()),
    ];
    form.extend_from_slice(pairs);
    let v = cx.post_form(url, &form).await?;
    if v.get("access_token").is_none() {
        return Err(cx.refused(&v));
    }
    Ok(v)
}

async fn refresh(
    cx: TokenContext<'_>,
    app_key: &str,
    app_secret: &Secret,
    rt: &Secret,
) -> Result<Token> {
    let pairs = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.expose()),
    ];
    let v = get_token(cx, app_key, app_secret, &pairs).await?;
    refreshed(&v, Some(rt)).ok_or_else(|| cx.refused(&v))
}

/// A 1688 member's authorization: `auth.1688.com/oauth/authorize` (signed with the params only,
/// PROTOCOLS.md 2.4), the code at `getToken` (`grant_type=authorization_code`), then refreshes
/// like [`AopToken`].
#[derive(Debug, Clone)]
pub struct AopOAuth {
    pub app_key: String,
    pub app_secret: Secret,
}

impl TokenProvider for AopOAuth {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            refresh(
                cx,
                &self.app_key,
                &self.app_secret,
                refresh_of(&cx, rejected)?,
            )
            .await
        })
    }
}

impl AuthorizationFlow for AopOAuth {
    fn authorize_url(
        &self,
        base_url: Option<&str>,
        redirect_uri: &str,
        state: &str,
    ) -> Result<String> {
        let mut pairs = vec![
            ("client_id".to_owned(), self.app_key.clone()),
            ("site".to_owned(), "1688".to_owned()),
            ("redirect_uri".to_owned(), redirect_uri.to_owned()),
            ("state".to_owned(), state.to_owned()),
        ];
        let sign = super::protocol::Aop::sign(self.app_secret.expose(), "", &pairs);
        pairs.push(("_aop_signature".to_owned(), sign));
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Ok(flow_url(
            base_url,
            "https://auth.1688.com",
            "/oauth/authorize",
            &pairs,
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
                ("need_refresh_token", "true"),
                ("redirect_uri", redirect_uri),
                ("code", code),
            ];
            let v = get_token(cx, &self.app_key, &self.app_secret, &pairs).await?;
            grant_in(&cx, &v, &v, "/memberId")
        })
    }
}
