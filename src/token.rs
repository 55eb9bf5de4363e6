//! Tokens: providers that obtain them, stores that keep them, and a cache that
//! refreshes them before expiry with single-flight (N waiting calls, 1 refresh).

use crate::error::{Error, Result};
use crate::json::Json;
use crate::secret::Secret;
use crate::wire::{Body, BoxFuture, Transport, WireRequest};
use crate::HttpMethod;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An access token and what came with it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Expiry as epoch milliseconds; `None` = unknown (used until rejected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Token {
    /// A token without a known expiry.
    pub fn new(access_token: impl Into<Secret>) -> Self {
        Token {
            access_token: access_token.into(),
            refresh_token: None,
            expires_at_ms: None,
        }
    }

    /// True if it expires within `margin`.
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at_ms.is_some_and(|at| {
            at - now_ms() <= i64::try_from(margin.as_millis()).unwrap_or(i64::MAX)
        })
    }
}

/// What a provider may use to reach a token endpoint.
#[derive(Clone, Copy)]
pub struct TokenContext<'a> {
    pub transport: &'a dyn Transport,
    /// The configured `base_url` of the platform, if any (replaces the endpoint's host).
    pub base_url: Option<&'a str>,
    pub timeout: Duration,
}

impl fmt::Debug for TokenContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenContext")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl TokenContext<'_> {
    fn url(&self, default_host: &str, path: &str) -> String {
        format!("{}{path}", self.base_url.unwrap_or(default_host))
    }

    /// POSTs `pairs` as a form (`application/x-www-form-urlencoded`); see [`Self::post`].
    pub async fn post_form(
        &self,
        platform: &str,
        url: String,
        pairs: &[(&str, &str)],
    ) -> Result<Json> {
        let form = crate::protocol::form_body(pairs);
        self.post(platform, url, "application/x-www-form-urlencoded", form)
            .await
    }

    /// POSTs and returns the JSON answer, mapping every failure to `Error::Auth`.
    pub async fn post(
        &self,
        platform: &str,
        url: String,
        content_type: &str,
        body: impl Into<bytes::Bytes>,
    ) -> Result<Json> {
        let auth = |message: String| Error::Auth {
            platform: platform.to_owned(),
            message,
        };
        let req = WireRequest {
            method: HttpMethod::Post,
            url: url::Url::parse(&url)
                .map_err(|e| auth(format!("invalid token endpoint URL `{url}`: {e}")))?,
            headers: Vec::new(),
            body: Body::Bytes {
                content_type: content_type.into(),
                bytes: body.into(),
            },
        };
        let resp = self
            .transport
            .send(req, self.timeout)
            .await
            .map_err(|e| auth(format!("token endpoint unreachable: {e:?}")))?;
        Json::parse(&resp.body).map_err(|_| {
            auth(format!(
                "token endpoint answered HTTP {} with a body that is not JSON: {}",
                resp.status,
                crate::error::excerpt(&resp.body, 120)
            ))
        })
    }
}

/// Obtains tokens. `rejected` is the token the platform just refused (or that
/// expired), so a provider can use its refresh token.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>>;
}

/// A fixed token from configuration (Taobao `session`, 1688/Douyin/Doudian `access_token`).
/// It cannot be refreshed: a rejection is returned to the caller.
#[derive(Debug, Clone)]
pub struct StaticToken {
    platform: String,
    token: Secret,
}

impl StaticToken {
    pub fn new(platform: impl Into<String>, token: impl Into<Secret>) -> Self {
        StaticToken {
            platform: platform.into(),
            token: token.into(),
        }
    }
}

impl TokenProvider for StaticToken {
    fn fetch<'a>(
        &'a self,
        _cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            if rejected.is_some_and(|r| r.access_token == self.token) {
                return Err(Error::Auth {
                    platform: self.platform.clone(),
                    message: "the configured access token was rejected and cannot be refreshed"
                        .into(),
                });
            }
            Ok(Token::new(self.token.clone()))
        })
    }
}

