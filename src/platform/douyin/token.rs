//! Douyin's token endpoints: the app's `client_token` and a user's refresh.

use crate::error::Result;
use crate::secret::Secret;
use crate::token::{
    configured, flow_url, grant_in, newest_refresh, now_ms, refresh_of, refreshed,
    AuthorizationFlow, Grant, Token, TokenContext, TokenProvider,
};

const HOST: &str = "https://open.douyin.com";
use crate::wire::BoxFuture;
use serde_json::Value;

/// Douyin `client_token` from `/oauth/client_token/` (2 h).
#[derive(Debug, Clone)]
pub struct DouyinClientToken {
    pub client_key: String,
    pub client_secret: Secret,
}

impl TokenProvider for DouyinClientToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        _rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            let body = serde_json::json!({"client_key": self.client_key, "client_secret": self.client_secret.expose(), "grant_type": "client_credential"});
            let url = cx.url(HOST, "/oauth/client_token/");
            let v = cx
                .post(url, "application/json", body.to_string().into_bytes())
                .await?;
            let data = v.get("data").cloned().unwrap_or_default();
            if !crate::protocol::is_zero(data.get("error_code")) {
                return Err(cx.refused(&v));
            }
            let access =
                crate::protocol::text_of(data.get("access_token")).ok_or_else(|| cx.refused(&v))?;
            let ttl = data
                .get("expires_in")
                .and_then(Value::as_i64)
                .unwrap_or(7200);
            Ok(Token {
                access_token: access.into(),
                refresh_token: None,
                expires_at_ms: Some(now_ms() + ttl * 1000),
            })
        })
    }
}

/// A Douyin user (达人) token: the configured `access_token`, refreshed with
/// `POST /oauth/refresh_token/` (form) when the platform rejects it.
#[derive(Debug, Clone)]
pub struct DouyinUserToken {
    pub client_key: String,
    pub access_token: Option<Secret>,
    pub refresh_token: Secret,
}

impl TokenProvider for DouyinUserToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            if let Some(t) = configured(rejected, self.access_token.as_ref(), &self.refresh_token) {
                return Ok(t);
            }
            refresh_user(
                cx,
                &self.client_key,
                newest_refresh(rejected, &self.refresh_token),
            )
            .await
        })
    }
}

/// `POST /oauth/refresh_token/` (form) with the refresh token `rt`. Douyin keeps the refresh
/// token (its 30 days run from the authorization; `/oauth/renew_refresh_token/` renews it), so a
/// refresh that dies before its save loses nothing.
async fn refresh_user(cx: TokenContext<'_>, client_key: &str, rt: &Secret) -> Result<Token> {
    let url = cx.url(HOST, "/oauth/refresh_token/");
    let form = [
        ("client_key", client_key),
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.expose()),
    ];
    let v = cx.post_form(url, &form).await?;
    let data = &v["data"];
    if !crate::protocol::is_zero(data.get("error_code")) {
        return Err(cx.refused(&v));
    }
    refreshed(data, Some(rt)).ok_or_else(|| cx.refused(&v))
}

/// A Douyin user's authorization: `/platform/oauth/connect/`, the code at
/// `/oauth/access_token/`, then refreshes like [`DouyinUserToken`].
#[derive(Debug, Clone)]
pub struct DouyinOAuth {
    pub client_key: String,
    pub client_secret: Secret,
    /// The scopes asked for (comma-separated), e.g. `user_info,alliance.kol`.
    pub scope: String,
}

impl TokenProvider for DouyinOAuth {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(
            async move { refresh_user(cx, &self.client_key, refresh_of(&cx, rejected)?).await },
        )
    }
}

impl AuthorizationFlow for DouyinOAuth {
    fn authorize_url(
        &self,
        base_url: Option<&str>,
        redirect_uri: &str,
        state: &str,
    ) -> Result<String> {
        Ok(flow_url(
            base_url,
            HOST,
            "/platform/oauth/connect/",
            &[
                ("client_key", &self.client_key),
                ("response_type", "code"),
                ("scope", &self.scope),
                ("redirect_uri", redirect_uri),
                ("state", state),
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
            let body = serde_json::json!({"client_key": self.client_key, "client_secret": self.client_secret.expose(),
                                          "code": code, "grant_type": "authorization_code"});
            let url = cx.url(HOST, "/oauth/access_token/");
            let v = cx
                .post(url, "application/json", body.to_string().into_bytes())
                .await?;
            let data = &v["data"];
            if !crate::protocol::is_zero(data.get("error_code")) {
                return Err(cx.refused(&v));
            }
            grant_in(&cx, &v, data, "/open_id")
        })
    }

    /// `POST /oauth/renew_refresh_token/` (form): a new refresh token with 30 days of its own;
    /// the access token stays.
    fn renew<'a>(
        &'a self,
        cx: TokenContext<'a>,
        token: &'a Token,
    ) -> Option<BoxFuture<'a, Result<Token>>> {
        Some(Box::pin(async move {
            let rt = refresh_of(&cx, Some(token))?;
            let url = cx.url(HOST, "/oauth/renew_refresh_token/");
            let form = [
                ("client_key", self.client_key.as_str()),
                ("refresh_token", rt.expose()),
            ];
            let v = cx.post_form(url, &form).await?;
            let data = &v["data"];
            let renewed = crate::protocol::text_of(data.get("refresh_token"));
            match renewed {
                Some(new) if crate::protocol::is_zero(data.get("error_code")) => Ok(Token {
                    refresh_token: Some(Secret::new(new)),
                    ..token.clone()
                }),
                _ => Err(cx.refused(&v)),
            }
        }))
    }
}
