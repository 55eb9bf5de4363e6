//! One cached token per (platform, app, kind[, shop]), refreshed with single-flight.

use super::{Token, TokenContext, TokenProvider, TokenStore};
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
        let mut now = self.current();
        if now.is_none() {
            now = self.store.load(&self.key)?.map(Arc::new);
        }
        if let Some(t) = self.usable(&now) {
            self.set(t.clone());
            return Ok(t);
        }
        let fresh = Arc::new(self.fetch(cx, now.as_deref()).await?);
        self.set(fresh.clone());
        Ok(fresh)
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
        let fresh = Arc::new(self.fetch(cx, Some(rejected)).await?);
        self.set(fresh.clone());
        Ok(fresh)
    }

    async fn fetch(&self, cx: TokenContext<'_>, previous: Option<&Token>) -> Result<Token> {
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
        // Save before anyone uses it: a rotated refresh token must survive a crash.
        self.store.save(&self.key, &fresh)?;
        tracing::debug!(key = %self.key, "token refreshed");
        Ok(fresh)
    }

    pub(crate) fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}
