//! 1688's token endpoint, `system.oauth2/getToken`.

use crate::error::Result;
use crate::secret::Secret;
use crate::token::{configured, newest_refresh, refreshed, Token, TokenContext, TokenProvider};
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
            let path = format!("/openapi/http/1/system.oauth2/getToken/{}", self.app_key);
            let url = cx.url("https://gw.open.1688.com", &path);
            let form = [
                ("grant_type", "refresh_token"),
                ("client_id", self.app_key.as_str()),
                ("client_secret", self.app_secret.expose()),
                ("refresh_token", rt.expose()),
            ];
            let v = cx.post_form(url, &form).await?;
            refreshed(&v, Some(rt)).ok_or_else(|| cx.refused(&v))
        })
    }
}
