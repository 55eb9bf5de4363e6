//! A token, the context a provider gets, and the provider trait with its static and
//! configured forms; what every other file of `token` builds on.

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::wire::{Body, BoxFuture, Transport, WireRequest};
use crate::HttpMethod;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An access token and what came with it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Expiry as epoch milliseconds; `None` = unknown (used until rejected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Token {
    /// A token without a known expiry.
    pub fn new(access_token: impl Into<Secret>) -> Self {
        Token {
            access_token: access_token.into(),
            refresh_token: None,
            expires_at_ms: None,
        }
    }

    /// True if it expires within `margin`.
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at_ms.is_some_and(|at| {
            at - now_ms() <= i64::try_from(margin.as_millis()).unwrap_or(i64::MAX)
        })
    }
}

/// What a provider may use to reach a token endpoint.
#[derive(Clone, Copy)]
pub struct TokenContext<'a> {
    /// The platform's name in the client (`youzan`, or a second platform of the same protocol).
    pub platform: &'a str,
    pub transport: &'a dyn Transport,
    /// The configured `base_url` of the platform, if any (replaces the endpoint's host).
    pub base_url: Option<&'a str>,
    pub timeout: Duration,
    /// The shop the token is for, when the call named one ([`crate::Client::shop`]).
    pub shop: Option<&'a str>,
}

impl fmt::Debug for TokenContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenContext")
            .field("platform", &self.platform)
            .field("base_url", &self.base_url)
            .field("shop", &self.shop)
            .finish_non_exhaustive()
    }
}

impl TokenContext<'_> {
    pub(crate) fn url(&self, default_host: &str, path: &str) -> String {
        format!("{}{path}", self.base_url.unwrap_or(default_host))
    }

    /// POSTs `pairs` as a form (`application/x-www-form-urlencoded`); see [`Self::post`].
    pub async fn post_form(&self, url: String, pairs: &[(&str, &str)]) -> Result<Value> {
        let form = crate::protocol::form_body(pairs);
        self.post(url, "application/x-www-form-urlencoded", form)
            .await
    }

    /// POSTs and returns the JSON answer, mapping every failure to `Error::Auth`.
    pub async fn post(
        &self,
        url: String,
        content_type: &str,
        body: impl Into<bytes::Bytes>,
    ) -> Result<Value> {
        let auth = |message: String| self.auth_error(message);
        let req = WireRequest {
            method: HttpMethod::Post,
            url: url::Url::parse(&url)
                .map_err(|e| auth(format!("invalid token endpoint URL `{url}`: {e}")))?,
            headers: Vec::new(),
            body: Body::Bytes {
                content_type: content_type.into(),
                bytes: body.into(),
            },
        };
        let resp = self
            .transport
            .send(req, self.timeout)
            .await
            .map_err(|e| self.unreachable(e))?;
        crate::read::tree(&resp.body).map_err(|_| {
            auth(format!(
                "token endpoint answered HTTP {} with a body that is not JSON: {}",
                resp.status,
                crate::error::excerpt(&resp.body, 120)
            ))
        })
    }
}

impl TokenContext<'_> {
    /// An [`Error::Auth`] of this platform.
    pub fn auth_error(&self, message: impl Into<String>) -> Error {
        Error::Auth {
            platform: self.platform.to_owned(),
            message: message.into(),
            source: None,
        }
    }

    /// Whether `e` is the token endpoint's answer saying no (a refresh token it no longer
    /// honours), rather than no answer at all.
    pub(crate) fn is_refusal(e: &Error) -> bool {
        matches!(e, Error::Auth { source: None, .. })
    }

    /// The token endpoint could not be reached: `e` is the error's source.
    pub(crate) fn unreachable(&self, e: crate::wire::TransportError) -> Error {
        Error::Auth {
            platform: self.platform.to_owned(),
            message: "token endpoint unreachable".into(),
            source: Some(e),
        }
    }

    /// The error for a token endpoint's refusal `body`, with its code and message.
    pub(crate) fn refused(&self, body: &Value) -> Error {
        let text = |pointer: &str| crate::protocol::text_of(body.pointer(pointer));
        let code = text("/code")
            .or_else(|| text("/data/error_code"))
            .or_else(|| text("/error"))
            .unwrap_or_default();
        let msg = text("/message")
            .or_else(|| text("/data/description"))
            .or_else(|| text("/msg"))
            .or_else(|| text("/error_description"))
            .unwrap_or_default();
        let msg = crate::redact::mask(&msg);
        self.auth_error(format!("token endpoint refused: code {code}: {msg}"))
    }
}

