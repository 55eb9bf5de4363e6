//! opengate-mock: an offline gateway for every API in the specs.
//!
//! It serves each platform at its real paths on one loopback port, verifies
//! requests as the platform does (signature, timestamp window, token validity
//! and expiry, required params, content type), issues tokens from the token
//! endpoints, answers with the spec's example or a deterministic synthesized
//! response, injects faults and records every request.
//!
//! Its signature code (`sign.rs`) is its own, shared with nothing in the client.

mod http;
mod platform;
mod push;
mod sign;
mod synth;
pub mod tmc;

use platform::{Catalog, Gateway, GATEWAYS};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use http::Reply;
pub use push::{PushAnswer, PushOrder, PushReport};

/// One request as the mock saw it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recorded {
    pub platform: String,
    /// The API name, when the request matched one.
    pub api: Option<String>,
    pub method: String,
    pub path: String,
    /// The query's pairs; a credential's or a person's value as `***` unless the config keeps
    /// secrets (`[mock] log_secrets = true`).
    pub query: Vec<(String, String)>,
    /// The body, masked like the query; cut to `[mock] request_log_bytes` when it alone is
    /// larger.
    pub body: String,
    /// True when every check passed.
    pub verified: bool,
    /// The platform error code answered, if any.
    pub error: Option<String>,
    /// For a refused signature: the string the mock signed, secrets masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_to_sign: Option<String>,
    /// The shop whose token the call carried, for a token issued to a named shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop: Option<String>,
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Answer normally after a delay.
    Latency { ms: u64 },
    /// Answer with this HTTP status and a non-JSON body.
    Status { status: u16 },
    /// Reset the connection without answering.
    Reset,
    /// Send half of the answer and close.
    Truncate,
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Answer with the platform's rate-limit error.
    RateLimit,
    /// Answer with this HTTP status and this body, as given.
    Body { status: u16, body: String },
}

/// A fault for the next `times` matching requests.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Fault {
    /// API name to match (`None`: any API).
    #[serde(default)]
    pub api: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone)]
struct Issued {
    platform: String,
    kind: &'static str,
    /// The shop it was granted for, when the grant named one.
    shop: Option<String>,
    expires_at: SystemTime,
}

#[derive(Debug, Default)]
struct Live {
    tokens: HashMap<String, Issued>,
    /// Refresh token -> the platform and shop it was issued for.
    refresh_tokens: HashMap<String, (String, Option<String>)>,
    /// The newest requests, at most `MockGateway::request_log` of them and
    /// `MockGateway::request_log_bytes` of query and body.
    requests: VecDeque<Recorded>,
    /// The bytes of query and body `requests` holds.
    request_bytes: usize,
    /// Every request recorded since the start or the last clear.
    seen: u64,
    faults: Vec<Fault>,
    issued: BTreeMap<String, u64>,
    counter: u64,
    /// Refresh tokens used up, with the pair their refresh answered, for platforms that answer
    /// a repeated refresh with the same pair ([`MockGateway::rotate`]).
    redeemed: HashMap<String, Redeemed>,
    /// Authorization codes issued and not yet exchanged.
    codes: HashMap<String, Code>,
    /// How many times the lineage of a refresh token was renewed ([`MockGateway::renew_refresh`]).
    renewals: HashMap<String, u32>,
    /// Taobao's TMC channel, once started: `taobao.tmc.messages.*` answer from it.
    tmc: Option<tmc::TmcHandle>,
    /// Modifications to come ([`MockHandle::modify_while_paging`]).
    modifications: Vec<Modification>,
    /// The ids that left each paged API's data set.
    gone: HashMap<String, std::collections::BTreeSet<u64>>,
}

impl Live {
    /// Keeps `record`, letting the oldest go beyond `count` records or `bytes` of query and
    /// body; a body larger than `bytes` alone is cut to fit.
    fn record(&mut self, mut record: Recorded, count: usize, bytes: usize) {
        let room = bytes.saturating_sub(Self::query_size(&record));
        if record.body.len() > room {
            let mut end = room;
            while !record.body.is_char_boundary(end) {
                end -= 1;
            }
            record.body.truncate(end);
        }
        let size = Self::size(&record);
        while !self.requests.is_empty()
            && (self.requests.len() >= count || self.request_bytes + size > bytes)
        {
            if let Some(old) = self.requests.pop_front() {
                self.request_bytes -= Self::size(&old);
            }
        }
        self.request_bytes += size;
        self.requests.push_back(record);
    }

