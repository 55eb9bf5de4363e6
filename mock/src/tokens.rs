//! The token book: the tokens, refresh tokens and authorization codes the mock issued, and how
//! each platform rotates, renews and redeems them.

use crate::{http, MockGateway, Outcome};
use serde_json::json;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub(crate) platform: String,
    pub(crate) kind: &'static str,
    /// The shop it was granted for, when the grant named one.
    pub(crate) shop: Option<String>,
    pub(crate) expires_at: SystemTime,
}

/// An authorization code: for one shop of one app, for one redirect URI, for ten minutes.
#[derive(Debug)]
pub(crate) struct Code {
    pub(crate) platform: String,
    pub(crate) shop: String,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) at: SystemTime,
}

#[derive(Debug)]
pub(crate) struct Redeemed {
    pub(crate) platform: String,
    pub(crate) shop: Option<String>,
    pub(crate) pair: (String, String),
    pub(crate) at: SystemTime,
}

impl MockGateway {
    pub(crate) fn issue(
        &self,
        platform: &str,
        kind: &'static str,
        prefix: &str,
        shop: Option<&str>,
    ) -> (String, String) {
        let mut live = self.lock();
        live.counter += 1;
        let n = live.counter;
        let rand: u64 = rand::random();
        let token = format!("{prefix}{n:04}{rand:016x}");
        let refresh = format!("rft.{n:04}{:016x}", rand.rotate_left(17));
        live.tokens.insert(
            token.clone(),
            Issued {
                platform: platform.to_owned(),
                kind,
                shop: shop.map(str::to_owned),
                expires_at: SystemTime::now() + self.token_ttl,
            },
        );
        live.refresh_tokens.insert(
            refresh.clone(),
            (platform.to_owned(), shop.map(str::to_owned)),
        );
        *live.issued.entry(platform.to_owned()).or_default() += 1;
        (token, refresh)
    }

    /// `Some(shop)` for the platform's configured `refresh_token` (no shop named) or one this
    /// mock issued for it (the shop it was issued for); an issued one is used up (a new refresh
    /// token retires the old one). `None` when it is not valid.
    pub(crate) fn redeem_refresh(
        &self,
        platform: &str,
        refresh_token: &str,
    ) -> Option<Option<String>> {
        if self.get(platform, "refresh_token") == Some(refresh_token) {
            return Some(None);
        }
        let mut live = self.lock();
        match live.refresh_tokens.get(refresh_token) {
            Some((p, _)) if p == platform => live
                .refresh_tokens
                .remove(refresh_token)
                .map(|(_, shop)| shop),
            _ => None,
        }
    }

    /// Douyin's renewal of a refresh token (the configured one or one this mock issued): a new
    /// one for the same shop, the old one retired; at most `limit` renewals of one authorization. `Err(true)` past the limit,
    /// `Err(false)` for a refresh token that is not valid.
    pub(crate) fn renew_refresh(
        &self,
        platform: &str,
        refresh_token: &str,
        limit: u32,
    ) -> Result<String, bool> {
        // The configured refresh token (no shop named) renews too.
        let configured = self.get(platform, "refresh_token") == Some(refresh_token);
        let mut live = self.lock();
        let owner = match configured {
            true => Some((platform.to_owned(), None)),
            false => live.refresh_tokens.get(refresh_token).cloned(),
        };
        let Some((p, shop)) = owner.filter(|(p, _)| p == platform) else {
            return Err(false);
        };
        let done = live.renewals.get(refresh_token).copied().unwrap_or(0);
        if done >= limit {
            return Err(true);
        }
        live.refresh_tokens.remove(refresh_token);
        live.counter += 1;
        let renewed = format!("rft.{:04}{:016x}", live.counter, rand::random::<u64>());
        live.refresh_tokens.insert(renewed.clone(), (p, shop));
        live.renewals.insert(renewed.clone(), done + 1);
        Ok(renewed)
    }

    /// `Some(shop)` for a valid refresh token, as [`Self::redeem_refresh`], but left valid: for
    /// platforms whose refresh keeps the refresh token (Douyin).
    pub(crate) fn refresh_owner(
        &self,
        platform: &str,
        refresh_token: &str,
    ) -> Option<Option<String>> {
        if self.get(platform, "refresh_token") == Some(refresh_token) {
            return Some(None);
        }
        match self.lock().refresh_tokens.get(refresh_token) {
            Some((p, shop)) if p == platform => Some(shop.clone()),
            _ => None,
        }
    }