/// Youzan `/auth/token`: silent grant (`grant_id`), refresh with the refresh token when one was issued.
#[derive(Debug, Clone)]
pub struct YouzanToken {
    pub client_id: String,
    pub client_secret: Secret,
    pub grant_id: String,
}

fn auth_err(platform: &str, body: &Json) -> Error {
    let text = |pointer: &str| crate::protocol::text_of(body.pointer(pointer));
    let code = text("/code")
        .or_else(|| text("/data/error_code"))
        .or_else(|| text("/error"))
        .unwrap_or_default();
    let msg = text("/message")
        .or_else(|| text("/data/description"))
        .or_else(|| text("/msg"))
        .or_else(|| text("/error_description"))
        .unwrap_or_default();
    Error::Auth {
        platform: platform.into(),
        message: format!("token endpoint refused: code {code}: {msg}"),
    }
}

impl TokenProvider for YouzanToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            let body = match rejected.and_then(|t| t.refresh_token.as_ref()) {
                Some(rt) => {
                    serde_json::json!({"client_id": self.client_id, "client_secret": self.client_secret.expose(), "authorize_type": "refresh_token", "refresh_token": rt.expose()})
                }
                None => {
                    serde_json::json!({"client_id": self.client_id, "client_secret": self.client_secret.expose(), "authorize_type": "silent", "grant_id": self.grant_id, "refresh": true})
                }
            };
            let url = cx.url("https://open.youzanyun.com", "/auth/token");
            let v = cx
                .post(
                    "youzan",
                    url,
                    "application/json",
                    body.to_string().into_bytes(),
                )
                .await?;
            if !matches!(v.get("success"), Some(Json::Bool(true))) {
                return Err(auth_err("youzan", &v));
            }
            let data = v.get("data").cloned().unwrap_or_default();
            let access = crate::protocol::text_of(data.get("access_token"))
                .ok_or_else(|| auth_err("youzan", &v))?;
            Ok(Token {
                access_token: access.into(),
                refresh_token: crate::protocol::text_of(data.get("refresh_token")).map(Secret::new),
                expires_at_ms: data.get("expires").and_then(Json::as_i64),
            })
        })
    }
}

/// Douyin `client_token` from `/oauth/client_token/` (2 h).
#[derive(Debug, Clone)]
pub struct DouyinClientToken {
    pub client_key: String,
    pub client_secret: Secret,
}

impl TokenProvider for DouyinClientToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        _rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            let body = serde_json::json!({"client_key": self.client_key, "client_secret": self.client_secret.expose(), "grant_type": "client_credential"});
            let url = cx.url("https://open.douyin.com", "/oauth/client_token/");
            let v = cx
                .post(
                    "douyin",
                    url,
                    "application/json",
                    body.to_string().into_bytes(),
                )
                .await?;
            let data = v.get("data").cloned().unwrap_or_default();
            if !crate::protocol::is_zero(data.get("error_code")) {
                return Err(auth_err("douyin", &v));
            }
            let access = crate::protocol::text_of(data.get("access_token"))
                .ok_or_else(|| auth_err("douyin", &v))?;
            let ttl = data
                .get("expires_in")
                .and_then(Json::as_i64)
                .unwrap_or(7200);
            Ok(Token {
                access_token: access.into(),
                refresh_token: None,
                expires_at_ms: Some(now_ms() + ttl * 1000),
            })
        })
    }
}

/// For providers with a configured access token and refresh token: the configured access token,
/// on the first fetch (nothing rejected yet).
fn configured(
    rejected: Option<&Token>,
    access: Option<&Secret>,
    refresh: &Secret,
) -> Option<Token> {
    match (rejected, access) {
        (None, Some(access)) => Some(Token {
            access_token: access.clone(),
            refresh_token: Some(refresh.clone()),
            expires_at_ms: None,
        }),
        _ => None,
    }
}

/// The newest refresh token: the one that came with the rejected token, else the configured one.
fn newest_refresh<'a>(rejected: Option<&'a Token>, configured: &'a Secret) -> &'a Secret {
    rejected
        .and_then(|t| t.refresh_token.as_ref())
        .unwrap_or(configured)
}

