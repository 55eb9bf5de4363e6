//! opengate-mock: an offline gateway for every API in the specs.
//!
//! It serves each platform at its real paths on one loopback port, verifies
//! requests as the platform does (signature, timestamp window, token validity
//! and expiry, required params, content type), issues tokens from the token
//! endpoints, answers with the spec's example or a deterministic synthesized
//! response, injects faults and records every request.
//!
//! Its signature code (`sign.rs`) is its own, shared with nothing in the client.

mod catalog;
mod faults;
mod http;
mod log;
mod platform;
mod push;
mod sign;
mod synth;
mod tokens;
pub use platform::tmc;

use catalog::Catalog;
pub use http::Request;
pub use platform::gateway;
use platform::Gateway;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use faults::{Fault, FaultKind};
pub use http::Reply;
pub use log::Recorded;
use log::{LogLimits, RequestLog};
pub use push::{PushAnswer, PushOrder, PushReport};
use tokens::{Code, Issued, Redeemed};

#[derive(Debug, Default)]
struct Live {
    tokens: HashMap<String, Issued>,
    /// Refresh token -> the platform and shop it was issued for.
    refresh_tokens: HashMap<String, (String, Option<String>)>,
    log: RequestLog,
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

/// Items of a paged API's data set that are modified after some calls of it.
#[derive(Debug, Clone)]
struct Modification {
    api: String,
    /// Calls of the API still to come before the modification.
    after_calls: u64,
    ids: Vec<u64>,
}

/// A configured mock gateway (not yet listening).
#[derive(Debug)]
pub struct MockGateway {
    catalog: Arc<Catalog>,
    /// The protocols served, in routing order: the user's ([`MockGateway::with_gateway`]), then
    /// the built-in ones.
    gateways: Vec<Arc<dyn Gateway>>,
    cfg: BTreeMap<String, BTreeMap<String, String>>,
    token_ttl: Duration,
    /// `[mock] request_log`, `request_log_bytes`, `log_secrets`.
    log_limits: LogLimits,
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
        self.gw.lock().log.requests().cloned().collect()
    }
    /// How many requests were recorded, including those the bounded log let go.
    pub fn requests_seen(&self) -> u64 {
        self.gw.lock().log.seen()
    }
    /// Pushes a message to a receiver as its platform would, redelivering until acknowledged
    /// (what `POST /__mock/push` does).
    pub async fn push(&self, order: &PushOrder) -> Result<PushReport, String> {
        self.gw.push(order).await
    }