    /// Refreshes with `refresh_token`: the shop and a new (access, refresh) pair. A refresh token
    /// used up less than `grace` ago gets the pair its first refresh got (Youzan's rule: repeated
    /// refreshes within an hour return the same new pair), so a client that died before saving
    /// that answer loses nothing; with a zero `grace` a used refresh token is dead at once.
    /// `None` when it is not valid.
    pub(crate) fn rotate(
        &self,
        platform: &str,
        refresh_token: &str,
        prefix: &str,
        grace: Duration,
    ) -> Option<(Option<String>, (String, String))> {
        if let Some(shop) = self.redeem_refresh(platform, refresh_token) {
            let pair = self.issue(platform, "user", prefix, shop.as_deref());
            if !grace.is_zero() {
                self.lock().redeemed.insert(
                    refresh_token.to_owned(),
                    Redeemed {
                        platform: platform.to_owned(),
                        shop: shop.clone(),
                        pair: pair.clone(),
                        at: SystemTime::now(),
                    },
                );
            }
            return Some((shop, pair));
        }
        let live = self.lock();
        let r = live.redeemed.get(refresh_token)?;
        let fresh = r.at.elapsed().is_ok_and(|age| age < grace);
        (r.platform == platform && fresh).then(|| (r.shop.clone(), r.pair.clone()))
    }

    /// The authorization page of an app (`platform`): as if the merchant of `shop` (the mock's
    /// own `shop` query param, else the app's first listed shop, else `1001`) agreed at once.
    /// It sends `code` and `state` to `redirect_uri` (HTTP 302), or answers them as JSON when
    /// there is none (Doudian's page redirects to the URL registered with the service).
    pub(crate) fn authorize(&self, platform: &str, api: &str, req: &http::Request) -> Outcome {
        let query = http::parse_form(req.query.as_bytes());
        let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let shop = get("shop")
            .or_else(|| {
                self.get(platform, "shops")
                    .and_then(|s| s.split(',').next())
                    .map(|s| s.trim().to_owned())
            })
            .unwrap_or_else(|| "1001".to_owned());
        let code = format!("code-{:016x}", rand::random::<u64>());
        let redirect_uri = get("redirect_uri");
        self.lock().codes.insert(
            code.clone(),
            Code {
                platform: platform.to_owned(),
                shop,
                redirect_uri: redirect_uri.clone(),
                at: SystemTime::now(),
            },
        );
        let state = get("state").unwrap_or_default();
        match redirect_uri {
            Some(uri) => {
                let pairs = form_urlencoded::Serializer::new(String::new())
                    .append_pair("code", &code)
                    .append_pair("state", &state)
                    .finish();
                let joiner = if uri.contains('?') { '&' } else { '?' };
                Outcome::redirect(api, format!("{uri}{joiner}{pairs}"))
            }
            None => Outcome::ok(api, json!({"code": code, "state": state})),
        }
    }

    /// The shop of a code issued by [`Self::authorize`] for `platform`, used up; `None` when it
    /// is unknown, used, older than ten minutes, or for another redirect URI.
    pub(crate) fn redeem_code(
        &self,
        platform: &str,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Option<String> {
        let c = self.lock().codes.remove(code)?;
        let fresh =
            c.at.elapsed()
                .is_ok_and(|age| age < Duration::from_secs(600));
        let same_uri = match (redirect_uri, c.redirect_uri.as_deref()) {
            (Some(sent), Some(issued)) => sent == issued,
            _ => true,
        };
        (c.platform == platform && fresh && same_uri).then_some(c.shop)
    }

    /// The shop `token` was granted for, if it was granted for a named shop.
    pub(crate) fn shop_of(&self, token: &str) -> Option<String> {
        self.lock().tokens.get(token)?.shop.clone()
    }

    /// `Ok(())`, or `Err(expired?)` for an unknown / expired token.
    pub(crate) fn check_token(
        &self,
        platform: &str,
        kind: &str,
        token: &str,
        static_key: Option<&str>,
    ) -> Result<(), bool> {
        if static_key.is_some_and(|k| self.get(platform, k) == Some(token)) {
            return Ok(());
        }
        match self.lock().tokens.get(token) {
            Some(t) if t.platform == platform && t.kind == kind => {
                if t.expires_at > SystemTime::now() {
                    Ok(())
                } else {
                    Err(true)
                }
            }
            _ => Err(false),
        }
    }
}