    fn query_size(r: &Recorded) -> usize {
        r.query.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    fn size(r: &Recorded) -> usize {
        Self::query_size(r) + r.body.len()
    }
}

/// Items of a paged API's data set that are modified after some calls of it.
#[derive(Debug, Clone)]
struct Modification {
    api: String,
    /// Calls of the API still to come before the modification.
    after_calls: u64,
    ids: Vec<u64>,
}

/// An authorization code: for one shop of one app, for one redirect URI, for ten minutes.
#[derive(Debug)]
struct Code {
    platform: String,
    shop: String,
    redirect_uri: Option<String>,
    at: SystemTime,
}

#[derive(Debug)]
struct Redeemed {
    platform: String,
    shop: Option<String>,
    pair: (String, String),
    at: SystemTime,
}

/// A configured mock gateway (not yet listening).
#[derive(Debug)]
pub struct MockGateway {
    catalog: Arc<Catalog>,
    cfg: BTreeMap<String, BTreeMap<String, String>>,
    token_ttl: Duration,
    request_log: usize,
    request_log_bytes: usize,
    /// `[mock] log_secrets`: keep credentials in the request log.
    log_secrets: bool,
    max_body: usize,
    /// `[mock] max_connections`, `header_read_timeout_ms`, `body_read_timeout_ms`.
    server_limits: opengate_server::ServerLimits,
    /// The size of a paged API's data set (`[mock] page_items`).
    page_items: u64,
    live: Mutex<Live>,
}

/// A running gateway. Dropping it does not stop the server; the server lives as long as the runtime.
#[derive(Debug, Clone)]
pub struct MockHandle {
    addr: SocketAddr,
    gw: Arc<MockGateway>,
}

impl MockHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:PORT`, the `base_url` to give every platform.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// The newest requests, oldest first: at most `[mock] request_log` of them.
    pub fn requests(&self) -> Vec<Recorded> {
        self.gw.lock().requests.iter().cloned().collect()
    }
    /// How many requests were recorded, including those the bounded log let go.
    pub fn requests_seen(&self) -> u64 {
        self.gw.lock().seen
    }
    /// Pushes a message to a receiver as its platform would, redelivering until acknowledged
    /// (what `POST /__mock/push` does).
    pub async fn push(&self, order: &PushOrder) -> Result<PushReport, String> {
        self.gw.push(order).await
    }

    pub fn clear_requests(&self) {
        let mut live = self.gw.lock();
        live.requests.clear();
        live.request_bytes = 0;
        live.seen = 0;
    }
    pub fn inject(&self, fault: Fault) {
        self.gw.lock().faults.push(fault);
    }
    /// Retires every refresh token issued so far, as the platform does once one is used: what a
    /// worker killed after its refresh and before it stored the new pair leaves behind.
    pub fn retire_refresh_tokens(&self) {
        self.gw.lock().refresh_tokens.clear();
    }
    /// Makes every token issued so far expire now.
    pub fn expire_tokens(&self) {
        for t in self.gw.lock().tokens.values_mut() {
            t.expires_at = UNIX_EPOCH;
        }
    }
    /// After `after_calls` calls of the paged API `api`, the items `ids` of its data set are
    /// modified: they leave it (their modification time is now past the window an increment API
    /// reads) and the items after them move up a place, as on the platform.
    pub fn modify_while_paging(&self, api: &str, after_calls: u64, ids: &[u64]) {
        self.gw.lock().modifications.push(Modification {
            api: api.to_owned(),
            after_calls,
            ids: ids.to_vec(),
        });
    }
    /// Whether the config has an app (an `app_key`) in the table `platform`.
    pub fn has_app(&self, platform: &str) -> bool {
        self.gw.get(platform, "app_key").is_some()
    }
    /// Starts Taobao's TMC channel for the `[taobao]` app of the config, on a port of its own
    /// (`ws://127.0.0.1:PORT/`).
    pub async fn start_tmc(&self) -> std::io::Result<tmc::TmcHandle> {
        let app_key = self
            .gw
            .get("taobao", "app_key")
            .unwrap_or_default()
            .to_owned();
        let secret = self
            .gw
            .get("taobao", "app_secret")
            .unwrap_or_default()
            .to_owned();
        let channel = tmc::start(app_key, secret).await?;
        // The HTTP consume and confirm APIs now answer from its messages.
        self.gw.lock().tmc = Some(channel.clone());
        Ok(channel)
    }
    /// How many tokens a platform's token endpoint issued (`youzan`, `douyin`, `doudian`, or
    /// another folder of their protocols).
    pub fn tokens_issued(&self, platform: &str) -> u64 {
        self.gw.lock().issued.get(platform).copied().unwrap_or(0)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn json_reply(status: u16, v: &Value) -> Reply {
    Reply::Json {
        status,
        body: v.to_string(),
        delay: None,
    }
}

/// The outcome of handling one request: the answer, matched API, error code.
pub(crate) struct Outcome {
    status: u16,
    body: Value,
    api: Option<String>,
    error: Option<String>,
    string_to_sign: Option<String>,
    shop: Option<String>,
    /// A redirect's target (an authorization page sending the merchant back with a code).
    location: Option<String>,
}

impl Outcome {
    /// This outcome of a call made with a token of `shop`.
    pub(crate) fn for_shop(mut self, shop: Option<String>) -> Self {
        self.shop = shop;
        self
    }

    pub(crate) fn ok(api: &str, body: Value) -> Self {
        Outcome {
            status: 200,
            body,
            api: Some(api.to_owned()),
            error: None,
            string_to_sign: None,
            shop: None,
            location: None,
        }
    }

    /// HTTP 302 to `location`.
    pub(crate) fn redirect(api: &str, location: String) -> Self {
        Outcome {
            status: 302,
            location: Some(location.clone()),
            ..Outcome::ok(api, json!({"redirect": location}))
        }
    }

    /// A refused signature explains itself, as AWS's `SignatureDoesNotMatch` does: the answer
    /// (under `__mock`, beside the platform's envelope) and the request log carry the string the
    /// mock signed, secrets masked, and the signature that arrived. The client logs its own
    /// string at trace level, masked the same way, to compare.
    pub(crate) fn signature_refused(
        mut self,
        string_to_sign: String,
        received: Option<&str>,
    ) -> Self {
        if let Value::Object(m) = &mut self.body {
            m.insert(
                "__mock".into(),
                json!({"string_to_sign": string_to_sign, "received_sign": received}),
            );
        }
        self.string_to_sign = Some(string_to_sign);
        self
    }
    pub(crate) fn err(
        api: Option<&str>,
        status: u16,
        code: impl Into<String>,
        body: Value,
    ) -> Self {
        Outcome {
            status,
            body,
            api: api.map(str::to_owned),
            error: Some(code.into()),
            string_to_sign: None,
            shop: None,
            location: None,
        }
    }
}

/// The APIs of a specs folder. A process that starts many gateways (a test
/// binary) loads a folder once: thousands of specs take seconds to read. A folder whose spec
/// files changed since (count or newest mtime) is read again.
fn loaded(specs: &Path) -> Result<Arc<Catalog>, String> {
    type Cache = Mutex<HashMap<PathBuf, ((usize, Option<SystemTime>), Arc<Catalog>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    fn stamp(dir: &Path, acc: &mut (usize, Option<SystemTime>)) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stamp(&p, acc);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                acc.0 += 1;
                let m = e.metadata().and_then(|m| m.modified()).ok();
                acc.1 = acc.1.max(m);
            }
        }
    }
    let mut now = (0, None);
    stamp(specs, &mut now);
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some((seen, apis)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(specs) {
        if *seen == now {
            return Ok(apis.clone());
        }
    }
    let (_, corpus) =
        opengate_codegen::load(specs, &specs.display().to_string()).map_err(|d| d.to_string())?;
    let apis = Arc::new(Catalog::new(corpus));
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(specs.to_owned(), (now, apis.clone()));
    Ok(apis)
}

impl MockGateway {
    /// Loads the specs and the TOML config (the client's format; `[mock]` adds `token_ttl_secs`).
    pub fn new(specs: &Path, config_toml: &str) -> Result<Self, String> {
        let catalog = loaded(specs)?;
        for (platform, protocol) in catalog.folders() {
            if !GATEWAYS.iter().any(|g| g.protocol() == protocol) {
                tracing::warn!(
                    platform,
                    protocol,
                    "the mock serves no API of this platform: its protocol is not built in"
                );
            }
        }
        let table: toml::Table = config_toml
            .parse()
            .map_err(|e: toml::de::Error| format!("invalid config TOML: {}", e.message()))?;
        // `[[mock.faults]]`: faults armed from the start, e.g. `{api = "taobao.trade.fullinfo.get", kind = "reset", times = 2}`.
        let faults: Vec<Fault> = match table.get("mock").and_then(|m| m.get("faults")) {
            Some(f) => f
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| format!("[[mock.faults]]: {}", e.message()))?,
            None => Vec::new(),
        };
        let mut cfg = BTreeMap::new();
        for (name, v) in table {
            if let toml::Value::Table(t) = v {
                let kv = t
                    .into_iter()
                    .filter_map(|(k, v)| match v {
                        toml::Value::String(s) => Some((k, s)),
                        toml::Value::Integer(i) => Some((k, i.to_string())),
                        toml::Value::Float(f) => Some((k, f.to_string())),
                        toml::Value::Boolean(b) => Some((k, b.to_string())),
                        _ => None,
                    })
                    .collect();
                cfg.insert(name, kv);
            }
        }
        let number = |key: &str, unit: &str, default: u64| match cfg
            .get("mock")
            .and_then(|m: &BTreeMap<String, String>| m.get(key))
        {
            Some(s) => s
                .parse::<u64>()
                .map_err(|_| format!("[mock] {key} must be a whole number of {unit}, got `{s}`")),
            None => Ok(default),
        };
        let ttl = number("token_ttl_secs", "seconds", 7200)?;
        let request_log = number("request_log", "requests", 10_000)?;
        let request_log_bytes = number("request_log_bytes", "bytes", 64 * 1024 * 1024)?;
        let log_secrets = match cfg.get("mock").and_then(|m| m.get("log_secrets")) {
            None => false,
            Some(v) => v
                .parse::<bool>()
                .map_err(|_| format!("[mock] log_secrets must be true or false, got `{v}`"))?,
        };
        let max_body = number("max_body_bytes", "bytes", 16 * 1024 * 1024)?;
        let page_items = number("page_items", "items", 3)?;
        let server_limits = opengate_server::ServerLimits::from_keys("mock", |key| {
            cfg.get("mock").and_then(|m| m.get(key)).map(String::as_str)
        })?;
        let live = Live {
            faults,
            ..Live::default()
        };
        Ok(MockGateway {
            catalog,
            cfg,
            token_ttl: Duration::from_secs(ttl),
            request_log: usize::try_from(request_log).unwrap_or(usize::MAX),
            request_log_bytes: usize::try_from(request_log_bytes).unwrap_or(usize::MAX),
            log_secrets,
            max_body: usize::try_from(max_body).unwrap_or(usize::MAX),
            server_limits,
            page_items,
            live: Mutex::new(live),
        })
    }

