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
mod sign;
mod synth;

use opengate_codegen::ir::{self, Auth, Location};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use http::Reply;

/// One request as the mock saw it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recorded {
    pub platform: String,
    /// The API name, when the request matched one.
    pub api: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: String,
    /// True when every check passed.
    pub verified: bool,
    /// The platform error code answered, if any.
    pub error: Option<String>,
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
    platform: &'static str,
    kind: &'static str,
    expires_at: SystemTime,
}

#[derive(Debug, Default)]
struct Live {
    tokens: HashMap<String, Issued>,
    refresh_tokens: HashMap<String, &'static str>,
    /// The newest requests, at most `MockGateway::request_log` of them.
    requests: VecDeque<Recorded>,
    /// Every request recorded since the start or the last clear.
    seen: u64,
    faults: Vec<Fault>,
    issued: BTreeMap<String, u64>,
    counter: u64,
}

/// A configured mock gateway (not yet listening).
#[derive(Debug)]
pub struct MockGateway {
    apis: Arc<Vec<(String, ir::Api)>>,
    cfg: BTreeMap<String, BTreeMap<String, String>>,
    token_ttl: Duration,
    request_log: usize,
    max_body: usize,
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
    pub fn clear_requests(&self) {
        let mut live = self.gw.lock();
        live.requests.clear();
        live.seen = 0;
    }
    pub fn inject(&self, fault: Fault) {
        self.gw.lock().faults.push(fault);
    }
    /// Makes every token issued so far expire now.
    pub fn expire_tokens(&self) {
        for t in self.gw.lock().tokens.values_mut() {
            t.expires_at = UNIX_EPOCH;
        }
    }
    /// How many tokens a platform's token endpoint issued (`youzan`, `douyin`, `doudian`).
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

/// The outcome of handling one request: reply, matched API, error code.
struct Outcome {
    reply: Reply,
    api: Option<String>,
    error: Option<String>,
}

impl Outcome {
    fn ok(api: &str, body: Value) -> Self {
        Outcome {
            reply: json_reply(200, &body),
            api: Some(api.to_owned()),
            error: None,
        }
    }
    fn err(api: Option<&str>, status: u16, code: impl Into<String>, body: Value) -> Self {
        Outcome {
            reply: json_reply(status, &body),
            api: api.map(str::to_owned),
            error: Some(code.into()),
        }
    }
}

/// The APIs of a specs folder with their protocol. A process that starts many gateways (a test
/// binary) loads a folder once: thousands of specs take seconds to read. A folder whose spec
/// files changed since (count or newest mtime) is read again.
fn loaded(specs: &Path) -> Result<Arc<Vec<(String, ir::Api)>>, String> {
    type Cache =
        Mutex<HashMap<PathBuf, ((usize, Option<SystemTime>), Arc<Vec<(String, ir::Api)>>)>>;
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
    let mut apis = Vec::new();
    for p in corpus.platforms {
        for a in p.apis {
            apis.push((p.protocol.clone(), a));
        }
    }
    let apis = Arc::new(apis);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(specs.to_owned(), (now, apis.clone()));
    Ok(apis)
}

impl MockGateway {
    /// Loads the specs and the TOML config (the client's format; `[mock]` adds `token_ttl_secs`).
    pub fn new(specs: &Path, config_toml: &str) -> Result<Self, String> {
        let apis = loaded(specs)?;
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
        let max_body = number("max_body_bytes", "bytes", 16 * 1024 * 1024)?;
        let live = Live {
            faults,
            ..Live::default()
        };
        Ok(MockGateway {
            apis,
            cfg,
            token_ttl: Duration::from_secs(ttl),
            request_log: usize::try_from(request_log).unwrap_or(usize::MAX),
            max_body: usize::try_from(max_body).unwrap_or(usize::MAX),
            live: Mutex::new(live),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, table: &str, key: &str) -> Option<&str> {
        self.cfg.get(table)?.get(key).map(String::as_str)
    }

    /// Binds and serves in the background on the current tokio runtime.
    pub async fn start(self, listen: SocketAddr) -> std::io::Result<MockHandle> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let gw = Arc::new(self);
        let server = gw.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let gw = server.clone();
                let max_body = gw.max_body;
                tokio::spawn(http::serve(stream, max_body, move |req| {
                    let gw = gw.clone();
                    async move { gw.handle(req) }
                }));
            }
        });
        Ok(MockHandle { addr, gw })
    }

    fn issue(&self, platform: &'static str, kind: &'static str, prefix: &str) -> (String, String) {
        let mut live = self.lock();
        live.counter += 1;
        let n = live.counter;
        let rand: u64 = rand::random();
        let token = format!("{prefix}{n:04}{rand:016x}");
        let refresh = format!("rft.{n:04}{:016x}", rand.rotate_left(17));
        live.tokens.insert(
            token.clone(),
            Issued {
                platform,
                kind,
                expires_at: SystemTime::now() + self.token_ttl,
            },
        );
        live.refresh_tokens.insert(refresh.clone(), platform);
        *live.issued.entry(platform.to_owned()).or_default() += 1;
        (token, refresh)
    }

    /// True for the platform's configured `refresh_token`, or one this mock issued for it; an
    /// issued one is used up (a new refresh token retires the old one).
    fn redeem_refresh(&self, platform: &str, refresh_token: &str) -> bool {
        self.get(platform, "refresh_token") == Some(refresh_token)
            || self.lock().refresh_tokens.remove(refresh_token) == Some(platform)
    }

    /// `Ok(())`, or `Err(expired?)` for an unknown / expired token.
    fn check_token(
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
        let (platform, outcome) = self.route(&req);
        let verified = outcome.error.is_none() && outcome.api.is_some();
        let mut reply = outcome.reply;
        if let (true, Some(api)) = (verified, &outcome.api) {
            if let Some(f) = self.take_fault(api) {
                reply = self.fault_reply(&platform, f, reply);
            }
        }
        let record = Recorded {
            platform,
            api: outcome.api,
            method: req.method.clone(),
            path: req.path.clone(),
            query: http::parse_form(req.query.as_bytes()),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            verified,
            error: outcome.error,
        };
        let mut live = self.lock();
        live.seen += 1;
        if self.request_log > 0 {
            if live.requests.len() >= self.request_log {
                live.requests.pop_front();
            }
            live.requests.push_back(record);
        }
        reply
    }

    fn fault_reply(&self, platform: &str, f: FaultKind, normal: Reply) -> Reply {
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
            FaultKind::RateLimit => json_reply(200, &rate_limit_body(platform)),
            FaultKind::Body { status, body } => Reply::Json {
                status,
                body,
                delay: None,
            },
        }
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
            ("POST", "reset") => {
                let mut live = self.lock();
                live.requests.clear();
                live.seen = 0;
                live.faults.clear();
                json_reply(200, &json!({"ok": true}))
            }
            _ => json_reply(404, &json!({"error": "unknown control endpoint"})),
        })
    }

    fn find(&self, pred: impl Fn(&str, &ir::Api) -> bool) -> Option<&(String, ir::Api)> {
        self.apis.iter().find(|(proto, a)| pred(proto, a))
    }

    fn route(&self, req: &http::Request) -> (String, Outcome) {
        let p = req.path.as_str();
        if p == "/router/rest" {
            return ("taobao".into(), self.taobao(req));
        }
        if let Some(app_key) = p.strip_prefix("/openapi/http/1/system.oauth2/getToken/") {
            return ("alibaba".into(), self.aop_token(req, app_key));
        }
        if let Some(rest) = p.strip_prefix("/openapi/") {
            return ("alibaba".into(), self.aop(req, rest));
        }
        if p == "/auth/token" {
            return ("youzan".into(), self.youzan_token(req));
        }
        if p == "/oauth/client_token/" {
            return ("douyin".into(), self.douyin_client_token(req));
        }
        if p == "/oauth/refresh_token/" {
            return ("douyin".into(), self.douyin_refresh_token(req));
        }
        // Douyin's explicit paths before Youzan's: some (`/api/apps/...`) look like Youzan's.
        if let Some((_, api)) =
            self.find(|proto, a| proto == "douyin" && !a.path.is_empty() && a.path == p)
        {
            return ("douyin".into(), self.douyin(req, api));
        }
        if let Some(rest) = p.strip_prefix("/api/") {
            return ("youzan".into(), self.youzan(req, rest));
        }

        let method_name = p.trim_start_matches('/').replace('/', ".");
        if let Some((_, api)) = self.find(|proto, a| proto == "doudian" && a.name == method_name) {
            return ("doudian".into(), self.doudian(req, api));
        }
        (
            String::new(),
            Outcome::err(
                None,
                404,
                "404",
                json!({"error": "no such API on this mock", "path": p}),
            ),
        )
    }

    // ------------------------------------------------------------ Youzan

    fn youzan_token(&self, req: &http::Request) -> Outcome {
        let api = Some("youzan.auth.token");
        let fail = |code: i64, msg: &str| {
            Outcome::err(
                api,
                200,
                code.to_string(),
                json!({"success": false, "code": code, "data": null, "message": msg}),
            )
        };
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return fail(4007, "body must be JSON");
        };
        let s = |k: &str| {
            body.get(k)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        };
        if s("client_id").as_deref() != self.get("youzan", "client_id")
            || self.get("youzan", "client_id").is_none()
        {
            return fail(1103, "Client 不存在");
        }
        if s("client_secret").as_deref() != self.get("youzan", "client_secret") {
            return fail(1104, "client_secret 错误");
        }
        match s("authorize_type").as_deref() {
            Some("silent") => {
                if s("grant_id").as_deref() != self.get("youzan", "grant_id") {
                    return fail(1201, "grant_id 无效");
                }
            }
            Some("refresh_token") => {
                let rt = s("refresh_token").unwrap_or_default();
                // A new refresh token retires the old one at once.
                if !self.redeem_refresh("youzan", &rt) {
                    return fail(1202, "refresh_token 无效");
                }
            }
            _ => return fail(1200, "authorize_type 不支持"),
        }
        let (token, refresh) = self.issue("youzan", "user", "yz");
        let expires = (SystemTime::now() + self.token_ttl)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Outcome::ok(
            "youzan.auth.token",
            json!({"success": true, "code": 200, "message": null,
                   "data": {"access_token": token, "expires": expires, "scope": "trade item logistics user shop",
                            "authority_id": self.get("youzan", "grant_id"), "refresh_token": refresh}}),
        )
    }

    fn youzan(&self, req: &http::Request, rest: &str) -> Outcome {
        let trace = format!("yz7-0a0b0c0d-{}", now_secs());
        let gw = |code: i64, msg: &str, api: Option<&str>| {
            Outcome::err(
                api,
                200,
                code.to_string(),
                json!({"gw_err_resp": {"trace_id": trace, "err_msg": msg, "err_code": code}}),
            )
        };
        let rest = rest.strip_prefix("auth_exempt/").unwrap_or(rest);
        let Some((name, version)) = rest.split_once('/') else {
            return gw(4001, "路径错误", None);
        };
        let Some((_, api)) =
            self.find(|proto, a| proto == "youzan" && a.name == name && a.version == version)
        else {
            return gw(4005, "API 不存在", None);
        };
        let n = Some(api.name.as_str());
        if req.method != api.method {
            return gw(4007, "请求方法错误", n);
        }
        if api.auth != Auth::None {
            let query = http::parse_form(req.query.as_bytes());
            let Some((_, token)) = query.iter().find(|(k, _)| k == "access_token") else {
                return gw(4201, "access_token 不能为空", n);
            };
            match self.check_token("youzan", "user", token, None) {
                Ok(()) => {}
                Err(true) => return gw(4202, "access_token 已过期", n),
                Err(false) => return gw(4203, "Token 不存在", n),
            }
        }
        let content_type = req.header("content-type").unwrap_or_default();
        let params = if req.method == "GET" {
            query_json(req)
        } else if content_type.starts_with("multipart/form-data") {
            // Uploads: each part is a param; a file part stands for its file.
            let Some(parts) = http::parse_multipart(content_type, &req.body) else {
                return gw(4007, "multipart 请求体格式错误", n);
            };
            Value::Object(
                parts
                    .into_iter()
                    .filter(|p| !p.body.is_empty())
                    .map(|p| {
                        let value = p.file_name.map_or_else(
                            || String::from_utf8_lossy(&p.body).into_owned(),
                            |f| format!("file {f}, {} bytes", p.body.len()),
                        );
                        (p.name, Value::String(value))
                    })
                    .collect(),
            )
        } else {
            if !content_type.starts_with("application/json") {
                return gw(4007, "Content-Type 必须是 application/json", n);
            }
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(v @ Value::Object(_)) => v,
                _ => return gw(4007, "请求体必须是 JSON 对象", n),
            }
        };
        if let Some(missing) =
            missing_param(api, |f| params.get(&f.wire).is_some_and(|v| !v.is_null()))
        {
            return Outcome::err(
                n,
                200,
                "40010",
                json!({"trace_id": trace, "success": false, "code": 40010, "message": format!("参数 {missing} 不能为空")}),
            );
        }
        Outcome::ok(&api.name, synth::response(api, "youzan"))
    }

    // ------------------------------------------------------------ Taobao

    fn taobao(&self, req: &http::Request) -> Outcome {
        let err = |api: Option<&str>, code: i64, msg: &str, sub: Option<&str>| {
            let mut e =
                json!({"code": code, "msg": msg, "request_id": format!("mock{}", now_secs())});
            if let Some(s) = sub {
                e["sub_code"] = json!(s);
                e["sub_msg"] = json!(msg);
            }
            Outcome::err(api, 200, code.to_string(), json!({ "error_response": e }))
        };
        let mut params = http::parse_form(req.query.as_bytes());
        // Uploads: text parts are params (signed), file parts are not signed.
        let mut files = Vec::new();
        match req.header("content-type") {
            Some(c) if c.starts_with("application/x-www-form-urlencoded") => {
                params.extend(http::parse_form(&req.body));
            }
            Some(c) if c.starts_with("multipart/form-data") => {
                let Some(parts) = http::parse_multipart(c, &req.body) else {
                    return err(None, 41, "Invalid Arguments", Some("isv.invalid-multipart"));
                };
                for part in parts {
                    match part.file_name {
                        Some(_) => files.push(part),
                        None => params
                            .push((part.name, String::from_utf8_lossy(&part.body).into_owned())),
                    }
                }
            }
            _ => {}
        }
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let Some(method) = get("method") else {
            return err(None, 21, "Missing Method", None);
        };
        let Some((_, api)) = self.find(|proto, a| proto == "taobao-top" && a.name == method) else {
            return err(None, 22, "Invalid Method", None);
        };
        let n = Some(api.name.as_str());
        match get("app_key") {
            None => return err(n, 28, "Missing App Key", None),
            Some(k) if Some(k) != self.get("taobao", "app_key") => {
                return err(n, 29, "Invalid App Key", None)
            }
            _ => {}
        }
        let Some(ts) = get("timestamp") else {
            return err(n, 30, "Missing Timestamp", None);
        };
        if !taobao_timestamp_ok(ts) {
            return err(n, 31, "Invalid Timestamp", Some("isv.invalid-timestamp"));
        }
        if get("v") != Some("2.0") {
            return err(n, 32, "Invalid Version", None);
        }
        let Some(sign) = get("sign") else {
            return err(n, 24, "Missing Signature", None);
        };
        let method_name = get("sign_method").unwrap_or("md5");
        let secret = self.get("taobao", "app_secret").unwrap_or_default();
        if sign::top(&params, secret, method_name).as_deref() != Some(sign) {
            return err(n, 25, "Invalid Signature", None);
        }
        if api.auth == Auth::User {
            match get("session") {
                None => return err(n, 26, "Missing Session", None),
                Some(s) if Some(s) != self.get("taobao", "session") => {
                    return err(n, 27, "Invalid session", Some("invalid-sessionkey"))
                }
                _ => {}
            }
        }
        if let Some(missing) = missing_param(api, |f| {
            get(&f.wire).is_some_and(|v| !v.trim().is_empty())
                || files.iter().any(|p| p.name == f.wire && !p.body.is_empty())
        }) {
            return err(
                n,
                40,
                &format!("Missing required arguments:{missing}"),
                Some("isv.missing-parameter"),
            );
        }
        let key = format!(
            "{}_response",
            api.name
                .strip_prefix("taobao.")
                .unwrap_or(&api.name)
                .replace('.', "_")
        );
        Outcome::ok(&api.name, json!({ key: synth::response(api, "taobao") }))
    }

    // ------------------------------------------------------------ 1688

    fn aop(&self, req: &http::Request, rest: &str) -> Outcome {
        let err = |api: Option<&str>, status: u16, code: &str, msg: &str| {
            Outcome::err(
                api,
                status,
                code,
                json!({"error_code": code, "error_message": msg, "exception": msg, "request_id": format!("mock{}", now_secs())}),
            )
        };
        // param2/{version}/{namespace}/{name}/{appKey}
        let parts: Vec<&str> = rest.split('/').collect();
        let [proto, version, namespace, name, app_key] = parts.as_slice() else {
            return err(None, 400, "gw.APIUnsupported", "bad API path");
        };
        let Some((_, api)) = self.find(|p, a| {
            p == "alibaba-aop"
                && a.name == *name
                && a.version == *version
                && a.namespace == *namespace
        }) else {
            return err(None, 400, "gw.APIUnsupported", "API not found");
        };
        let n = Some(api.name.as_str());
        if *proto != "param2" {
            return err(n, 400, "gw.APIUnsupported", "protocol not supported");
        }
        if Some(*app_key) != self.get("alibaba", "app_key") {
            return err(n, 401, "gw.AppKeyNotExist", "App key not exist");
        }
        let mut params = http::parse_form(req.query.as_bytes());
        if req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            params.extend(http::parse_form(&req.body));
        }
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let Some(sig) = get("_aop_signature") else {
            return err(n, 400, "gw.SignatureInvalid", "signature missing");
        };
        let url_path = format!("param2/{version}/{namespace}/{name}/{app_key}");
        if sign::aop(
            &url_path,
            &params,
            self.get("alibaba", "app_secret").unwrap_or_default(),
        ) != sig
        {
            return err(
                n,
                400,
                "gw.SignatureInvalid",
                "Request signature is invalid",
            );
        }
        if let Some(ts) = get("_aop_timestamp") {
            let ok = ts
                .parse::<u64>()
                .is_ok_and(|ms| (ms / 1000).abs_diff(now_secs()) <= 600);
            if !ok {
                return err(n, 400, "gw.TimestampInvalid", "timestamp out of range");
            }
        }
        if api.auth == Auth::User {
            let token = get("access_token").unwrap_or_default();
            if let Err(expired) = self.check_token("alibaba", "user", token, Some("access_token")) {
                let why = if expired { "expired" } else { "invalid" };
                return err(
                    n,
                    401,
                    "gw.AccessTokenInvalid",
                    &format!("access_token is {why}"),
                );
            }
        }
        if let Some(missing) = missing_param(api, |f| get(&f.wire).is_some()) {
            return err(
                n,
                400,
                "gw.MissingParameter",
                &format!("missing parameter: {missing}"),
            );
        }
        Outcome::ok(&api.name, synth::response(api, "alibaba"))
    }

    /// `POST /openapi/http/1/system.oauth2/getToken/{appKey}` (form, not signed): a new access
    /// token for a valid refresh token (the configured `refresh_token`, or one this mock issued).
    fn aop_token(&self, req: &http::Request, app_key: &str) -> Outcome {
        let api = Some("system.oauth2.getToken");
        let mut form = http::parse_form(req.query.as_bytes());
        form.extend(http::parse_form(&req.body));
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let fail = |status: u16, error: &str, description: &str| {
            Outcome::err(
                api,
                status,
                error,
                json!({"error": error, "error_description": description}),
            )
        };
        if req.method != "POST" {
            return fail(400, "invalid_request", "getToken must be POSTed");
        }
        let app_ok = Some(app_key) == self.get("alibaba", "app_key")
            && get("client_id") == Some(app_key)
            && get("client_secret") == self.get("alibaba", "app_secret");
        if !app_ok {
            return fail(401, "invalid_client", "client_id or client_secret is wrong");
        }
        if get("grant_type") != Some("refresh_token") {
            return fail(
                400,
                "unsupported_grant_type",
                "grant_type must be refresh_token",
            );
        }
        let rt = get("refresh_token").unwrap_or_default();
        if !self.redeem_refresh("alibaba", rt) {
            return fail(401, "invalid_grant", "refresh_token is invalid or expired");
        }
        let (token, refresh) = self.issue("alibaba", "user", "aop.");
        // 1688 sends numbers as text here.
        Outcome::ok(
            "system.oauth2.getToken",
            json!({"access_token": token, "expires_in": self.token_ttl.as_secs().to_string(),
                   "refresh_token": refresh, "refresh_token_timeout": "20991231000000000+0800",
                   "aliId": "8888", "resource_owner": "mock-buyer", "memberId": "b2b-8888"}),
        )
    }

    // ------------------------------------------------------------ Douyin

    fn douyin_client_token(&self, req: &http::Request) -> Outcome {
        let api = Some("oauth.client_token");
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let ok = body.get("client_key").and_then(Value::as_str) == self.get("douyin", "client_key")
            && body.get("client_secret").and_then(Value::as_str)
                == self.get("douyin", "client_secret")
            && body.get("grant_type").and_then(Value::as_str) == Some("client_credential")
            && self.get("douyin", "client_key").is_some();
        if !ok {
            return Outcome::err(
                api,
                200,
                "10013",
                json!({"data": {"error_code": 10013, "description": "client_key或client_secret错误"}, "message": "error"}),
            );
        }
        let (token, _) = self.issue("douyin", "client", "clt.");
        Outcome::ok(
            "oauth.client_token",
            json!({"data": {"access_token": token, "expires_in": self.token_ttl.as_secs(), "error_code": 0, "description": ""}, "message": "success"}),
        )
    }

    /// `POST /oauth/refresh_token/` (form): a new user access token for a valid refresh token
    /// (the configured `refresh_token`, or one this mock issued).
    fn douyin_refresh_token(&self, req: &http::Request) -> Outcome {
        let api = Some("oauth.refresh_token");
        let form = http::parse_form(&req.body);
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let fail = |code: i64, msg: &str| {
            Outcome::err(
                api,
                200,
                code.to_string(),
                json!({"data": {"error_code": code, "description": msg}, "message": "error"}),
            )
        };
        if !req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            return fail(
                2100005,
                "Content-Type 必须是 application/x-www-form-urlencoded",
            );
        }
        if get("client_key").is_none()
            || get("client_key") != self.get("douyin", "client_key")
            || get("grant_type") != Some("refresh_token")
        {
            return fail(10013, "client_key 错误");
        }
        let rt = get("refresh_token").unwrap_or_default();
        if !self.redeem_refresh("douyin", rt) {
            return fail(10010, "refresh_token 已过期");
        }
        let (token, refresh) = self.issue("douyin", "user", "act.");
        Outcome::ok(
            "oauth.refresh_token",
            json!({"data": {"access_token": token, "expires_in": self.token_ttl.as_secs(), "refresh_token": refresh, "refresh_expires_in": 2592000, "open_id": "open-id", "scope": "user_info", "error_code": 0, "description": ""}, "message": "success"}),
        )
    }

    fn douyin(&self, req: &http::Request, api: &ir::Api) -> Outcome {
        let n = Some(api.name.as_str());
        let logid = format!("2024{:012}", now_secs());
        let err = |code: i64, msg: &str| {
            Outcome::err(
                n,
                200,
                code.to_string(),
                json!({"data": {"error_code": code, "description": msg}, "extra": {"error_code": code, "description": msg, "sub_error_code": 0, "sub_description": "", "logid": logid, "now": now_secs()}}),
            )
        };
        if req.method != api.method {
            return err(2100005, "请求方法错误");
        }
        match api.auth {
            Auth::User | Auth::Client => {
                let kind = if api.auth == Auth::User {
                    "user"
                } else {
                    "client"
                };
                let Some(token) = req.header("access-token") else {
                    return err(10008, "access_token无效或已过期");
                };
                let static_key = (api.auth == Auth::User).then_some("access_token");
                match self.check_token("douyin", kind, token, static_key) {
                    Ok(()) => {}
                    Err(true) => return err(2190008, "access_token已过期"),
                    Err(false) => return err(10008, "access_token无效"),
                }
            }
            Auth::None | Auth::App => {}
        }
        let query = query_json(req);
        let body = if req.method == "GET" {
            Value::Object(Default::default())
        } else {
            if !req
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/json"))
            {
                return err(2100005, "Content-Type 必须是 application/json");
            }
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(v @ Value::Object(_)) => v,
                _ => return err(2100005, "请求体必须是 JSON 对象"),
            }
        };
        let present = |f: &ir::FieldIr| {
            let in_query = f.location == Location::Query || req.method == "GET";
            let src = if in_query { &query } else { &body };
            src.get(&f.wire).is_some_and(|v| !v.is_null())
        };
        if let Some(missing) = missing_param(api, present) {
            return err(2100005, &format!("参数不合法: 缺少 {missing}"));
        }
        let data = synth::response(api, "douyin");
        if api.host_key == "lianmeng" {
            return Outcome::ok(
                &api.name,
                json!({"code": 0, "msg": "success", "data": data}),
            );
        }
        Outcome::ok(
            &api.name,
            json!({"data": data, "extra": {"error_code": 0, "description": "", "sub_error_code": 0, "sub_description": "", "logid": logid, "now": now_secs()}}),
        )
    }

    // ------------------------------------------------------------ Doudian

    fn doudian(&self, req: &http::Request, api: &ir::Api) -> Outcome {
        let n = Some(api.name.as_str());
        let query = http::parse_form(req.query.as_bytes());
        let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let err = |code: i64, sub: &str, msg: &str| {
            Outcome::err(
                n,
                200,
                code.to_string(),
                json!({"code": code, "msg": msg, "sub_code": sub, "sub_msg": msg, "log_id": format!("mock{}", now_secs()), "data": null, "err_no": code, "message": msg}),
            )
        };
        if get("method") != Some(api.name.as_str()) {
            return err(40001, "isv.parameter-invalid", "method 与路径不一致");
        }
        if get("app_key").is_none() || get("app_key") != self.get("doudian", "app_key") {
            return err(30001, "isv.app-key-invalid", "app_key 无效");
        }
        let ts = get("timestamp").unwrap_or_default();
        if !doudian_timestamp_ok(ts) {
            return err(
                40001,
                "isv.timestamp-invalid",
                "timestamp 无效或超出 300 秒",
            );
        }
        let param_json = String::from_utf8_lossy(&req.body).into_owned();
        let secret = self.get("doudian", "app_secret").unwrap_or_default();
        let expected = sign::doudian(
            secret,
            get("app_key").unwrap_or_default(),
            &api.name,
            &param_json,
            ts,
            get("sign_method").unwrap_or("md5"),
        );
        if expected.is_none() || expected.as_deref() != get("sign") {
            return err(40004, "isv.signature-invalid", "签名校验失败");
        }
        let Ok(params @ Value::Object(_)) = serde_json::from_str::<Value>(&param_json) else {
            return err(40001, "isv.parameter-invalid", "param_json 不是 JSON 对象");
        };
        if api.auth == Auth::User {
            let token = get("access_token").unwrap_or_default();
            match self.check_token("doudian", "user", token, Some("access_token")) {
                Ok(()) => {}
                Err(true) => return err(40003, "isv.access-token-expired", "access_token已过期"),
                Err(false) => {
                    return err(40003, "isv.access-token-no-existed", "access_token不存在")
                }
            }
        }
        if let Some(missing) =
            missing_param(api, |f| params.get(&f.wire).is_some_and(|v| !v.is_null()))
        {
            return err(
                40001,
                "isv.parameter-invalid",
                &format!("缺少参数 {missing}"),
            );
        }
        let data = match api.name.as_str() {
            "token.create" => {
                if params.get("grant_type").and_then(Value::as_str) == Some("authorization_self")
                    && params.get("shop_id").and_then(Value::as_str)
                        != self.get("doudian", "shop_id")
                {
                    return err(
                        50001,
                        "dop.token-generate-failed:shop-invalid",
                        "shop_id 无效",
                    );
                }
                self.doudian_token()
            }
            "token.refresh" => {
                let rt = params
                    .get("refresh_token")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !self.redeem_refresh("doudian", rt) {
                    return err(50002, "dop.token-refresh-failed", "refresh_token 无效");
                }
                self.doudian_token()
            }
            _ => synth::response(api, "doudian"),
        };
        Outcome::ok(
            &api.name,
            json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": format!("mock{}", now_secs()), "data": data, "err_no": 0, "message": "success"}),
        )
    }

    fn doudian_token(&self) -> Value {
        let (token, refresh) = self.issue("doudian", "user", "dd.");
        json!({"access_token": token, "expires_in": self.token_ttl.as_secs(), "refresh_token": refresh, "scope": "SCOPE", "shop_id": self.get("doudian", "shop_id").unwrap_or("0"), "shop_name": "测试店铺"})
    }
}

