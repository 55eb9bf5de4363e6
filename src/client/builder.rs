//! [`ClientBuilder`]: platforms, transport, token store, timeouts, retries and limits, checked
//! once when the client is built.

use super::call::{Client, Inner, Platform, PlatformOptions, Shops};
use super::steps::RetryPolicy;
use crate::error::{Error, Result};
use crate::limit::{RateLimiter, SharedLimit};
use crate::protocol::Protocol;
use crate::token::{MemoryStore, TokenManager, TokenProvider, TokenStore};
use crate::wire::{ReqwestTransport, Transport};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    platforms: Vec<(String, Arc<dyn Protocol>, PlatformOptions)>,
    transport: Option<Arc<dyn Transport>>,
    store: Arc<dyn TokenStore>,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
    retry: RetryPolicy,
    refresh_margin: Duration,
    shared_limit: Option<Arc<dyn SharedLimit>>,
    rate_limit_outage: Duration,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            platforms: Vec::new(),
            transport: None,
            store: Arc::new(MemoryStore::default()),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            max_body: crate::wire::DEFAULT_MAX_BODY,
            retry: RetryPolicy::default(),
            refresh_margin: Duration::from_secs(300),
            shared_limit: None,
            rate_limit_outage: crate::limit::DEFAULT_OUTAGE,
        }
    }
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl ClientBuilder {
    /// Registers a platform by the name its specs use (`youzan`, `taobao`, or your own).
    pub fn platform(
        mut self,
        name: impl Into<String>,
        protocol: Arc<dyn Protocol>,
        options: PlatformOptions,
    ) -> Self {
        let name = name.into();
        self.platforms.retain(|(n, _, _)| *n != name);
        self.platforms.push((name, protocol, options));
        self
    }
    pub fn transport(mut self, t: Arc<dyn Transport>) -> Self {
        self.transport = Some(t);
        self
    }
    pub fn token_store(mut self, s: Arc<dyn TokenStore>) -> Self {
        self.store = s;
        self
    }
    /// Per-request timeout (whole exchange).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }
    /// The largest answer body the default transport reads, in bytes (default
    /// [`crate::wire::DEFAULT_MAX_BODY`], 64 MiB); a larger one fails the call with
    /// [`crate::wire::TransportError::TooLarge`] and is not retried.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
    pub fn retry(mut self, r: RetryPolicy) -> Self {
        self.retry = r;
        self
    }
    /// Keeps every platform's `qps` in `limit`, shared with the other processes that use it
    /// (a fleet under one app's limit), instead of in this process.
    pub fn shared_rate_limit(mut self, limit: Arc<dyn SharedLimit>) -> Self {
        self.shared_limit = Some(limit);
        self
    }
    /// How long a call keeps trying a [`SharedLimit`] whose store fails (a Redis restart)
    /// before it fails with the store's error (default [`crate::limit::DEFAULT_OUTAGE`]).
    pub fn rate_limit_outage(mut self, d: Duration) -> Self {
        self.rate_limit_outage = d;
        self
    }
    /// Tokens expiring within this margin are refreshed before use (default 5 min).
    pub fn refresh_margin(mut self, m: Duration) -> Self {
        self.refresh_margin = m;
        self
    }

    pub fn build(self) -> Result<Client> {
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestTransport::new(self.connect_timeout, self.max_body)?),
        };
        let mut platforms = HashMap::new();
        for (name, protocol, o) in self.platforms {
            let manager = |kind: &str, p: &Option<Arc<dyn TokenProvider>>| {
                p.clone().map(|p| {
                    Arc::new(TokenManager::new(
                        format!("{name}/{}/{kind}", o.app_id),
                        p,
                        self.store.clone(),
                        self.refresh_margin,
                    ))
                })
            };
            let limit = |what: &str, qps: f64, key: String| {
                RateLimiter::new(
                    qps,
                    key,
                    self.shared_limit
                        .as_ref()
                        .map(|l| (l, self.rate_limit_outage)),
                )
                .ok_or_else(|| {
                    Error::Config(format!(
                        "{name}: {what} must be a number of calls a second of at least one a \
                         year ({:e}), got {qps}",
                        crate::limit::MIN_QPS
                    ))
                })
            };
            let limiter = match o.qps {
                Some(q) => Some(limit("qps", q, format!("{name}/{}", o.app_id))?),
                None => None,
            };
            let mut api_limiters = HashMap::new();
            for (api, q) in o.api_qps {
                let key = format!("{name}/{}/{api}", o.app_id);
                api_limiters.insert(api.clone(), limit(&format!("the qps of `{api}`"), q, key)?);
            }
            let p = Platform {
                name: name.clone(),
                protocol,
                base_url: o.base_url.map(|u| u.trim_end_matches('/').to_owned()),
                user: manager("user", &o.user_token),
                client: manager("client", &o.client_token),
                // A provider that grants any shop serves them all; otherwise the flow refreshes
                // the tokens the shops' authorizations stored.
                shops: match (&o.user_token, &o.flow) {
                    (Some(p), _) if p.grants_any_shop() => Some(p.clone()),
                    (_, Some(flow)) => Some(flow.clone() as Arc<dyn TokenProvider>),
                    (p, None) => p.clone(),
                }
                .map(|provider| Shops {
                    provider,
                    key: format!("{name}/{}/user", o.app_id),
                    store: self.store.clone(),
                    margin: self.refresh_margin,
                    managers: std::sync::Mutex::default(),
                }),
                listed_shops: o.shops,
                flow: o.flow,
                limiter,
                api_limiters,
            };
            platforms.insert(name, p);
        }
        Ok(Client {
            inner: Arc::new(Inner {
                platforms,
                transport,
                timeout: self.timeout,
                retry: self.retry,
            }),
            shop: None,
        })
    }
}