    /// The data of an answer of `api`: a page of its data set when it pages (`get` reads a
    /// request param as text), else one built from its response shape.
    pub(crate) fn answer(
        &self,
        api: &opengate_codegen::ir::Api,
        protocol: &str,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Value {
        if api.paging.is_none() {
            return synth::response(api, protocol);
        }
        // Modifications due by now take their items out of the data set before this page.
        let gone = {
            let mut live = self.lock();
            let mut due = Vec::new();
            live.modifications.retain_mut(|m| match m.after_calls {
                _ if m.api != api.name => true,
                0 => {
                    due.extend(m.ids.iter().copied());
                    false
                }
                _ => {
                    m.after_calls -= 1;
                    true
                }
            });
            let gone = live.gone.entry(api.name.clone()).or_default();
            gone.extend(due);
            gone.clone()
        };
        synth::page(api, protocol, get, self.page_items, &gone)
            .unwrap_or_else(|| synth::response(api, protocol))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self, table: &str, key: &str) -> Option<&str> {
        self.cfg.get(table)?.get(key).map(String::as_str)
    }

    /// Binds and serves in the background on the current tokio runtime.
    pub async fn start(self, listen: SocketAddr) -> std::io::Result<MockHandle> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let gw = Arc::new(self);
        let server = gw.clone();
        let limits = gw.server_limits;
        let handle = Arc::new(move |req: http::Request| {
            let gw = server.clone();
            async move {
                // The one control that waits on the network: it posts to a receiver.
                if req.method == "POST" && req.path == "/__mock/push" {
                    return gw.push_control(&req.body).await;
                }
                gw.handle(req)
            }
        });
        let max_body = gw.max_body;
        tokio::spawn(opengate_server::serve(listener, limits, move |stream| {
            http::service(stream, max_body, handle.clone())
        }));
        Ok(MockHandle { addr, gw })
    }