/// The token in a token endpoint's answer `object`: `access_token`, `expires_in` (seconds, a
/// number or text), and `refresh_token` when a new one came (it replaces `old`; else `old`
/// stays good).
fn refreshed(object: &Json, old: Option<&Secret>) -> Option<Token> {
    let text = |key: &str| crate::protocol::text_of(object.get(key));
    let ttl = text("expires_in").and_then(|t| t.parse::<i64>().ok());
    Some(Token {
        access_token: text("access_token")?.into(),
        refresh_token: text("refresh_token")
            .map(Secret::new)
            .or_else(|| old.cloned()),
        expires_at_ms: ttl.map(|t| now_ms() + t * 1000),
    })
}

/// A Douyin user (达人) token: the configured `access_token`, refreshed with
/// `POST /oauth/refresh_token/` (form) when the platform rejects it.
#[derive(Debug, Clone)]
pub struct DouyinUserToken {
    pub client_key: String,
    pub access_token: Option<Secret>,
    pub refresh_token: Secret,
}

impl TokenProvider for DouyinUserToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            if let Some(t) = configured(rejected, self.access_token.as_ref(), &self.refresh_token) {
                return Ok(t);
            }
            let rt = newest_refresh(rejected, &self.refresh_token);
            let url = cx.url("https://open.douyin.com", "/oauth/refresh_token/");
            let form = [
                ("client_key", self.client_key.as_str()),
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.expose()),
            ];
            let v = cx.post_form("douyin", url, &form).await?;
            let data = &v["data"];
            if !crate::protocol::is_zero(data.get("error_code")) {
                return Err(auth_err("douyin", &v));
            }
            refreshed(data, Some(rt)).ok_or_else(|| auth_err("douyin", &v))
        })
    }
}

/// A 1688 user token: the configured `access_token` (10 hours), refreshed with the refresh token
/// (about half a year) at `POST /openapi/http/1/system.oauth2/getToken/{appKey}`: a form, not
/// signed, `grant_type=refresh_token`.
#[derive(Debug, Clone)]
pub struct AopToken {
    pub app_key: String,
    pub app_secret: Secret,
    pub access_token: Option<Secret>,
    pub refresh_token: Secret,
}

impl TokenProvider for AopToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            if let Some(t) = configured(rejected, self.access_token.as_ref(), &self.refresh_token) {
                return Ok(t);
            }
            let rt = newest_refresh(rejected, &self.refresh_token);
            let path = format!("/openapi/http/1/system.oauth2/getToken/{}", self.app_key);
            let url = cx.url("https://gw.open.1688.com", &path);
            let form = [
                ("grant_type", "refresh_token"),
                ("client_id", self.app_key.as_str()),
                ("client_secret", self.app_secret.expose()),
                ("refresh_token", rt.expose()),
            ];
            let v = cx.post_form("alibaba", url, &form).await?;
            refreshed(&v, Some(rt)).ok_or_else(|| auth_err("alibaba", &v))
        })
    }
}

/// Doudian `token.create` (self-use app, `shop_id`) and `token.refresh`.
#[derive(Debug, Clone)]
pub struct DoudianToken {
    pub protocol: crate::protocol::Doudian,
    pub shop_id: String,
}

