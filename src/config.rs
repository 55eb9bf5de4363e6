//! The TOML configuration shared by the client, `opengate call` and `opengate mock`.
//!
//! ```toml
//! [youzan]
//! client_id = "..."
//! client_secret = "..."
//! grant_id = "123456"
//! base_url = "http://127.0.0.1:8080"   # optional: replaces scheme, host and port
//! ```
//! Every key can be overridden by `OPENGATE_<PLATFORM>_<KEY>` (e.g. `OPENGATE_TAOBAO_APP_SECRET`).

use crate::client::{ClientBuilder, PlatformOptions, RetryPolicy};
use crate::error::{Error, Result};
use crate::protocol::{Aop, Doudian, DoudianSignMethod, Douyin, Taobao, TaobaoSignMethod, Youzan};
use crate::secret::Secret;
use crate::token::{
    AopToken, DoudianToken, DouyinClientToken, DouyinUserToken, FileStore, StaticToken,
    TokenProvider, YouzanToken,
};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The keys each built-in platform table accepts.
pub const PLATFORM_KEYS: &[(&str, &[&str])] = &[
    (
        "youzan",
        &["base_url", "client_id", "client_secret", "grant_id", "qps"],
    ),
    (
        "taobao",
        &[
            "base_url",
            "app_key",
            "app_secret",
            "sign_method",
            "session",
            "qps",
        ],
    ),
    (
        "alibaba",
        &[
            "base_url",
            "app_key",
            "app_secret",
            "access_token",
            "refresh_token",
            "qps",
        ],
    ),
    (
        "douyin",
        &[
            "base_url",
            "client_key",
            "client_secret",
            "access_token",
            "refresh_token",
            "qps",
        ],
    ),
    (
        "doudian",
        &[
            "base_url",
            "app_key",
            "app_secret",
            "sign_method",
            "access_token",
            "shop_id",
            "qps",
        ],
    ),
    (
        "client",
        &[
            "timeout_ms",
            "connect_timeout_ms",
            "max_attempts",
            "token_file",
        ],
    ),
];

const SECRET_KEYS: &[&str] = &[
    "app_secret",
    "client_secret",
    "session",
    "access_token",
    "refresh_token",
];

/// A loaded configuration: one table of string values per platform.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Config {
    tables: BTreeMap<String, BTreeMap<String, String>>,
    /// Where it came from, for messages.
    pub origin: String,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (t, kv) in &self.tables {
            let shown: BTreeMap<&str, &str> = kv
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str(),
                        if SECRET_KEYS.contains(&k.as_str()) {
                            "***"
                        } else {
                            v.as_str()
                        },
                    )
                })
                .collect();
            m.entry(t, &shown);
        }
        m.finish()
    }
}