    /// `POST /__mock/push`: a [`PushOrder`] in, its [`PushReport`] out (400 when the order is
    /// bad or names what the mock cannot push).
    async fn push_control(&self, body: &[u8]) -> Reply {
        let order = match serde_json::from_slice::<PushOrder>(body) {
            Ok(o) => o,
            Err(e) => return json_reply(400, &json!({"error": e.to_string()})),
        };
        match self.push(&order).await {
            Ok(report) => json_reply(200, &serde_json::to_value(report).unwrap_or_default()),
            Err(e) => json_reply(400, &json!({"error": e})),
        }
    }

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

    fn take_fault(&self, api: &str) -> Option<FaultKind> {
        let mut live = self.lock();
        let i = live
            .faults
            .iter()
            .position(|f| f.api.as_deref().is_none_or(|a| a == api))?;
        let kind = live.faults[i].kind.clone();
        live.faults[i].times = live.faults[i].times.saturating_sub(1);
        if live.faults[i].times == 0 {
            live.faults.remove(i);
        }
        Some(kind)
    }

    fn handle(&self, req: http::Request) -> Reply {
        if let Some(r) = self.control(&req) {
            return r;
        }
        let (platform, gateway, outcome) = self.route(&req);
        let verified = outcome.error.is_none() && outcome.api.is_some();
        let mut reply = match outcome.location {
            Some(location) => Reply::Redirect { location },
            None => json_reply(outcome.status, &outcome.body),
        };
        if let (true, Some(api)) = (verified, &outcome.api) {
            if let Some(f) = self.take_fault(api) {
                reply = fault_reply(gateway, f, reply);
            }
        }
        let mut query = http::parse_form(req.query.as_bytes());
        let mut body = String::from_utf8_lossy(&req.body).into_owned();
        if !self.log_secrets {
            for (name, value) in &mut query {
                if opengate::redact::is_sensitive_name(name) {
                    *value = "***".into();
                }
            }
            if let Cow::Owned(masked) = opengate::redact::mask(&body) {
                body = masked;
            }
        }
        let record = Recorded {
            platform,
            api: outcome.api,
            method: req.method.clone(),
            path: req.path.clone(),
            query,
            body,
            verified,
            error: outcome.error,
            string_to_sign: outcome.string_to_sign,
            shop: outcome.shop.or_else(|| self.shop_in(&req)),
        };
        let mut live = self.lock();
        live.seen += 1;
        if self.request_log > 0 {
            live.record(record, self.request_log, self.request_log_bytes);
        }
        reply
    }

