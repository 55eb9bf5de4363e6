//! The client and its one call path: an orchestrator of the steps in `steps.rs`.

use super::reply::{RawReply, Reply, Slot};
use super::steps::RetryPolicy;
use crate::desc::{ApiDesc, AuthKind, ParamLocation};
use crate::error::{Error, Result};
use crate::limit::RateLimiter;
use crate::protocol::{Call, Param, Protocol};
use crate::read::{read_data, FromJson};
use crate::token::{
    AuthorizationFlow, Grant, Stored, Token, TokenContext, TokenManager, TokenProvider, TokenStore,
};
use crate::types::File;
use crate::wire::Transport;
use crate::write::ToJson;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// A generated request type: its API descriptor and response type.
pub trait ApiRequest: ToJson {
    type Response: FromJson + Default + Send + 'static;
    fn api() -> &'static ApiDesc;
    /// Upload params (multipart), not part of the serialized params.
    fn files(&self) -> Vec<(&'static str, File)> {
        Vec::new()
    }
}

/// One call of an API, sent when awaited: what every generated method returns
/// ([`Client::send_owned`]). A `Future` of a name of its own, rather than `impl Future`: the generated
/// methods only hand the request on, and an opaque return type per API cost the compiler more
/// than the rest of the accessor (a third of the Taobao platform crate's check, where its 5,700
/// methods are; docs/PERFORMANCE.md), as an `async` body per API would. The request's future is
/// boxed once, here, not per API.
#[must_use = "a call sends nothing until awaited"]
pub struct ApiCall<'a, R: ApiRequest>(Sending<'a, R::Response>);

/// The boxed future of one call.
type Sending<'a, T> = Pin<Box<dyn Future<Output = Result<Reply<T>>> + Send + 'a>>;

impl<R: ApiRequest> Future for ApiCall<'_, R> {
    type Output = Result<Reply<R::Response>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().0.as_mut().poll(cx)
    }
}

impl<R: ApiRequest> fmt::Debug for ApiCall<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ApiCall").field(&R::api().name).finish()
    }
}

/// How one platform is set up in a client.
#[derive(Debug, Default)]
pub struct PlatformOptions {
    /// Replaces scheme, host and port of every URL of the platform (paths stay).
    pub base_url: Option<String>,
    /// For `auth: user` APIs.
    pub user_token: Option<Arc<dyn TokenProvider>>,
    /// For `auth: client` APIs.
    pub client_token: Option<Arc<dyn TokenProvider>>,
    /// Identifies the app in token store keys.
    pub app_id: String,
    /// A tool app's authorization-code flow ([`Client::authorize_url`], [`Client::exchange_code`]);
    /// it refreshes the tokens of the shops that authorized by code.
    pub flow: Option<Arc<dyn AuthorizationFlow>>,
    /// Client-side QPS limit.
    pub qps: Option<f64>,
    /// Limits of single APIs, by name (the platforms limit some APIs below the app's QPS).
    pub api_qps: Vec<(String, f64)>,
    /// Shops of the app besides the configured one, listed in the config (`shops = "1001, 1002"`),
    /// for a caller that serves them all: [`Client::shops`].
    pub shops: Vec<String>,
}

#[derive(Debug)]
pub(super) struct Platform {
    /// Its name in the client, for token providers' errors.
    pub(super) name: String,
    pub(super) protocol: Arc<dyn Protocol>,
    pub(super) base_url: Option<String>,
    /// The user token when no shop is named: the single-shop configuration.
    pub(super) user: Option<Arc<TokenManager>>,
    pub(super) client: Option<Arc<TokenManager>>,
    /// One user token per shop named with [`Client::shop`], made on first use.
    pub(super) shops: Option<Shops>,
    /// The shops the config lists.
    pub(super) listed_shops: Vec<String>,
    pub(super) flow: Option<Arc<dyn AuthorizationFlow>>,
    pub(super) limiter: Option<RateLimiter>,
    /// The limits of single APIs (`api_qps`), by API name, besides the platform's.
    pub(super) api_limiters: HashMap<String, RateLimiter>,
}

