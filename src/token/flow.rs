//! Tool apps' (工具型应用) authorization-code flows: the URL a merchant opens to authorize the
//! app, the exchange of the code the platform sends back for that shop's token, and the refresh
//! of such tokens. Each platform's flow is in its folder (`src/platform/<p>/token.rs`).

use super::provider::{refreshed, Token, TokenContext, TokenProvider};
use crate::error::Result;
use crate::secret::Secret;
use crate::wire::BoxFuture;

/// A platform's authorization-code flow. As a [`TokenProvider`] it refreshes a shop's stored
/// token; it never grants a token without a code.
pub trait AuthorizationFlow: TokenProvider {
    /// The URL to send the merchant to. `base_url` (the platform's configured one) replaces the
    /// authorization host; `state` comes back with the code, for the caller to check.
    fn authorize_url(
        &self,
        base_url: Option<&str>,
        redirect_uri: &str,
        state: &str,
    ) -> Result<String>;

    /// Exchanges the `code` the platform sent to `redirect_uri` for the shop's token.
    fn exchange<'a>(
        &'a self,
        cx: TokenContext<'a>,
        code: &'a str,
        redirect_uri: &'a str,
    ) -> BoxFuture<'a, Result<Grant>>;

    /// Renews the refresh token of `token` where the platform has a renewal (Douyin's
    /// `/oauth/renew_refresh_token/`, at most five times); `None` where it has none.
    fn renew<'a>(
        &'a self,
        _cx: TokenContext<'a>,
        _token: &'a Token,
    ) -> Option<BoxFuture<'a, Result<Token>>> {
        None
    }
}

/// What a code exchange gives: the shop the platform says authorized the app (Youzan
/// `authority_id`, Taobao `taobao_user_id`, Doudian `shop_id`, Douyin `open_id`, 1688
/// `memberId`) and its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub shop: String,
    pub token: Token,
}

/// `host + path` (the host replaced by `base_url` when set) with `pairs` as its query.
pub(crate) fn url(
    base_url: Option<&str>,
    host: &str,
    path: &str,
    pairs: &[(&str, &str)],
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!(
        "{}{path}?{query}",
        base_url.unwrap_or(host).trim_end_matches('/')
    )
}

/// The refresh token of `previous`: a flow refreshes stored tokens only.
pub(crate) fn refresh_of<'a>(
    cx: &TokenContext<'_>,
    previous: Option<&'a Token>,
) -> Result<&'a Secret> {
    previous
        .and_then(|t| t.refresh_token.as_ref())
        .ok_or_else(|| needs_code(cx))
}

/// Nothing stored to refresh: only the shop's authorization gives a first token.
pub(crate) fn needs_code(cx: &TokenContext<'_>) -> crate::Error {
    cx.auth_error("no refresh token stored for this shop: it must authorize the app first (opengate auth url)")
}

/// The grant of a code exchange: the token in `object` (the answer `v`, or the part of it that
/// holds the token) and the shop id at `shop` in it.
pub(crate) fn grant_in(
    cx: &TokenContext<'_>,
    v: &serde_json::Value,
    object: &serde_json::Value,
    shop: &str,
) -> Result<Grant> {
    let token = refreshed(object, None).ok_or_else(|| cx.refused(v))?;
    Ok(Grant {
        shop: shop_in(cx, object, shop)?,
        token,
    })
}

/// The shop id in a token endpoint's answer, as text.
pub(crate) fn shop_in(
    cx: &TokenContext<'_>,
    v: &serde_json::Value,
    pointer: &str,
) -> Result<String> {
    crate::protocol::text_of(v.pointer(pointer))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| cx.auth_error(format!("token endpoint answered no shop id (`{pointer}`)")))
}