impl TokenProvider for DoudianToken {
    fn fetch<'a>(
        &'a self,
        cx: TokenContext<'a>,
        rejected: Option<&'a Token>,
    ) -> BoxFuture<'a, Result<Token>> {
        Box::pin(async move {
            use crate::protocol::{Param, Protocol};
            let (name, params) = match rejected.and_then(|t| t.refresh_token.as_ref()) {
                Some(rt) => (
                    "token.refresh",
                    vec![
                        ("grant_type", "refresh_token".to_owned()),
                        ("refresh_token", rt.expose().to_owned()),
                    ],
                ),
                None => (
                    "token.create",
                    vec![
                        ("code", String::new()),
                        ("grant_type", "authorization_self".to_owned()),
                        ("shop_id", self.shop_id.clone()),
                    ],
                ),
            };
            let desc = crate::ApiDesc::new(
                "doudian",
                name,
                "2",
                HttpMethod::Post,
                "https://openapi-fxg.jinritemai.com",
                "",
                "",
                crate::AuthKind::App,
                false,
                Vec::new(),
            );
            let params: Vec<Param> = params
                .into_iter()
                .map(|(k, v)| Param {
                    name: k.into(),
                    value: Value::String(v),
                    location: crate::ParamLocation::Default,
                })
                .collect();
            let base = cx.base_url.unwrap_or("https://openapi-fxg.jinritemai.com");
            let call = crate::protocol::Call {
                api: &desc,
                base_url: base,
                params: &params,
                files: &[],
                token: None,
                now: SystemTime::now(),
            };
            let req = self.protocol.build(&call)?;
            let resp = cx
                .transport
                .send(req, cx.timeout)
                .await
                .map_err(|e| Error::Auth {
                    platform: "doudian".into(),
                    message: format!("token endpoint unreachable: {e:?}"),
                })?;
            let v = Json::parse(&resp.body).map_err(|_| Error::Auth {
                platform: "doudian".into(),
                message: "token endpoint answered with a body that is not JSON".into(),
            })?;
            if crate::protocol::text_of(v.get("code")).as_deref() != Some("10000") {
                return Err(auth_err("doudian", &v));
            }
            let old = rejected.and_then(|t| t.refresh_token.as_ref());
            refreshed(&v["data"], old).ok_or_else(|| auth_err("doudian", &v))
        })
    }
}

// ------------------------------------------------------------------ stores

/// Keeps tokens across processes. Keys look like `youzan/<client_id>/<grant_id>`.
pub trait TokenStore: Send + Sync + fmt::Debug {
    fn load(&self, key: &str) -> Result<Option<Token>>;
    fn save(&self, key: &str, token: &Token) -> Result<()>;
}

/// Tokens in memory (the default).
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: StdMutex<BTreeMap<String, Token>>,
}

impl TokenStore for MemoryStore {
    fn load(&self, key: &str) -> Result<Option<Token>> {
        Ok(self
            .tokens
            .lock()
            .map_err(|_| Error::Config("token store poisoned".into()))?
            .get(key)
            .cloned())
    }
    fn save(&self, key: &str, token: &Token) -> Result<()> {
        self.tokens
            .lock()
            .map_err(|_| Error::Config("token store poisoned".into()))?
            .insert(key.to_owned(), token.clone());
        Ok(())
    }
}

/// Tokens in a JSON file, written atomically: write a temporary file, fsync it,
/// rename it over the old one, fsync the folder. A crash at any point leaves
/// either the old file or the new one, never a torn one, so a rotated refresh
/// token (Youzan retires the old one at once) is never lost.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    lock: StdMutex<()>,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore {
            path: path.into(),
            lock: StdMutex::new(()),
        }
    }

    fn read_all(&self) -> Result<BTreeMap<String, Token>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::Config(format!(
                    "token file {} is not valid: {e}",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(Error::Config(format!(
                "cannot read token file {}: {e}",
                self.path.display()
            ))),
        }
    }
}

impl TokenStore for FileStore {
    fn load(&self, key: &str) -> Result<Option<Token>> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| Error::Config("token store poisoned".into()))?;
        Ok(self.read_all()?.remove(key))
    }

    fn save(&self, key: &str, token: &Token) -> Result<()> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| Error::Config("token store poisoned".into()))?;
        let mut all = self.read_all()?;
        all.insert(key.to_owned(), token.clone());
        let io = |e: std::io::Error| {
            Error::Config(format!(
                "cannot write token file {}: {e}",
                self.path.display()
            ))
        };
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let tmp = dir.join(format!(
            ".{}.tmp{}",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("tokens"),
            std::process::id()
        ));
        {
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            let text = serde_json::to_vec_pretty(&all).map_err(|e| Error::Config(e.to_string()))?;
            f.write_all(&text).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ cache

/// One cached token with single-flight refresh.
#[derive(Debug)]
pub(crate) struct TokenManager {
    key: String,
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
            provider,
            store,
            current: std::sync::RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            margin,
            fetches: AtomicU64::new(0),
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
