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

use crate::client::{ClientBuilder, RetryPolicy};
use crate::error::{Error, Result};
use crate::platform::{builtin, builtin_for_platform, Builtin, Table, BUILTINS};
use crate::token::{FileStore, Seal, TokenStore};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The keys of the `[client]` table.
pub const CLIENT_KEYS: &[&str] = &[
    "timeout_ms",
    "connect_timeout_ms",
    "max_body",
    "max_attempts",
    "token_file",
    "token_store",
    "token_store_prefix",
    "token_store_key",
    "rate_limit",
    "rate_limit_outage_ms",
];

/// Tables other tools read from the same file; the client leaves them alone.
const OTHER_TABLES: &[&str] = &["mock", "push"];

/// The keys of the `[push]` table: the receiver's settings.
/// The last three are the server's (`opengate::server::ServerLimits::KEYS`).
pub const PUSH_KEYS: &[&str] = &[
    "max_body",
    "dedup",
    "dedup_prefix",
    "handler_timeout_ms",
    "max_connections",
    "header_read_timeout_ms",
    "body_read_timeout_ms",
];

const SECRET_KEYS: &[&str] = &[
    "app_secret",
    "client_secret",
    "session",
    "access_token",
    "refresh_token",
];

/// A loaded configuration: one table of string values per platform.
///
/// A table is a platform's when its name is a built-in protocol's platform (`[taobao]`), when
/// it says `protocol = "taobao-top"`, or when the specs say so
/// ([`Config::client_builder_for`]): `[tmall]` for a `specs/tmall` of protocol `taobao-top`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Config {
    tables: BTreeMap<String, BTreeMap<String, String>>,
    /// Where it came from, for messages.
    pub origin: String,
    /// True once `OPENGATE_*` overrides were applied: tables named later by the specs get them too.
    env: bool,
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

    /// Parses TOML text (no environment overrides), read by `opengate-config` as the mock reads it.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config> {
        let tables = opengate_config::Tables::parse(text, origin).map_err(Error::Config)?;
        let mut cfg = Config {
            tables: BTreeMap::new(),
            origin: origin.to_owned(),
            env: false,
        };
        for (name, kv) in tables.into_values() {
            let explicit = kv
                .get("protocol")
                .map(|p| Config::protocol(origin, &name, p))
                .transpose()?;
            let known = explicit.or_else(|| builtin_for_platform(&name));
            for k in kv.keys() {
                if name == "client" && !CLIENT_KEYS.contains(&k.as_str()) {
                    return Err(Error::Config(format!(
                        "{origin}: unknown key `{k}` in [client], expected one of: {}",
                        CLIENT_KEYS.join(", ")
                    )));
                }
                if let Some(b) = known {
                    b.check(origin, &name, k)?;
                }
            }
            cfg.tables.insert(name, kv);
        }
        Ok(cfg)
    }

    /// The built-in protocol named `protocol` in `[table]`.
    fn protocol(origin: &str, table: &str, protocol: &str) -> Result<&'static Builtin> {
        builtin(protocol).ok_or_else(|| {
            let known: Vec<&str> = BUILTINS.iter().map(|b| b.protocol).collect();
            Error::Config(format!(
                "{origin}: [{table}] protocol `{protocol}` is not built in (built in: {}); register a protocol of your own with ClientBuilder::platform",
                known.join(", ")
            ))
        })
    }

    /// Applies `OPENGATE_<TABLE>_<KEY>` overrides for every key of `[client]`, of the built-in
    /// platforms and of the tables that name their protocol.
    pub fn apply_env(&mut self) {
        self.env = true;
        self.apply_env_to("client", CLIENT_KEYS);
        for b in BUILTINS {
            self.apply_env_to(b.platform, b.keys);
        }
        let named: Vec<(String, &'static Builtin)> = self
            .tables
            .iter()
            .filter_map(|(name, t)| Some((name.clone(), builtin(t.get("protocol")?)?)))
            .collect();
        for (name, b) in named {
            self.apply_env_to(&name, b.keys);
        }
    }

    fn apply_env_to(&mut self, table: &str, keys: &[&str]) {
        let all = keys.iter().chain(if table == "client" {
            &[][..]
        } else {
            crate::platform::COMMON_KEYS
        });
        for key in all {
            let var = format!(
                "OPENGATE_{}_{}",
                table.to_ascii_uppercase(),
                key.to_ascii_uppercase()
            );
            if let Ok(v) = std::env::var(&var) {
                self.set(table, key, v);
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

    /// A client builder with the `[client]` settings and every platform table of a built-in
    /// protocol registered: those named after a built-in platform (`[taobao]`) and those that
    /// name their protocol (`protocol = "taobao-top"`). Other tables are left to
    /// [`ClientBuilder::platform`].
    pub fn client_builder(&self) -> Result<ClientBuilder> {
        self.client_builder_for(&[])
    }

    /// [`Config::client_builder`], knowing the protocol of each platform of the specs:
    /// `(platform, protocol)` pairs, as `opengate_apis::PLATFORMS` lists them. A platform folder
    /// of a built-in protocol (`specs/tmall`, `protocol: taobao-top`) is then configured by its
    /// table (`[tmall]`) with nothing else to write.
    pub fn client_builder_for(&self, platforms: &[(&str, &str)]) -> Result<ClientBuilder> {
        let mut cfg = self.clone();
        if cfg.env {
            for (name, protocol) in platforms {
                if let Some(b) = builtin(protocol) {
                    cfg.apply_env_to(name, b.keys);
                }
            }
        }
        let mut b = cfg.client_settings()?;
        for (name, values) in &cfg.tables {
            if name == "client" || OTHER_TABLES.contains(&name.as_str()) {
                continue;
            }
            let from_specs = platforms.iter().find(|(p, _)| p == name).map(|(_, p)| *p);
            let known = match values.get("protocol") {
                Some(p) => Some(Config::protocol(&cfg.origin, name, p)?),
                None => from_specs.map_or_else(|| builtin_for_platform(name), builtin),
            };
            // A table of no built-in protocol belongs to a protocol the user registers.
            let Some(known) = known else { continue };
            for key in values.keys() {
                known.check(&cfg.origin, name, key)?;
            }
            let (protocol, options) = known.configure(&Table { name, values })?;
            b = b.platform(name.as_str(), protocol, options);
        }
        Ok(b)
    }

    /// The push rules of platform `platform`, from its table's credentials (`platforms` as for
    /// [`Config::client_builder_for`]).
    pub fn push_rules_for(
        &self,
        platform: &str,
        platforms: &[(&str, &str)],
    ) -> Result<Arc<dyn crate::push::PushRules>> {
        let mut cfg = self.clone();
        let values = self.tables.get(platform);
        let from_specs = platforms
            .iter()
            .find(|(p, _)| *p == platform)
            .map(|(_, p)| *p);
        let known = match values.and_then(|t| t.get("protocol")) {
            Some(p) => Some(Config::protocol(&self.origin, platform, p)?),
            None => from_specs.map_or_else(|| builtin_for_platform(platform), builtin),
        }
        .ok_or_else(|| {
            Error::Config(format!(
                "{}: platform `{platform}` is of no built-in protocol",
                self.origin
            ))
        })?;
        if cfg.env {
            cfg.apply_env_to(platform, known.keys);
        }
        let empty = BTreeMap::new();
        let values = cfg.tables.get(platform).unwrap_or(&empty);
        known.push_rules(
            &self.origin,
            &Table {
                name: platform,
                values,
            },
        )
    }

    /// [`Config::push_rules_for`] of a platform the runtime knows by name (`[youzan]`) or by
    /// its table's `protocol` key.
    pub fn push_rules(&self, platform: &str) -> Result<Arc<dyn crate::push::PushRules>> {
        self.push_rules_for(platform, &[])
    }

    /// A push receiver of `platform` with the `[push]` settings: `max_body` (bytes),
    /// `handler_timeout_ms`, `dedup` (`memory`, the default, or a `redis://` URL shared by a
    /// fleet) and `dedup_prefix` (default `opengate:push:`).
    pub fn push_receiver_for(
        &self,
        platform: &str,
        platforms: &[(&str, &str)],
    ) -> Result<crate::push::ReceiverBuilder> {
        for key in self.tables.get("push").into_iter().flat_map(|t| t.keys()) {
            if !PUSH_KEYS.contains(&key.as_str()) {
                return Err(Error::Config(format!(
                    "{}: unknown key `{key}` in [push], expected one of: {}",
                    self.origin,
                    PUSH_KEYS.join(", ")
                )));
            }
        }
        let mut b = crate::push::Receiver::builder(self.push_rules_for(platform, platforms)?);
        let number = |key: &str| -> Result<Option<u64>> {
            self.get("push", key)
                .map(|v| {
                    v.parse::<u64>().map_err(|_| {
                        Error::Config(format!("[push] {key} must be a whole number, got `{v}`"))
                    })
                })
                .transpose()
        };
        if let Some(n) = number("max_body")? {
            b = b.max_body(usize::try_from(n).unwrap_or(usize::MAX));
        }
        if let Some(ms) = number("handler_timeout_ms")? {
            b = b.handler_timeout(Duration::from_millis(ms));
        }
        match self.get("push", "dedup") {
            None | Some("memory") => {}
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                b = b.dedup(self.redis_dedup(url)?);
            }
            Some(other) => {
                return Err(Error::Config(format!(
                    "[push] dedup must be `memory` or a redis:// URL, got `{other}`"
                )))
            }
        }
        Ok(b)
    }

    /// The `[push]` table's limits of the server a receiver runs in (`max_connections`,
    /// `header_read_timeout_ms`, `body_read_timeout_ms`).
    #[cfg(feature = "server")]
    pub fn push_server_limits(&self) -> Result<crate::server::ServerLimits> {
        crate::server::ServerLimits::from_keys("push", |key| self.get("push", key))
            .map_err(|e| Error::Config(format!("{}: {e}", self.origin)))
    }

    #[cfg(feature = "redis")]
    fn redis_dedup(&self, url: &str) -> Result<Arc<dyn crate::push::Dedup>> {
        let timeout = self.ms("timeout_ms")?.unwrap_or(Duration::from_secs(5));
        let prefix = self.get("push", "dedup_prefix").unwrap_or("opengate:push:");
        let redis = crate::redis_conn::RedisConnection::new(url, timeout)?;
        Ok(Arc::new(crate::push::RedisDedup::new(redis, prefix)))
    }

    #[cfg(not(feature = "redis"))]
    fn redis_dedup(&self, _url: &str) -> Result<Arc<dyn crate::push::Dedup>> {
        Err(Error::Config(
            "[push] dedup is a Redis URL, and this build has no Redis support: enable the `redis` feature of opengate-runtime".into(),
        ))
    }

    fn client_settings(&self) -> Result<ClientBuilder> {
        let mut b = ClientBuilder::default();
        if let Some(t) = self.ms("timeout_ms")? {
            b = b.timeout(t);
        }
        if let Some(t) = self.ms("connect_timeout_ms")? {
            b = b.connect_timeout(t);
        }
        if let Some(n) = self.get("client", "max_body") {
            let max_body = n.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                Error::Config(format!(
                    "[client] max_body must be a whole number of bytes >= 1, got `{n}`"
                ))
            })?;
            b = b.max_body(max_body);
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
        if let Some(store) = self.token_store()? {
            b = b.token_store(store);
        }
        if let Some(t) = self.ms("rate_limit_outage_ms")? {
            b = b.rate_limit_outage(t);
        }
        match self.get("client", "rate_limit") {
            None | Some("local") => {}
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                b = b.shared_rate_limit(self.redis_limit(url)?);
            }
            Some(other) => {
                return Err(Error::Config(format!(
                    "[client] rate_limit must be `local` or a redis:// URL, got `{other}`"
                )))
            }
        }
        Ok(b)
    }

    #[cfg(feature = "redis")]
    fn redis_limit(&self, url: &str) -> Result<Arc<dyn crate::limit::SharedLimit>> {
        let (prefix, timeout) = self.redis_settings()?;
        Ok(Arc::new(crate::limit::RedisLimit::new(
            url, prefix, timeout,
        )?))
    }

    /// The key prefix and the command timeout of the Redis store and limiter.
    #[cfg(feature = "redis")]
    fn redis_settings(&self) -> Result<(&str, Duration)> {
        let prefix = self
            .get("client", "token_store_prefix")
            .unwrap_or("opengate:");
        let timeout = self.ms("timeout_ms")?.unwrap_or(Duration::from_secs(5));
        Ok((prefix, timeout))
    }

    #[cfg(not(feature = "redis"))]
    fn redis_limit(&self, _url: &str) -> Result<Arc<dyn crate::limit::SharedLimit>> {
        Err(Error::Config(
            "[client] rate_limit is a Redis URL, and this build has no Redis support: enable the `redis` feature of opengate-runtime".into(),
        ))
    }

    /// `[client] token_store`: `memory` (the default), `redis://...`, or a file path
    /// (`token_file` is its older name), sealed with `token_store_key` when set.
    fn token_store(&self) -> Result<Option<Arc<dyn TokenStore>>> {
        let place = match (
            self.get("client", "token_store"),
            self.get("client", "token_file"),
        ) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "[client] sets both token_store and token_file (its older name): keep one"
                        .into(),
                ))
            }
            (Some(place), None) | (None, Some(place)) => place,
            (None, None) => return Ok(None),
        };
        let seal = match self.get("client", "token_store_key") {
            Some(key) => Seal::from_hex(key).map_err(|_| {
                Error::Config(
                    "[client] token_store_key must be 64 hex digits (a 32-byte key)".into(),
                )
            })?,
            None => Seal::None,
        };
        if place == "memory" {
            return Ok(None);
        }
        if place.starts_with("redis://") || place.starts_with("rediss://") {
            return self.redis_store(place, seal);
        }
        Ok(Some(Arc::new(FileStore::sealed(place, seal))))
    }

    #[cfg(feature = "redis")]
    fn redis_store(&self, url: &str, seal: Seal) -> Result<Option<Arc<dyn TokenStore>>> {
        let (prefix, timeout) = self.redis_settings()?;
        Ok(Some(Arc::new(crate::token::RedisStore::new(
            url, prefix, seal, timeout,
        )?)))
    }

    #[cfg(not(feature = "redis"))]
    fn redis_store(&self, _url: &str, _seal: Seal) -> Result<Option<Arc<dyn TokenStore>>> {
        Err(Error::Config(
            "[client] token_store is a Redis URL, and this build has no Redis support: enable the `redis` feature of opengate-runtime".into(),
        ))
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
    fn a_table_finds_its_protocol_by_its_name_its_key_or_the_specs() {
        let tmall = "[tmall]\napp_key = \"k\"\napp_secret = \"s\"\nsession = \"x\"\n";
        let platforms = |c: &Config, specs: &[(&str, &str)]| {
            let client = c.client_builder_for(specs).unwrap().build().unwrap();
            client.platforms().join(" ")
        };
        // Unknown to the config alone: left for a protocol the user registers.
        let c = Config::from_toml(tmall, "t").unwrap();
        assert_eq!(platforms(&c, &[]), "");
        // Named by the specs.
        assert_eq!(platforms(&c, &[("tmall", "taobao-top")]), "tmall");
        // Named by the table.
        let c = Config::from_toml(&format!("{tmall}protocol = \"taobao-top\"\n"), "t").unwrap();
        assert_eq!(platforms(&c, &[]), "tmall");

        // The protocol's keys are checked, with the table's name in the message.
        let c = Config::from_toml("[tmall]\napp_key = \"k\"\ncliend_id = \"x\"\n", "t").unwrap();
        let e = c
            .client_builder_for(&[("tmall", "taobao-top")])
            .unwrap_err();
        assert!(
            e.to_string().contains("unknown key `cliend_id` in [tmall]"),
            "{e}"
        );
        let c = Config::from_toml("[tmall]\napp_key = \"k\"\n", "t").unwrap();
        let e = c
            .client_builder_for(&[("tmall", "taobao-top")])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("[tmall] needs `app_secret` (or OPENGATE_TMALL_APP_SECRET)"),
            "{e}"
        );
        let e = Config::from_toml("[jd]\nprotocol = \"jd-router\"\n", "t").unwrap_err();
        assert!(
            e.to_string()
                .contains("protocol `jd-router` is not built in")
                && e.to_string().contains("taobao-top"),
            "{e}"
        );
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