    pub fn clear_requests(&self) {
        let mut live = self.gw.lock();
        live.log.clear();
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

pub(crate) fn json_reply(status: u16, v: &Value) -> Reply {
    Reply::Json {
        status,
        body: v.to_string(),
        delay: None,
    }
}

/// The outcome of handling one request: the answer, matched API, error code.
#[derive(Debug)]
pub struct Outcome {
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
    pub fn for_shop(mut self, shop: Option<String>) -> Self {
        self.shop = shop;
        self
    }

    pub fn ok(api: &str, body: Value) -> Self {
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
    pub fn redirect(api: &str, location: String) -> Self {
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
    pub fn signature_refused(mut self, string_to_sign: String, received: Option<&str>) -> Self {
        if let Value::Object(m) = &mut self.body {
            m.insert(
                "__mock".into(),
                json!({"string_to_sign": string_to_sign, "received_sign": received}),
            );
        }
        self.string_to_sign = Some(string_to_sign);
        self
    }
    pub fn err(api: Option<&str>, status: u16, code: impl Into<String>, body: Value) -> Self {
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
        let tables = opengate_config::Tables::parse(config_toml, "config")?;
        // `[[mock.faults]]`: faults armed from the start, e.g. `{api = "taobao.trade.fullinfo.get", kind = "reset", times = 2}`.
        let faults: Vec<Fault> = match tables.nested("mock", "faults") {
            Some(f) => f
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| format!("[[mock.faults]]: {}", e.message()))?,
            None => Vec::new(),
        };
        let cfg = tables.into_values();
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
            gateways: platform::builtins(),
            cfg,
            token_ttl: Duration::from_secs(ttl),
            log_limits: LogLimits {
                count: usize::try_from(request_log).unwrap_or(usize::MAX),
                bytes: usize::try_from(request_log_bytes).unwrap_or(usize::MAX),
                keep_secrets: log_secrets,
            },
            max_body: usize::try_from(max_body).unwrap_or(usize::MAX),
            server_limits,
            page_items,
            live: Mutex::new(live),
        })
    }

    /// The data of a successful answer of `api`, made from its spec's response (a page of its
    /// data set for a paged API, where `get` gives the call's params as text).
    pub fn answer(
        &self,
        api: &opengate_codegen::ir::Api,
        protocol: &str,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Value {
        if api.paging.is_none() {
            return synth::response(api, self.success_code(protocol));
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
        let ok = self.success_code(protocol);
        synth::page(api, ok, get, self.page_items, &gone)
            .unwrap_or_else(|| synth::response(api, ok))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Serves `gateway`'s protocol too, before the built-in ones: a platform of a protocol the
    /// mock does not know, whose folder in the specs names that protocol.
    pub fn with_gateway(mut self, gateway: Arc<dyn Gateway>) -> Self {
        self.gateways.insert(0, gateway);
        self
    }

    /// The gateway that serves `protocol`.
    pub(crate) fn gateway(&self, protocol: &str) -> Option<&dyn Gateway> {
        self.gateways
            .iter()
            .find(|g| g.protocol() == protocol)
            .map(|g| &**g)
    }

    /// The `code` of a successful answer of `protocol` ([`Gateway::success_code`]).
    fn success_code(&self, protocol: &str) -> i64 {
        self.gateway(protocol).map_or(0, Gateway::success_code)
    }

    /// The APIs of `protocol` named `name` (one per version), each with its platform folder.
    pub fn apis_named<'a>(
        &'a self,
        protocol: &'a str,
        name: &str,
    ) -> impl Iterator<Item = (&'a str, &'a opengate_codegen::ir::Api)> {
        self.catalog
            .named(protocol, name)
            .map(|e| (e.platform.as_str(), &e.api))
    }

    /// A value of the config's table `table` (a platform's `app_secret`, say).
    pub fn get(&self, table: &str, key: &str) -> Option<&str> {
        self.cfg.get(table)?.get(key).map(String::as_str)
    }

    /// Binds and serves in the background on the current tokio runtime.
    pub async fn start(self, listen: SocketAddr) -> std::io::Result<MockHandle> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let gw = Arc::new(self);
        for (platform, protocol) in gw.catalog.folders() {
            if !gw.gateways.iter().any(|g| g.protocol() == protocol) {
                tracing::warn!(
                    platform,
                    protocol,
                    "the mock serves no API of this platform: no gateway serves its protocol"
                );
            }
        }
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
                reply = faults::fault_reply(gateway, f, reply);
            }
        }
        let (query, body) = log::kept(&req.query, &req.body, self.log_limits.keep_secrets);
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
        self.lock().log.record(record, &self.log_limits);
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
                &serde_json::to_value(self.lock().log.requests().collect::<Vec<_>>())
                    .unwrap_or_default(),
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
            // The TMC channel, when started.
            ("POST" | "GET", "tmc" | "tmc/drop") => {
                let channel = self.lock().tmc.clone();
                tmc::control(channel.as_ref(), &req.method, path, &req.body)
            }
            ("POST", "reset") => {
                let mut live = self.lock();
                live.log.clear();
                live.faults.clear();
                json_reply(200, &json!({"ok": true}))
            }
            _ => json_reply(404, &json!({"error": "unknown control endpoint"})),
        })
    }

    /// The gateway of the request's protocol, its platform and the outcome.
    fn route(&self, req: &http::Request) -> (String, Option<&dyn Gateway>, Outcome) {
        for gateway in &self.gateways {
            if let Some((platform, outcome)) = gateway.serve(self, req) {
                return (platform, Some(&**gateway), outcome);
            }
        }
        let body = json!({"error": "no such API on this mock", "path": req.path});
        (String::new(), None, Outcome::err(None, 404, "404", body))
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