/// The user tokens of the shops of one app: the same provider, a store key per shop.
#[derive(Debug)]
pub(super) struct Shops {
    pub(super) provider: Arc<dyn TokenProvider>,
    /// `platform/app/user`; a shop's key is this plus `/` and its id (ids are not secrets).
    pub(super) key: String,
    pub(super) store: Arc<dyn TokenStore>,
    pub(super) margin: Duration,
    pub(super) managers: std::sync::Mutex<HashMap<Arc<str>, Arc<TokenManager>>>,
}

impl Shops {
    fn manager(&self, shop: &Arc<str>) -> Arc<TokenManager> {
        let mut managers = self
            .managers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        managers
            .entry(shop.clone())
            .or_insert_with(|| {
                Arc::new(TokenManager::for_shop(
                    format!("{}/{shop}", self.key),
                    shop.clone(),
                    self.provider.clone(),
                    self.store.clone(),
                    self.margin,
                ))
            })
            .clone()
    }
}

pub(super) struct Inner {
    pub(super) platforms: HashMap<String, Platform>,
    pub(super) transport: Arc<dyn Transport>,
    pub(super) timeout: Duration,
    pub(super) retry: RetryPolicy,
}

/// The client every generated method calls. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    pub(super) inner: Arc<Inner>,
    /// The shop (grant) whose user token calls use; `None` is the configured single shop.
    pub(super) shop: Option<Arc<str>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("platforms", &self.inner.platforms)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("shop", &self.shop)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Sends a generated request and decodes its typed response.
    pub async fn send<R: ApiRequest>(&self, request: &R) -> Result<Reply<R::Response>> {
        let api = R::api();
        let params = to_params(api, request)?;
        self.read(api, &params, &request.files()).await
    }

    /// A call of `api` with its params built, its data read into `T` (also each page of a
    /// paged run).
    pub(crate) async fn read<T: FromJson + Default + Send + 'static>(
        &self,
        api: &ApiDesc,
        params: &[Param],
        files: &[(&'static str, File)],
    ) -> Result<Reply<T>> {
        let mut data: Option<T> = None;
        let raw = self.call(api, params, files, Some(&mut data)).await?;
        Ok(Reply {
            data: data.unwrap_or_default(),
            raw: Arc::new(raw),
        })
    }

    /// [`Client::send`] for a request it owns, as an [`ApiCall`]: what the generated methods
    /// return.
    pub fn send_owned<'a, R>(&'a self, request: R) -> ApiCall<'a, R>
    where
        R: ApiRequest + Send + Sync + 'a,
    {
        ApiCall(Box::pin(async move { self.send(&request).await }))
    }

    /// This client for one shop (a grant: Youzan `kdt_id`, Doudian `shop_id`, a Taobao seller...):
    /// `client.shop("42587152").youzan().some_api(request)` calls with that shop's user token,
    /// kept in the token store under its own key (`platform/app/user/42587152`) and refreshed on
    /// its own. Everything else (transport, rate limits, retries) is shared. A provider that can
    /// grant any shop (a self-use app's silent grant) obtains the first token itself; otherwise
    /// the shop's token must be in the store (saved when the shop authorized the app).
    pub fn shop(&self, shop: impl Into<String>) -> Client {
        Client {
            inner: self.inner.clone(),
            shop: Some(shop.into().into()),
        }
    }

    /// The shops a platform's config table lists (`shops = "1001, 1002"`), in order: what a
    /// service provider's worker iterates, calling `client.shop(id)` for each.
    pub fn shops(&self, platform: &str) -> Vec<&str> {
        self.inner
            .platforms
            .get(platform)
            .map(|p| p.listed_shops.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The URL a merchant opens to authorize this tool app for a shop (Youzan, Taobao, Doudian,
    /// Douyin and 1688 authorization codes); the platform sends the code and `state` to
    /// `redirect_uri`, and [`Client::exchange_code`] turns the code into the shop's token.
    pub fn authorize_url(&self, platform: &str, redirect_uri: &str, state: &str) -> Result<String> {
        let p = self.platform(platform)?;
        Self::flow_of(p)?.authorize_url(p.base_url.as_deref(), redirect_uri, state)
    }

    /// Exchanges an authorization `code` for the shop's token and saves it in the token store
    /// under the shop's key, replacing what was there: from now on `client.shop(grant.shop)`
    /// calls with it, in every process that shares the store.
    pub async fn exchange_code(
        &self,
        platform: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Grant> {
        let p = self.platform(platform)?;
        let flow = Self::flow_of(p)?;
        let grant = flow.exchange(self.token_cx(p), code, redirect_uri).await?;
        let shops = p.shops.as_ref().ok_or_else(|| Self::no_flow(p))?;
        let key = format!("{}/{}", shops.key, grant.shop);
        crate::token::replace(&*shops.store, &key, &grant.token).await?;
        // A manager made before caches the shop's old token: the next call loads the new one.
        shops
            .managers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(grant.shop.as_str());
        Ok(grant)
    }

    /// Renews a shop's refresh token where the platform has a renewal (Douyin), under the
    /// store's refresh lease, and saves it over the version it renewed.
    pub async fn renew_refresh_token(&self, platform: &str, shop: &str) -> Result<()> {
        let p = self.platform(platform)?;
        let flow = Self::flow_of(p)?;
        let shops = p.shops.as_ref().ok_or_else(|| Self::no_flow(p))?;
        let key = format!("{}/{shop}", shops.key);
        let cx = TokenContext {
            shop: Some(shop),
            ..self.token_cx(p)
        };
        let owner = format!("{:032x}", rand::random::<u128>());
        let ttl = self.inner.timeout * 2 + Duration::from_secs(1);
        if shops.store.lease(&key, &owner, ttl).await? == crate::token::Lease::Held {
            return Err(cx.auth_error(format!(
                "a refresh of shop {shop} is in flight in another worker: renew again later"
            )));
        }
        let renewed = async {
            let stored = shops
                .store
                .load(&key)
                .await?
                .ok_or_else(|| crate::token::needs_code(&cx))?;
            let renew = flow
                .renew(cx, &stored.token)
                .ok_or_else(|| cx.auth_error("this platform has no renewal of refresh tokens"))?;
            let token = renew.await?;
            match shops.store.swap(&key, stored.version, &token).await? {
                crate::token::Swap::Saved { .. } => Ok(()),
                crate::token::Swap::Newer(_) => Err(cx.auth_error(format!(
                    "shop {shop}'s token changed during the renewal: renew again"
                ))),
            }
        }
        .await;
        shops.store.release(&key, &owner).await?;
        // The shop's manager reads the renewed refresh token from the store on its next refresh.
        shops
            .managers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(shop);
        renewed
    }

    /// What the token store holds for a shop (`None`: the configured one), without fetching.
    pub async fn stored_token(&self, platform: &str, shop: Option<&str>) -> Result<Option<Stored>> {
        let p = self.platform(platform)?;
        let shops = p.shops.as_ref().ok_or_else(|| Self::no_flow(p))?;
        let key = match shop {
            Some(shop) => format!("{}/{shop}", shops.key),
            None => shops.key.clone(),
        };
        shops.store.load(&key).await
    }

    /// The shops whose tokens the token store holds for a platform's app, sorted: the shops
    /// that authorized the app (by code, or granted before), for a worker that serves them all.
    pub async fn stored_shops(&self, platform: &str) -> Result<Vec<String>> {
        let p = self.platform(platform)?;
        let shops = p.shops.as_ref().ok_or_else(|| Self::no_flow(p))?;
        let prefix = format!("{}/", shops.key);
        let mut ids: Vec<String> = shops
            .store
            .keys(&prefix)
            .await?
            .into_iter()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned))
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .collect();
        ids.sort();
        Ok(ids)
    }

    fn flow_of(p: &Platform) -> Result<&Arc<dyn AuthorizationFlow>> {
        p.flow.as_ref().ok_or_else(|| Self::no_flow(p))
    }

    fn no_flow(p: &Platform) -> Error {
        Error::Config(format!(
            "{}: no authorization flow configured (its table needs the app's credentials)",
            p.name
        ))
    }

    /// The shop named with [`Client::shop`], if any.
    pub fn shop_id(&self) -> Option<&str> {
        self.shop.as_deref()
    }

    /// The names of the platforms this client is configured for, in order.
    pub fn platforms(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.inner.platforms.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// How many times a platform's token of `kind` was fetched (for tests and metrics).
    pub fn token_fetches(&self, platform: &str, kind: AuthKind) -> u64 {
        let m = self
            .platform(platform)
            .and_then(|p| self.manager(p, platform, kind));
        m.ok().flatten().map_or(0, |m| m.fetch_count())
    }

    /// Obtains (or returns the cached) token of a platform, e.g. to show it was issued.
    pub async fn token(&self, platform: &str, kind: AuthKind) -> Result<Arc<Token>> {
        let p = self.platform(platform)?;
        let m = self
            .manager(p, platform, kind)?
            .ok_or_else(|| Error::Config(format!("{platform}: no token for auth `{kind:?}`")))?;
        m.get(self.token_cx(p)).await
    }

    fn platform(&self, name: &str) -> Result<&Platform> {
        self.inner.platforms.get(name).ok_or_else(|| {
            Error::Config(format!(
                "platform `{name}` is not configured in this client"
            ))
        })
    }

    fn manager(
        &self,
        p: &Platform,
        name: &str,
        kind: AuthKind,
    ) -> Result<Option<Arc<TokenManager>>> {
        let user = || {
            Error::Config(format!(
                "{name}: this API needs a user access token, and none is configured"
            ))
        };
        // The user token: the selected shop's, else the configured one.
        let configured = || match (&self.shop, &p.shops) {
            (Some(shop), Some(shops)) => Ok(Some(shops.manager(shop))),
            (Some(_), None) => Err(user()),
            (None, _) => Ok(p.user.clone()),
        };
        Ok(match kind {
            AuthKind::None | AuthKind::App => None,
            AuthKind::User => Some(configured()?.ok_or_else(user)?),
            AuthKind::Optional => configured()?,
            AuthKind::Client => Some(p.client.clone().ok_or_else(|| Error::Config(format!("{name}: this API needs a client token, and no client credentials are configured")))?),
        })
    }

    fn token_cx<'a>(&'a self, p: &'a Platform) -> TokenContext<'a> {
        TokenContext {
            platform: &p.name,
            transport: &*self.inner.transport,
            base_url: p.base_url.as_deref(),
            timeout: self.inner.timeout,
            shop: self.shop.as_deref(),
        }
    }

    /// Sends params (for APIs without generated types, e.g. `opengate call`): build, sign, send,
    /// retry, read the envelope. The data is left in the [`RawReply`].
    pub async fn execute(
        &self,
        api: &ApiDesc,
        params: &[Param],
        files: &[(&'static str, File)],
    ) -> Result<RawReply> {
        self.call(api, params, files, None).await
    }

    /// The one call path, not generic. With a `data` slot, the typed data is read while the body
    /// is parsed (once, the envelope captured on the way), and a value it refuses becomes a
    /// decode error naming the API.
    async fn call(
        &self,
        api: &ApiDesc,
        params: &[Param],
        files: &[(&'static str, File)],
        data: Option<&mut (dyn Slot + Send + 'static)>,
    ) -> Result<RawReply> {
        let span = tracing::info_span!("opengate.call", platform = %api.platform, api = %api.name, version = %api.version);
        self.call_inner(api, params, files, data)
            .instrument(span)
            .await
    }

    async fn call_inner(
        &self,
        api: &ApiDesc,
        params: &[Param],
        files: &[(&'static str, File)],
        mut data: Option<&mut (dyn Slot + Send + 'static)>,
    ) -> Result<RawReply> {
        let p = self.platform(&api.platform)?;
        let hint = p.protocol.data_hint(api);
        let manager = self.manager(p, &api.platform, api.auth)?;
        let mut token_refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(l) = &p.limiter {
                l.acquire().await?;
            }
            if !p.api_limiters.is_empty() {
                if let Some(l) = p.api_limiters.get(&*api.name) {
                    l.acquire().await?;
                }
            }
            let token = match &manager {
                Some(m) => Some(m.get(self.token_cx(p)).await?),
                None => None,
            };
            let request = p.protocol.build(&Call {
                api,
                base_url: p.base_url.as_deref().unwrap_or(&api.base_url),
                params,
                files,
                token: token.as_ref().map(|t| t.access_token.expose()),
                now: SystemTime::now(),
            })?;
            let started = Instant::now();
            let sent = self.inner.transport.send(request, self.inner.timeout).await;
            let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let error = match sent {
                Err(e) => {
                    tracing::warn!(attempt, latency_ms, error = ?e, "transport failure");
                    super::steps::transport_error(api, e, self.inner.timeout)
                }
                Ok(resp) => {
                    tracing::info!(attempt, status = resp.status, latency_ms, "answered");
                    match super::steps::read_answer(
                        api,
                        &*p.protocol,
                        &hint,
                        resp,
                        data.as_deref_mut(),
                    ) {
                        Ok(reply) => return Ok(reply),
                        Err(e) => e,
                    }
                }
            };
            if let (Some(m), Some(t)) = (&manager, &token) {
                if !token_refreshed && super::steps::token_rejected(&error) {
                    token_refreshed = true;
                    match m.refresh(self.token_cx(p), t).await {
                        // A token retry is not a transport attempt.
                        Ok(_) => attempt -= 1,
                        Err(refresh) => return Err(super::steps::refresh_failed(error, refresh)),
                    }
                    continue;
                }
            }
            match self.inner.retry.decide(&error, attempt, api.idempotent) {
                Some(wait) => {
                    tracing::info!(attempt, reason = %error, backoff_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "retrying");
                    tokio::time::sleep(wait).await;
                }
                None => return Err(error),
            }
        }
    }
}

/// A request's params, each tagged with its location.
pub fn to_params<R: ToJson + ?Sized>(api: &ApiDesc, request: &R) -> Result<Vec<Param>> {
    let Value::Object(map) = request.to_json() else {
        return Err(Error::Build {
            api: super::steps::id_of(api),
            message: "a request must be a JSON object".into(),
        });
    };
    map.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(name, value)| {
            let spec = api.spec_of(&name);
            if let Some(spec) = spec.filter(|s| !s.limits.is_none()) {
                spec.limits.check(&value).map_err(|why| Error::Build {
                    api: super::steps::id_of(api),
                    message: format!("param `{name}` {why}"),
                })?;
            }
            Ok(Param {
                location: spec.map_or(ParamLocation::Default, |s| s.location),
                name,
                value,
            })
        })
        .collect()
}

/// Decodes the data part of an answer into the spec's response type (absent data is the default),
/// e.g. after [`Client::execute`].
pub fn decode<T: FromJson + Default>(api: &ApiDesc, raw: RawReply) -> Result<Reply<T>> {
    let mut data: Option<T> = None;
    read_data(&raw.bytes, &raw.data_at, &mut data, None)
        .map_err(|e| super::steps::decode_error(api, &e, &raw.bytes))?;
    Ok(Reply {
        data: data.unwrap_or_default(),
        raw: Arc::new(raw),
    })
}