fn rate_limit_body(platform: &str) -> Value {
    match platform {
        "taobao" => {
            json!({"error_response": {"code": 7, "msg": "App Call Limited", "sub_code": "accesscontrol.limited-by-app-access-count", "sub_msg": "This ban will last for 1 more seconds"}})
        }
        "alibaba" => {
            json!({"error_code": "gw.QosAppFrequencyLimit", "error_message": "App frequency limit"})
        }
        "youzan" => {
            json!({"gw_err_resp": {"trace_id": "yz7-limit", "err_msg": "调用过于频繁", "err_code": 4101}})
        }
        "douyin" => {
            json!({"data": {"error_code": 2100004, "description": "系统繁忙"}, "extra": {"error_code": 2100004, "description": "系统繁忙"}})
        }
        _ => {
            json!({"code": 60000, "msg": "限流", "sub_code": "isv.rate-limit", "sub_msg": "调用频率超限", "data": null})
        }
    }
}

/// The first required param (not a file) the predicate says is absent.
fn missing_param(api: &ir::Api, present: impl Fn(&ir::FieldIr) -> bool) -> Option<String> {
    api.params
        .iter()
        .filter(|f| f.required && f.location != Location::Path && f.location != Location::Header)
        .find(|f| !present(f))
        .map(|f| f.wire.clone())
}

