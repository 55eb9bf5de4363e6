//! One cached token per (platform, app, kind[, shop]), refreshed with single-flight in the
//! process and under the store's lease across processes.

use super::provider::Stored;
use super::provider::{Token, TokenContext, TokenProvider};
use super::store::TokenStore;
use super::store::{InFlight, Lease, Swap};
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One cached token with single-flight refresh.
#[derive(Debug)]
pub(crate) struct TokenManager {
    key: String,
    /// The shop named by the caller, for a manager of one of an app's shops.
    shop: Option<Arc<str>>,
    provider: Arc<dyn TokenProvider>,
    store: Arc<dyn TokenStore>,
    /// The current token: read without waiting on every call.
    current: std::sync::RwLock<Option<Arc<Token>>>,
    /// Held while fetching, so N callers on an expired token cause one fetch.
    fetching: tokio::sync::Mutex<()>,
    margin: Duration,
    fetches: AtomicU64,
    /// This manager's name on the store's refresh leases: random, so that a lease is released
    /// only by the worker that took it.
    owner: String,
}

impl TokenManager {
    pub(crate) fn new(
        key: String,
        provider: Arc<dyn TokenProvider>,
        store: Arc<dyn TokenStore>,
        margin: Duration,
    ) -> Self {
        TokenManager {
            key,
            shop: None,
            provider,
            store,
            current: std::sync::RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            margin,
            fetches: AtomicU64::new(0),
            owner: format!("{:032x}", rand::random::<u128>()),
        }
    }

    /// The manager of one shop's token, stored under `key`.
    pub(crate) fn for_shop(
        key: String,
        shop: Arc<str>,
        provider: Arc<dyn TokenProvider>,
        store: Arc<dyn TokenStore>,
        margin: Duration,
    ) -> Self {
        TokenManager {
            shop: Some(shop),
            ..TokenManager::new(key, provider, store, margin)
        }
    }

    fn current(&self) -> Option<Arc<Token>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, t: Arc<Token>) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(t);
    }

    fn usable(&self, t: &Option<Arc<Token>>) -> Option<Arc<Token>> {
        t.as_ref()
            .filter(|t| !t.expires_within(self.margin))
            .cloned()
    }

    /// A valid token: cached, stored, or freshly fetched (one fetch however many callers wait).
    pub(crate) async fn get(&self, cx: TokenContext<'_>) -> Result<Arc<Token>> {
        if let Some(t) = self.usable(&self.current()) {
            return Ok(t); // the hot path: no lock held across an await
        }
        let _one_fetcher = self.fetching.lock().await;
        if let Some(t) = self.usable(&self.current()) {
            return Ok(t); // refreshed by the caller this one waited for
        }
        self.renew(cx, None).await
    }

    /// The platform rejected `rejected`: refresh unless another caller already did.
    pub(crate) async fn refresh(
        &self,
        cx: TokenContext<'_>,
        rejected: &Token,
    ) -> Result<Arc<Token>> {
        let _one_fetcher = self.fetching.lock().await;
        if let Some(t) = self.usable(&self.current()) {
            if t.access_token != rejected.access_token {
                return Ok(t);
            }
        }
        self.renew(cx, Some(rejected)).await
    }

    /// The stored token when it is good (usable, and not the one rejected), else a refresh
    /// under the store's lease, so that one worker of all that share the store refreshes
    /// while the others wait for its save.
    async fn renew(&self, cx: TokenContext<'_>, rejected: Option<&Token>) -> Result<Arc<Token>> {
        // The lease outlives the token endpoint's timeout; past it, a stalled holder loses it.
        let ttl = cx.timeout * 2 + Duration::from_secs(1);
        let give_up = tokio::time::Instant::now() + ttl * 3;
        let mut pause = Duration::from_millis(10);
        loop {
            if let Some(t) = self.good(self.store.load(&self.key).await?, rejected) {
                return Ok(t);
            }
            match self.store.lease(&self.key, &self.owner, ttl).await? {
                Lease::Taken { abandoned } => {
                    let fresh = self.refresh_leased(cx, rejected, abandoned).await;
                    // Released whatever the outcome: nothing is in flight any more.
                    if let Err(e) = self.store.release(&self.key, &self.owner).await {
                        tracing::warn!(key = %self.key, error = %e, "refresh lease not released; it runs out by itself");
                    }
                    return fresh;
                }
                Lease::Held if tokio::time::Instant::now() < give_up => {
                    tokio::time::sleep(pause.mul_f64(rand::random_range(0.5..1.5))).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                Lease::Held => {
                    return Err(Error::Auth {
                        platform: cx.platform.to_owned(),
                        message: format!(
                            "another worker has held the refresh lease of {} for over {} s without saving a token",
                            self.key,
                            (ttl * 3).as_secs()
                        ),
                        source: None,
                    })
                }
            }
        }
    }

    /// The stored token, cached, when it is usable and not `rejected`.
    fn good(&self, stored: Option<Stored>, rejected: Option<&Token>) -> Option<Arc<Token>> {
        let stored = stored?;
        if stored.token.expires_within(self.margin)
            || rejected.is_some_and(|r| r.access_token == stored.token.access_token)
        {
            return None;
        }
        let t = Arc::new(stored.token);
        self.set(t.clone());
        Some(t)
    }

    /// Refreshes while holding the lease: reads the store again (another worker may have saved
    /// between the first read and the lease), refreshes from the newest stored token, and swaps
    /// the answer in over the version it came from.
    async fn refresh_leased(
        &self,
        cx: TokenContext<'_>,
        rejected: Option<&Token>,
        abandoned: Option<InFlight>,
    ) -> Result<Arc<Token>> {
        let stored = self.store.load(&self.key).await?;
        if let Some(t) = self.good(stored.clone(), rejected) {
            return Ok(t);
        }
        if let Some(a) = abandoned {
            // The platform may have rotated the refresh token for that worker. Each platform's
            // rule decides whether the stored one still works (docs/decisions.md, "Tokens, shops and fleets").
            tracing::warn!(key = %self.key, owner = %a.owner, since_ms = a.since_ms,
                "an earlier refresh never saved its answer; refreshing from the stored token");
        }
        let (previous, version) = match &stored {
            Some(s) => (Some(&s.token), s.version),
            None => (rejected, 0),
        };
        if let Some(shop) = &self.shop {
            // Anything else would hand this shop the configured shop's token.
            let refreshable = previous.is_some_and(|t| t.refresh_token.is_some());
            if !refreshable && !self.provider.grants_any_shop() {
                return Err(Error::Auth {
                    platform: cx.platform.to_owned(),
                    message: format!(
                        "shop {shop} has no refreshable token in the store (key {}): the shop must authorize the app and its token be saved first",
                        self.key
                    ),
                    source: None,
                });
            }
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let fresh = self.provider.fetch(cx, previous).await?;
        // Saved before anyone uses it: a rotated refresh token must survive a crash.
        match self.store.swap(&self.key, version, &fresh).await? {
            Swap::Saved { .. } => {
                tracing::debug!(key = %self.key, "token refreshed");
                let t = Arc::new(fresh);
                self.set(t.clone());
                Ok(t)
            }
            Swap::Newer(now) => {
                // This worker outlived its lease and another saved meanwhile: the store's token
                // is the newer one, and stays.
                tracing::warn!(key = %self.key, "a newer token was saved during this refresh; keeping it");
                let t = Arc::new(now.token);
                self.set(t.clone());
                Ok(t)
            }
        }
    }

    pub(crate) fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}
