//! What a built-in platform gives the registry: its protocol's name, its config table's keys,
//! how that table becomes a protocol, token providers and push rules, and its limits.

use crate::client::PlatformOptions;
use crate::desc::ApiDesc;
use crate::error::{Error, Result};
use crate::protocol::Protocol;
use crate::push::PushRules;
use crate::token::{AuthorizationFlow, StaticToken, TokenProvider};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Makes a platform's push rules from its config table.
pub(crate) type PushFn = fn(&Table<'_>) -> Result<Arc<dyn PushRules>>;

/// A protocol opengate implements.
pub struct Builtin {
    /// Its name in a `platform.yaml` (`protocol: taobao-top`).
    pub protocol: &'static str,
    /// The platform of this protocol that the shipped specs define: its config table needs no
    /// `protocol` key.
    pub platform: &'static str,
    /// The keys of its config table besides [`COMMON_KEYS`].
    pub keys: &'static [&'static str],
    pub(crate) configure: fn(&Table<'_>) -> Result<Configured>,
    /// Its push rules from its table, for a platform that pushes over HTTP.
    pub(crate) push: Option<PushFn>,
    /// The path template of an API's calls, the one its protocol builds them from.
    pub(crate) path: fn(&ApiDesc) -> Cow<'_, str>,
    /// The longest time window its incremental list APIs take, where its docs say.
    pub max_window: Option<std::time::Duration>,
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builtin")
            .field("protocol", &self.protocol)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

/// The keys every platform table accepts.
pub const COMMON_KEYS: &[&str] = &["protocol", "base_url", "qps", "api_qps", "shops"];

/// What a platform's own keys give the client; the common keys are read here, once.
pub(crate) struct Configured {
    pub protocol: Arc<dyn Protocol>,
    pub user_token: Option<Arc<dyn TokenProvider>>,
    pub client_token: Option<Arc<dyn TokenProvider>>,
    /// The app's identity in token keys (never a secret).
    pub app_id: String,
    /// A tool app's authorization-code flow, which also refreshes its shops' tokens.
    pub flow: Option<Arc<dyn AuthorizationFlow>>,
}

impl Builtin {
    /// The path a call of `api` goes to (after the host), with the API's name, version and
    /// namespace filled in and `{app_key}` and `in: path` params left as placeholders: what
    /// `opengate openapi` exports, so that a document can rebuild the real URL.
    pub fn path_of(&self, api: &ApiDesc) -> String {
        let facts = [
            ("{name}", &*api.name),
            ("{version}", &*api.version),
            ("{namespace}", &*api.namespace),
        ];
        facts
            .iter()
            .fold((self.path)(api).into_owned(), |path, (k, v)| {
                path.replace(k, v)
            })
    }

    /// Every key its table accepts.
    pub fn accepts(&self, key: &str) -> bool {
        COMMON_KEYS.contains(&key) || self.keys.contains(&key)
    }

    /// An unknown key in a table of this protocol, as an error naming the table.
    pub(crate) fn check(&self, origin: &str, table: &str, key: &str) -> Result<()> {
        if self.accepts(key) {
            return Ok(());
        }
        let keys: Vec<&str> = self.keys.iter().chain(COMMON_KEYS).copied().collect();
        Err(Error::Config(format!(
            "{origin}: unknown key `{key}` in [{table}], expected one of: {}",
            keys.join(", ")
        )))
    }

    /// The push rules of platform `table.name` from its config table.
    pub(crate) fn push_rules(&self, origin: &str, table: &Table<'_>) -> Result<Arc<dyn PushRules>> {
        for key in table.values.keys() {
            self.check(origin, table.name, key)?;
        }
        match self.push {
            Some(rules) => rules(table),
            None => Err(Error::Config(format!(
                "[{}] protocol `{}` has no HTTP push; its messages come over a channel of its own (see opengate::platform)",
                table.name, self.protocol
            ))),
        }
    }

    /// The protocol and options of platform `table.name` from its config table.
    pub(crate) fn configure(
        &self,
        table: &Table<'_>,
    ) -> Result<(Arc<dyn Protocol>, PlatformOptions)> {
        let c = (self.configure)(table)?;
        let qps = table
            .get("qps")
            .map(|q| {
                q.parse::<f64>().map_err(|_| {
                    Error::Config(format!("[{}] qps must be a number, got `{q}`", table.name))
                })
            })
            .transpose()?;
        // `api_qps = "taobao.trade.fullinfo.get=10, ..."`: limits of single APIs.
        let mut api_qps = Vec::new();
        for item in table.get("api_qps").into_iter().flat_map(|s| s.split(',')) {
            let item = item.trim();
            let parsed = item
                .split_once('=')
                .and_then(|(api, q)| Some((api.trim(), q.trim().parse::<f64>().ok()?)))
                .filter(|(api, q)| !api.is_empty() && *q > 0.0 && q.is_finite());
            match parsed {
                Some((api, q)) => api_qps.push((api.to_owned(), q)),
                None if item.is_empty() => {}
                None => {
                    return Err(Error::Config(format!(
                        "[{}] api_qps: `{item}` is not `<api name>=<positive qps>`",
                        table.name
                    )))
                }
            }
        }
        Ok((
            c.protocol,
            PlatformOptions {
                api_qps,
                base_url: table.get("base_url").map(str::to_owned),
                user_token: c.user_token,
                client_token: c.client_token,
                app_id: c.app_id,
                flow: c.flow,
                qps,
                // The app's other shops, for `Client::shops`: ids, comma-separated.
                shops: table
                    .get("shops")
                    .into_iter()
                    .flat_map(|s| s.split(','))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
        ))
    }
}

/// One platform's config table, as its configuration reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table<'a> {
    pub name: &'a str,
    pub values: &'a BTreeMap<String, String>,
}

impl<'a> Table<'a> {
    /// A key's value; an empty value counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn need(&self, key: &str) -> Result<&'a str> {
        self.get(key).ok_or_else(|| {
            Error::Config(format!(
                "[{}] needs `{key}` (or OPENGATE_{}_{})",
                self.name,
                self.name.to_ascii_uppercase(),
                key.to_ascii_uppercase()
            ))
        })
    }

    /// The value of `key` read by `parse`, or an error naming what it accepts.
    pub fn parsed<T>(
        &self,
        key: &str,
        default: &str,
        accepted: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<T> {
        let text = self.get(key).unwrap_or(default);
        parse(text).ok_or_else(|| {
            Error::Config(format!(
                "[{}] {key} must be {accepted}, got `{text}`",
                self.name
            ))
        })
    }

    /// A configured token that cannot be refreshed.
    pub fn static_token(&self, key: &str) -> Option<Arc<dyn TokenProvider>> {
        self.get(key)
            .map(|t| Arc::new(StaticToken::new(self.name, t)) as Arc<dyn TokenProvider>)
    }
}