    /// The shop of a token this mock issued for a named shop that the request carries, in its
    /// query, its headers or its form, wherever its platform puts the token.
    fn shop_in(&self, req: &http::Request) -> Option<String> {
        let mut pairs = http::parse_form(req.query.as_bytes());
        if req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            pairs.extend(http::parse_form(&req.body));
        }
        let live = self.lock();
        pairs
            .iter()
            .map(|(_, v)| v.as_str())
            .chain(req.headers.iter().map(|(_, v)| v.as_str()))
            .find_map(|v| live.tokens.get(v)?.shop.clone())
    }

    /// `/__mock/...` control endpoints.
    fn control(&self, req: &http::Request) -> Option<Reply> {
        let path = req.path.strip_prefix("/__mock/")?;
        Some(match (req.method.as_str(), path) {
            ("GET", "requests") => json_reply(
                200,
                &serde_json::to_value(&self.lock().requests).unwrap_or_default(),
            ),
            ("POST", "faults") => match serde_json::from_slice::<Fault>(&req.body) {
                Ok(f) => {
                    self.lock().faults.push(f);
                    json_reply(200, &json!({"ok": true}))
                }
                Err(e) => json_reply(400, &json!({"error": e.to_string()})),
            },
            ("POST", "expire-tokens") => {
                for t in self.lock().tokens.values_mut() {
                    t.expires_at = UNIX_EPOCH;
                }
                json_reply(200, &json!({"ok": true}))
            }
            // Taobao's TMC channel, when started: publish a message, queue a dropped
            // connection, read what was confirmed.
            ("POST" | "GET", "tmc" | "tmc/drop") => {
                let Some(tmc) = self.lock().tmc.clone() else {
                    return Some(json_reply(
                        404,
                        &json!({"error": "no TMC channel: [taobao] has no app_key"}),
                    ));
                };
                let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
                match (req.method.as_str(), path) {
                    ("GET", "tmc") => json_reply(
                        200,
                        &json!({"url": tmc.url(), "confirmed": tmc.confirmed(), "pending": tmc.pending(),
                                "connections": tmc.connections(), "deliveries": tmc.deliveries()}),
                    ),
                    ("POST", "tmc") => match (body["topic"].as_str(), body["content"].as_str()) {
                        (Some(topic), Some(content)) => {
                            let id =
                                tmc.publish(topic, content, body["user_id"].as_i64().unwrap_or(0));
                            json_reply(200, &json!({ "id": id }))
                        }
                        _ => json_reply(
                            400,
                            &json!({"error": "expected {\"topic\", \"content\", \"user_id\"?}"}),
                        ),
                    },
                    ("POST", "tmc/drop") => match body["after"].as_u64() {
                        Some(n) => {
                            tmc.drop_after(n);
                            json_reply(200, &json!({"ok": true}))
                        }
                        None => json_reply(400, &json!({"error": "expected {\"after\": N}"})),
                    },
                    _ => json_reply(405, &json!({"error": "GET or POST"})),
                }
            }
            ("POST", "reset") => {
                let mut live = self.lock();
                live.requests.clear();
                live.request_bytes = 0;
                live.seen = 0;
                live.faults.clear();
                json_reply(200, &json!({"ok": true}))
            }
            _ => json_reply(404, &json!({"error": "unknown control endpoint"})),
        })
    }

    /// The gateway of the request's protocol, its platform and the outcome.
    fn route(&self, req: &http::Request) -> (String, Option<&'static dyn Gateway>, Outcome) {
        for gateway in GATEWAYS {
            if let Some((platform, outcome)) = gateway.serve(self, req) {
                return (platform, Some(*gateway), outcome);
            }
        }
        let body = json!({"error": "no such API on this mock", "path": req.path});
        (String::new(), None, Outcome::err(None, 404, "404", body))
    }
}