impl Config {
    /// Reads `path`, or `$OPENGATE_CONFIG`, or `./opengate.toml`. A missing default file
    /// is an empty config; a missing explicit file is an error. Environment overrides apply.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let (path, explicit): (PathBuf, bool) = match path {
            Some(p) => (p.to_owned(), true),
            None => match std::env::var_os("OPENGATE_CONFIG") {
                Some(p) => (PathBuf::from(p), true),
                None => (PathBuf::from("opengate.toml"), false),
            },
        };
        let mut cfg = match std::fs::read_to_string(&path) {
            Ok(text) => Config::from_toml(&text, &path.display().to_string())?,
            Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot read config {}: {e}",
                    path.display()
                )))
            }
        };
        cfg.apply_env();
        Ok(cfg)
    }

    /// Parses TOML text (no environment overrides).
    pub fn from_toml(text: &str, origin: &str) -> Result<Config> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            Error::Config(format!("{origin}: invalid TOML: {}", e.message().trim()))
        })?;
        let mut cfg = Config {
            tables: BTreeMap::new(),
            origin: origin.to_owned(),
        };
        for (name, value) in table {
            let toml::Value::Table(t) = value else {
                return Err(Error::Config(format!(
                    "{origin}: `{name}` must be a table like [{name}]"
                )));
            };
            let known = PLATFORM_KEYS
                .iter()
                .find(|(p, _)| *p == name)
                .map(|(_, k)| *k);
            let mut kv = BTreeMap::new();
            for (k, v) in t {
                if let Some(keys) = known {
                    if !keys.contains(&k.as_str()) {
                        return Err(Error::Config(format!(
                            "{origin}: unknown key `{k}` in [{name}], expected one of: {}",
                            keys.join(", ")
                        )));
                    }
                }
                let text = match v {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    // Nested tables belong to other tools sharing the file (e.g. the mock's faults).
                    _ => continue,
                };
                kv.insert(k, text);
            }
            cfg.tables.insert(name, kv);
        }
        Ok(cfg)
    }

    /// Applies `OPENGATE_<PLATFORM>_<KEY>` overrides for every known key.
    pub fn apply_env(&mut self) {
        for (platform, keys) in PLATFORM_KEYS {
            for key in *keys {
                let var = format!(
                    "OPENGATE_{}_{}",
                    platform.to_ascii_uppercase(),
                    key.to_ascii_uppercase()
                );
                if let Ok(v) = std::env::var(&var) {
                    self.set(platform, key, v);
                }
            }
        }
    }

    pub fn get(&self, table: &str, key: &str) -> Option<&str> {
        self.tables
            .get(table)?
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn set(&mut self, table: &str, key: &str, value: impl Into<String>) {
        self.tables
            .entry(table.to_owned())
            .or_default()
            .insert(key.to_owned(), value.into());
    }

    /// The tables present (platform names and others).
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    fn need(&self, table: &str, key: &str) -> Result<&str> {
        self.get(table, key).ok_or_else(|| {
            Error::Config(format!(
                "[{table}] needs `{key}` (or OPENGATE_{}_{})",
                table.to_ascii_uppercase(),
                key.to_ascii_uppercase()
            ))
        })
    }

    fn qps(&self, table: &str) -> Result<Option<f64>> {
        self.get(table, "qps")
            .map(|q| {
                q.parse::<f64>().map_err(|_| {
                    Error::Config(format!("[{table}] qps must be a number, got `{q}`"))
                })
            })
            .transpose()
    }

    fn ms(&self, key: &str) -> Result<Option<Duration>> {
        self.get("client", key)
            .map(|v| {
                v.parse::<u64>().map(Duration::from_millis).map_err(|_| {
                    Error::Config(format!(
                        "[client] {key} must be a whole number of milliseconds, got `{v}`"
                    ))
                })
            })
            .transpose()
    }

    /// A client builder with every configured built-in platform registered.
    pub fn client_builder(&self) -> Result<ClientBuilder> {
        let mut b = ClientBuilder::default();
        if let Some(t) = self.ms("timeout_ms")? {
            b = b.timeout(t);
        }
        if let Some(t) = self.ms("connect_timeout_ms")? {
            b = b.connect_timeout(t);
        }
        if let Some(n) = self.get("client", "max_attempts") {
            let max_attempts = n.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                Error::Config(format!(
                    "[client] max_attempts must be a whole number >= 1, got `{n}`"
                ))
            })?;
            b = b.retry(RetryPolicy {
                max_attempts,
                ..RetryPolicy::default()
            });
        }
        if let Some(f) = self.get("client", "token_file") {
            b = b.token_store(Arc::new(FileStore::new(f)));
        }
        for (name, _) in PLATFORM_KEYS.iter().filter(|(n, _)| *n != "client") {
            if self.tables.contains_key(*name) {
                let (protocol, options) = self.platform(name)?;
                b = b.platform(*name, protocol, options);
            }
        }
        Ok(b)
    }

    fn platform(&self, name: &str) -> Result<(Arc<dyn crate::Protocol>, PlatformOptions)> {
        let base_url = self.get(name, "base_url").map(str::to_owned);
        let qps = self.qps(name)?;
        let stat = |key: &str| -> Option<Arc<dyn TokenProvider>> {
            self.get(name, key)
                .map(|t| Arc::new(StaticToken::new(name, t)) as Arc<dyn TokenProvider>)
        };
        Ok(match name {
            "youzan" => {
                let client_id = self.need(name, "client_id")?.to_owned();
                let provider = YouzanToken { client_id: client_id.clone(), client_secret: self.need(name, "client_secret")?.into(), grant_id: self.need(name, "grant_id")?.to_owned() };
                let app_id = format!("{client_id}/{}", provider.grant_id);
                (Arc::new(Youzan), PlatformOptions { base_url, user_token: Some(Arc::new(provider)), client_token: None, app_id, qps })
            }
            "taobao" => {
                let m = self.get(name, "sign_method").unwrap_or("md5");
                let method = TaobaoSignMethod::parse(m).ok_or_else(|| Error::Config(format!("[taobao] sign_method must be md5, hmac or hmac-sha256, got `{m}`")))?;
                let app_key = self.need(name, "app_key")?;
                (Arc::new(Taobao::new(app_key, self.need(name, "app_secret")?, method)), PlatformOptions { base_url, user_token: stat("session"), client_token: None, app_id: app_key.to_owned(), qps })
            }
            "alibaba" => {
                let (app_key, app_secret) = (self.need(name, "app_key")?, self.need(name, "app_secret")?);
                let user_token = match self.get(name, "refresh_token") {
                    Some(rt) => Some(Arc::new(AopToken {
                        app_key: app_key.to_owned(),
                        app_secret: app_secret.into(),
                        access_token: self.get(name, "access_token").map(Secret::new),
                        refresh_token: rt.into(),
                    }) as Arc<dyn TokenProvider>),
                    None => stat("access_token"),
                };
                (Arc::new(Aop::new(app_key, app_secret)), PlatformOptions { base_url, user_token, client_token: None, app_id: app_key.to_owned(), qps })
            }
            "douyin" => {
                let client_token = match (self.get(name, "client_key"), self.get(name, "client_secret")) {
                    (Some(k), Some(s)) => Some(Arc::new(DouyinClientToken { client_key: k.to_owned(), client_secret: s.into() }) as Arc<dyn TokenProvider>),
                    _ => None,
                };
                let app_id = self.get(name, "client_key").unwrap_or_default().to_owned();
                let user_token = match self.get(name, "refresh_token") {
                    Some(rt) => Some(Arc::new(DouyinUserToken {
                        client_key: self.need(name, "client_key")?.to_owned(),
                        access_token: self.get(name, "access_token").map(Secret::new),
                        refresh_token: rt.into(),
                    }) as Arc<dyn TokenProvider>),
                    None => stat("access_token"),
                };
                (Arc::new(Douyin), PlatformOptions { base_url, user_token, client_token, app_id, qps })
            }
            "doudian" => {
                let m = self.get(name, "sign_method").unwrap_or("hmac-sha256");
                let method = DoudianSignMethod::parse(m).ok_or_else(|| Error::Config(format!("[doudian] sign_method must be md5 or hmac-sha256, got `{m}`")))?;
                let app_key = self.need(name, "app_key")?;
                let protocol = Doudian::new(app_key, self.need(name, "app_secret")?, method);
                let user_token = match (self.get(name, "access_token"), self.get(name, "shop_id")) {
                    (Some(_), _) => stat("access_token"),
                    (None, Some(shop)) => Some(Arc::new(DoudianToken { protocol: protocol.clone(), shop_id: shop.to_owned() }) as Arc<dyn TokenProvider>),
                    (None, None) => None,
                };
                (Arc::new(protocol), PlatformOptions { base_url, user_token, client_token: None, app_id: app_key.to_owned(), qps })
            }
            other => return Err(Error::Config(format!("no built-in protocol for platform `{other}`: register it with ClientBuilder::platform"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::from_toml("[taobao]\napp_kye = \"x\"\n", "t.toml").unwrap_err();
        assert!(
            e.to_string().contains("unknown key `app_kye` in [taobao]"),
            "{e}"
        );
    }

    #[test]
    fn refresh_tokens_are_accepted_where_tokens_refresh() {
        let c = Config::from_toml(
            "[douyin]\nclient_key = \"k\"\nrefresh_token = \"rft.1\"\n\n[alibaba]\napp_key = \"1\"\napp_secret = \"s\"\nrefresh_token = \"r\"\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(c.get("alibaba", "refresh_token"), Some("r"));
        assert!(!format!("{c:?}").contains("rft.1"));
        let e = Config::from_toml("[taobao]\nrefresh_token = \"r\"\n", "t.toml").unwrap_err();
        assert!(e.to_string().contains("unknown key `refresh_token`"), "{e}");
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Config::from_toml(
            "[taobao]\napp_key = \"k\"\napp_secret = \"s3cr3t\"\nsession = \"sess10n\"\n",
            "t",
        )
        .unwrap();
        let d = format!("{c:?}");
        assert!(
            !d.contains("s3cr3t") && !d.contains("sess10n") && d.contains("\"k\""),
            "{d}"
        );
    }
}
