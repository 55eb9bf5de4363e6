//! The client and its one call path: an orchestrator of the steps in [`steps`].

mod steps;

pub(crate) use steps::backoff;
pub use steps::RetryPolicy;

use crate::de::ToJson;
use crate::desc::{ApiDesc, AuthKind, ParamLocation};
use crate::error::{Error, Result};
use crate::limit::{RateLimiter, SharedLimit};
use crate::protocol::{Call, DataAt, Param, Protocol};
use crate::read::{read_data, FromJson, Sink};
use crate::token::{
    AuthorizationFlow, Grant, MemoryStore, Stored, Token, TokenContext, TokenManager,
    TokenProvider, TokenStore,
};
use crate::types::File;
use crate::wire::{ReqwestTransport, Transport};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
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

/// Typed data plus the raw JSON it came from.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    data: T,
    raw: Arc<RawReply>,
}

impl<T> Reply<T> {
    pub fn data(&self) -> &T {
        &self.data
    }
    pub fn into_data(self) -> T {
        self.data
    }
    /// The whole response body as JSON (parsed from the kept bytes on first use).
    pub fn raw(&self) -> &Value {
        self.raw.body()
    }
    /// The part of the body the typed data was read from, as JSON (for members the spec
    /// does not describe).
    pub fn raw_data(&self) -> &Value {
        self.raw.data()
    }
    /// The response body exactly as received.
    pub fn raw_bytes(&self) -> &[u8] {
        self.raw.bytes()
    }
    pub fn http_status(&self) -> u16 {
        self.raw.status
    }
}

impl<T> std::ops::Deref for Reply<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

/// A successful answer before typed decoding: the body as received and where its data sits.
#[derive(Clone)]
pub struct RawReply {
    status: u16,
    bytes: bytes::Bytes,
    data_at: DataAt,
    /// The body as a `Value`, made only when someone asks for it.
    body: OnceLock<Value>,
}

impl RawReply {
    /// An answer whose body is `bytes` (JSON) with its data at `data_at`.
    pub fn new(status: u16, bytes: impl Into<bytes::Bytes>, data_at: DataAt) -> Self {
        RawReply {
            status,
            bytes: bytes.into(),
            data_at,
            body: OnceLock::new(),
        }
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body exactly as received.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn data_at(&self) -> &DataAt {
        &self.data_at
    }

    /// The whole body as JSON, parsed on first use (`Null` if it is not JSON).
    pub fn body(&self) -> &Value {
        self.body
            .get_or_init(|| serde_json::from_slice(&self.bytes).unwrap_or(Value::Null))
    }

    /// The part of the body the spec's response describes.
    pub fn data(&self) -> &Value {
        let body = self.body();
        match &self.data_at {
            DataAt::Whole => body,
            DataAt::Member(k) => body.get(k).unwrap_or(&Value::Null),
        }
    }
}

/// Bodies can carry tokens (a token endpoint called as a typed API): show their size only.
impl fmt::Debug for RawReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawReply")
            .field("status", &self.status)
            .field("data_at", &self.data_at)
            .field("body_bytes", &self.bytes.len())
            .finish()
    }
}

/// Where `Client::send` reads the typed data: an `Option` of the response type.
pub(crate) trait Slot {
    fn sink(&mut self) -> &mut dyn Sink;
    fn clear(&mut self);
}

impl<T: FromJson> Slot for Option<T> {
    fn sink(&mut self) -> &mut dyn Sink {
        self
    }
    fn clear(&mut self) {
        *self = None;
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
struct Platform {
    /// Its name in the client, for token providers' errors.
    name: String,
    protocol: Arc<dyn Protocol>,
    base_url: Option<String>,
    /// The user token when no shop is named: the single-shop configuration.
    user: Option<Arc<TokenManager>>,
    client: Option<Arc<TokenManager>>,
    /// One user token per shop named with [`Client::shop`], made on first use.
    shops: Option<Shops>,
    /// The shops the config lists.
    listed_shops: Vec<String>,
    flow: Option<Arc<dyn AuthorizationFlow>>,
    limiter: Option<RateLimiter>,
    /// The limits of single APIs (`api_qps`), by API name, besides the platform's.
    api_limiters: HashMap<String, RateLimiter>,
}

/// The user tokens of the shops of one app: the same provider, a store key per shop.
#[derive(Debug)]
struct Shops {
    provider: Arc<dyn TokenProvider>,
    /// `platform/app/user`; a shop's key is this plus `/` and its id (ids are not secrets).
    key: String,
    store: Arc<dyn TokenStore>,
    margin: Duration,
    managers: std::sync::Mutex<HashMap<Arc<str>, Arc<TokenManager>>>,
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

struct Inner {
    platforms: HashMap<String, Platform>,
    transport: Arc<dyn Transport>,
    timeout: Duration,
    retry: RetryPolicy,
}

/// The client every generated method calls. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// The shop (grant) whose user token calls use; `None` is the configured single shop.
    shop: Option<Arc<str>>,
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
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

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
                    steps::transport_error(api, e, self.inner.timeout)
                }
                Ok(resp) => {
                    tracing::info!(attempt, status = resp.status, latency_ms, "answered");
                    match steps::read_answer(api, &*p.protocol, &hint, resp, data.as_deref_mut()) {
                        Ok(reply) => return Ok(reply),
                        Err(e) => e,
                    }
                }
            };
            if let (Some(m), Some(t)) = (&manager, &token) {
                if !token_refreshed && steps::token_rejected(&error) {
                    token_refreshed = true;
                    match m.refresh(self.token_cx(p), t).await {
                        // A token retry is not a transport attempt.
                        Ok(_) => attempt -= 1,
                        Err(refresh) => return Err(steps::refresh_failed(error, refresh)),
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
            api: steps::id_of(api),
            message: "a request must be a JSON object".into(),
        });
    };
    map.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(name, value)| {
            let spec = api.spec_of(&name);
            if let Some(spec) = spec.filter(|s| !s.limits.is_none()) {
                spec.limits.check(&value).map_err(|why| Error::Build {
                    api: steps::id_of(api),
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
        .map_err(|e| steps::decode_error(api, &e, &raw.bytes))?;
    Ok(Reply {
        data: data.unwrap_or_default(),
        raw: Arc::new(raw),
    })
}