/// The reply a fault makes of the normal one.
fn fault_reply(gateway: Option<&dyn Gateway>, f: FaultKind, normal: Reply) -> Reply {
    match f {
        FaultKind::Latency { ms } => match normal {
            Reply::Json { status, body, .. } => Reply::Json {
                status,
                body,
                delay: Some(Duration::from_millis(ms)),
            },
            other => other,
        },
        FaultKind::Status { status } => Reply::Json {
            status,
            body: "<html>upstream error</html>".into(),
            delay: None,
        },
        FaultKind::Reset => Reply::Reset,
        FaultKind::Truncate => match normal {
            Reply::Json { status, body, .. } => Reply::Truncated { status, body },
            other => other,
        },
        FaultKind::Malformed => Reply::Json {
            status: 200,
            body: "{\"code\": 200, \"data\": {\"oops\": ".into(),
            delay: None,
        },
        FaultKind::RateLimit => match gateway {
            Some(g) => json_reply(200, &g.rate_limited()),
            None => normal,
        },
        FaultKind::Body { status, body } => Reply::Json {
            status,
            body,
            delay: None,
        },
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;

    fn specs() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
    }

    #[test]
    fn faults_can_be_set_in_the_config_file() {
        let cfg = "[mock]\ntoken_ttl_secs = 60\n[[mock.faults]]\napi = \"taobao.trade.fullinfo.get\"\nkind = \"status\"\nstatus = 503\ntimes = 2\n[[mock.faults]]\nkind = \"reset\"\n";
        let gw = MockGateway::new(&specs(), cfg).unwrap();
        assert_eq!(gw.token_ttl, Duration::from_secs(60));
        let faults = gw.lock().faults.clone();
        assert_eq!(
            faults[0],
            Fault {
                api: Some("taobao.trade.fullinfo.get".into()),
                kind: FaultKind::Status { status: 503 },
                times: 2
            }
        );
        assert_eq!(
            faults[1],
            Fault {
                api: None,
                kind: FaultKind::Reset,
                times: 1
            }
        );
        assert_eq!(
            gw.take_fault("other.api"),
            Some(FaultKind::Reset),
            "an API-less fault matches any API"
        );
    }

    #[test]
    fn bad_mock_config_is_a_clear_error() {
        let e = MockGateway::new(&specs(), "[[mock.faults]]\nkind = \"explode\"\n").unwrap_err();
        assert!(
            e.contains("[[mock.faults]]") && e.contains("explode"),
            "{e}"
        );
        let e = MockGateway::new(&specs(), "[mock]\ntoken_ttl_secs = \"soon\"\n").unwrap_err();
        assert!(e.contains("token_ttl_secs"), "{e}");
    }
}