/// Obtains tokens. `rejected` is the token the platform just refused (or that
/// expired), so a provider can use its refresh token.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token for `cx.shop` (or the configured shop), refreshing `rejected` when given: the
    /// stored or cached token that expired or that the platform refused.
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>>;

    /// Whether it can obtain a first token for any shop named in the context, with nothing
    /// stored for it (a self-use app's silent grant: Youzan's `grant_id`, Doudian's
    /// `authorization_self`). A provider configured with one shop's tokens cannot: for any other
    /// shop it only refreshes what the store holds, so that no shop is ever given another's token.
    fn grants_any_shop(&self) -> bool {
        false
    }
}

/// A fixed token from configuration (Taobao `session`, 1688/Douyin/Doudian `access_token`).
/// It cannot be refreshed: a rejection is returned to the caller.
#[derive(Debug, Clone)]
pub struct StaticToken {
    platform: String,
    token: Secret,
}

impl StaticToken {
    pub fn new(platform: impl Into<String>, token: impl Into<Secret>) -> Self {
        StaticToken {
            platform: platform.into(),
            token: token.into(),
        }
    }
}

impl TokenProvider for StaticToken {
    fn fetch<'a>(
        &'a self,
        _cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            if rejected.is_some_and(|r| r.access_token == self.token) {
                return Err(Error::Auth {
                    platform: self.platform.clone(),
                    source: None,
                    message: "the configured access token was rejected and cannot be refreshed"
                        .into(),
                });
            }
            Ok(Token::new(self.token.clone()))
        })
    }
}

/// For providers with a configured access token and refresh token: the configured access token,
/// on the first fetch (nothing rejected yet).
pub(crate) fn configured(
    rejected: Option<&Token>,
    access: Option<&Secret>,
    refresh: &Secret,
) -> Option<Token> {
    match (rejected, access) {
        (None, Some(access)) => Some(Token {
            access_token: access.clone(),
            refresh_token: Some(refresh.clone()),
            expires_at_ms: None,
        }),
        _ => None,
    }
}

/// The newest refresh token: the one that came with the rejected token, else the configured one.
pub(crate) fn newest_refresh<'a>(
    rejected: Option<&'a Token>,
    configured: &'a Secret,
) -> &'a Secret {
    rejected
        .and_then(|t| t.refresh_token.as_ref())
        .unwrap_or(configured)
}

/// The token in a token endpoint's answer `object`: `access_token`, `expires_in` (seconds, a
/// number or text), and `refresh_token` when a new one came (it replaces `old`; else `old`
/// stays good).
pub(crate) fn refreshed(object: &Value, old: Option<&Secret>) -> Option<Token> {
    let text = |key: &str| crate::protocol::text_of(object.get(key));
    let ttl = text("expires_in").and_then(|t| t.parse::<i64>().ok());
    Some(Token {
        access_token: text("access_token")?.into(),
        refresh_token: text("refresh_token")
            .map(Secret::new)
            .or_else(|| old.cloned()),
        expires_at_ms: ttl.map(|t| now_ms() + t * 1000),
    })
}

/// A token as a store holds it, with the version the store gave it (1 for the first save).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub token: Token,
    pub version: u64,
}