fn query_json(req: &http::Request) -> Value {
    Value::Object(
        http::parse_form(req.query.as_bytes())
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// `yyyy-MM-dd HH:mm:ss` read as Beijing time (UTC+8), in Unix seconds.
fn beijing_wall_secs(ts: &str) -> Option<u64> {
    chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| (t.and_utc().timestamp() - 8 * 3600).max(0) as u64)
}

/// `yyyy-MM-dd HH:mm:ss` in UTC+8 (or epoch ms), within 10 minutes.
fn taobao_timestamp_ok(ts: &str) -> bool {
    let secs = ts
        .parse::<u64>()
        .map(|ms| ms / 1000)
        .ok()
        .or_else(|| beijing_wall_secs(ts));
    secs.is_some_and(|s| s.abs_diff(now_secs()) <= 600)
}

/// Unix seconds (doc), milliseconds (Java SDK) or `yyyy-MM-dd HH:mm:ss` (old docs), within 300 s.
fn doudian_timestamp_ok(ts: &str) -> bool {
    let secs = match ts.parse::<u64>() {
        Ok(v) if v > 100_000_000_000 => Some(v / 1000),
        Ok(v) => Some(v),
        Err(_) => beijing_wall_secs(ts),
    };
    secs.is_some_and(|s| s.abs_diff(now_secs()) <= 300)
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
