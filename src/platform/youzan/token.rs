//! Youzan's token endpoint, `/auth/token`.

use crate::error::Result;
use crate::secret::Secret;
use crate::token::{Token, TokenContext, TokenProvider};
use crate::wire::BoxFuture;
use serde_json::Value;

/// Youzan `/auth/token`: silent grant (`grant_id`), refresh with the refresh token when one was issued.
#[derive(Debug, Clone)]
pub struct YouzanToken {
    pub client_id: String,
    pub client_secret: Secret,
    pub grant_id: String,
}

impl TokenProvider for YouzanToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            let body = match rejected.and_then(|t| t.refresh_token.as_ref()) {
                Some(rt) => {
                    serde_json::json!({"client_id": self.client_id, "client_secret": self.client_secret.expose(), "authorize_type": "refresh_token", "refresh_token": rt.expose()})
                }
                None => {
                    serde_json::json!({"client_id": self.client_id, "client_secret": self.client_secret.expose(), "authorize_type": "silent", "grant_id": cx.shop.unwrap_or(&self.grant_id), "refresh": true})
                }
            };
            let url = cx.url("https://open.youzanyun.com", "/auth/token");
            let v = cx
                .post(url, "application/json", body.to_string().into_bytes())
                .await?;
            if !matches!(v.get("success"), Some(Value::Bool(true))) {
                return Err(cx.refused(&v));
            }
            let data = v.get("data").cloned().unwrap_or_default();
            let access =
                crate::protocol::text_of(data.get("access_token")).ok_or_else(|| cx.refused(&v))?;
            Ok(Token {
                access_token: access.into(),
                refresh_token: crate::protocol::text_of(data.get("refresh_token")).map(Secret::new),
                expires_at_ms: data.get("expires").and_then(Value::as_i64),
            })
        })
    }

    /// A self-use app's silent grant takes any of its shops as `grant_id`.
    fn grants_any_shop(&self) -> bool {
        true
    }
}
