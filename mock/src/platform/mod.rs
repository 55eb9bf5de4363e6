//! One folder per protocol: how the mock routes a request to an API of that protocol and
//! verifies it as the platform does (its own signature code in `<p>/sign.rs`), its push
//! envelopes and its channels (Taobao's TMC). A protocol serves every platform folder that names it
//! (`specs/tmall` with `protocol: taobao-top` is served at `/router/rest` with `[tmall]`'s keys).

mod alibaba;
mod doudian;
mod douyin;
mod taobao;
mod youzan;

/// Taobao's message service (TMC) on a WebSocket of its own.
pub use taobao::tmc;

use crate::http::Request;
use crate::push::{Envelope, Message};
use crate::{MockGateway, Outcome};
use opengate_codegen::ir::{self, Location};
use serde_json::Value;
use std::collections::HashMap;

/// A protocol's side of the mock.
pub(crate) trait Gateway: Sync {
    /// The `protocol:` of the platform folders it serves.
    fn protocol(&self) -> &'static str;
    /// The answer to a request on one of this protocol's paths, with the platform it went to;
    /// `None` when the path is not this protocol's.
    fn serve(&self, mock: &MockGateway, req: &Request) -> Option<(String, Outcome)>;
    /// The platform's flow-control answer (HTTP 200).
    fn rate_limited(&self) -> Value;
    /// The `code` of a successful answer, where the data has one.
    fn success_code(&self) -> i64 {
        0
    }
    /// A push message's envelope as the platform posts it to an app, signed with `platform`'s
    /// secret; an error says why this protocol cannot push it.
    fn envelope(
        &self,
        mock: &MockGateway,
        platform: &str,
        message: &Message<'_>,
    ) -> Result<Envelope, String>;
}

/// In routing order: Douyin's explicit paths come before Youzan's `/api/...`, as some of them
/// (`/api/apps/...`) look like Youzan's; Doudian's `/{method path}` takes what is left.
pub(crate) const GATEWAYS: &[&dyn Gateway] = &[
    &taobao::Top,
    &alibaba::Aop,
    &douyin::Douyin,
    &youzan::Youzan,
    &doudian::Doudian,
];

/// The `code` of a successful answer of `protocol` ([`Gateway::success_code`]).
pub(crate) fn success_code(protocol: &str) -> i64 {
    GATEWAYS
        .iter()
        .find(|g| g.protocol() == protocol)
        .map_or(0, |g| g.success_code())
}

/// One API of the specs and the platform folder it came from.
#[derive(Debug)]
pub(crate) struct Entry {
    pub platform: String,
    pub protocol: String,
    pub api: ir::Api,
}

/// The APIs of a specs folder, found by name or path in constant time.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    entries: Vec<Entry>,
    by_name: HashMap<String, Vec<usize>>,
    by_path: HashMap<String, Vec<usize>>,
    /// (platform, protocol) of every platform folder.
    platforms: Vec<(String, String)>,
}

impl Catalog {
    pub fn new(corpus: opengate_codegen::ir::Corpus) -> Self {
        let mut c = Catalog::default();
        for p in corpus.platforms {
            c.platforms.push((p.name.clone(), p.protocol.clone()));
            for api in p.apis {
                let i = c.entries.len();
                c.by_name.entry(api.name.clone()).or_default().push(i);
                if !api.path.is_empty() {
                    c.by_path.entry(api.path.clone()).or_default().push(i);
                }
                c.entries.push(Entry {
                    platform: p.name.clone(),
                    protocol: p.protocol.clone(),
                    api,
                });
            }
        }
        c
    }

    /// The APIs of this protocol named `name` (one per version).
    pub fn named<'a>(&'a self, protocol: &'a str, name: &str) -> impl Iterator<Item = &'a Entry> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
            .filter(move |e| e.protocol == protocol)
    }

    /// The API of this protocol whose spec gives it this path.
    pub fn at_path(&self, protocol: &str, path: &str) -> Option<&Entry> {
        self.by_path
            .get(path)?
            .iter()
            .map(|&i| &self.entries[i])
            .find(|e| e.protocol == protocol)
    }

    /// Every platform folder and its protocol.
    pub fn folders(&self) -> impl Iterator<Item = (&str, &str)> {
        self.platforms.iter().map(|(n, p)| (n.as_str(), p.as_str()))
    }

    /// The platform folders of a protocol.
    pub fn platforms<'a>(&'a self, protocol: &'a str) -> impl Iterator<Item = &'a str> {
        self.platforms
            .iter()
            .filter(move |(_, p)| p == protocol)
            .map(|(n, _)| n.as_str())
    }
}

impl crate::MockHandle {
    /// Starts the channels of the platforms whose apps the config has (Taobao's TMC for a
    /// `[taobao]` app), each on a port of its own: each one's name and URL.
    pub async fn start_channels(&self) -> std::io::Result<Vec<(&'static str, String)>> {
        let mut started = Vec::new();
        if self.has_app("taobao") {
            started.push(("tmc", self.start_tmc().await?.url()));
        }
        Ok(started)
    }
}

impl MockGateway {
    /// The platform of `protocol` whose config has `key = value` (the app a token request
    /// names), else its first platform folder, else the protocol's name.
    pub(crate) fn platform_by(&self, protocol: &str, key: &str, value: Option<&str>) -> String {
        let mut names = self.catalog.platforms(protocol).peekable();
        let first = names.peek().copied();
        names
            .find(|p| value.is_some() && self.get(p, key) == value)
            .or(first)
            .unwrap_or(protocol)
            .to_owned()
    }
}

/// The first required param (not a file) the predicate says is absent.
/// A JSON param as text: a string as it is, a number or a boolean written out.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

pub(crate) fn missing_param(
    api: &ir::Api,
    present: impl Fn(&ir::FieldIr) -> bool,
) -> Option<String> {
    api.params
        .iter()
        .filter(|f| f.required && f.location != Location::Path && f.location != Location::Header)
        .find(|f| !present(f))
        .map(|f| f.wire.clone())
}

pub(crate) fn query_json(req: &Request) -> Value {
    Value::Object(
        crate::http::parse_form(req.query.as_bytes())
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// `yyyy-MM-dd HH:mm:ss` read as Beijing time (UTC+8), in Unix seconds.
pub(crate) fn beijing_wall_secs(ts: &str) -> Option<u64> {
    chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| (t.and_utc().timestamp() - 8 * 3600).max(0) as u64)
}

/// An upload's multipart body as the params it carries: each non-empty part by name, a file part
/// standing for its file. `None` when the body is not multipart of that boundary.
pub(crate) fn multipart_params(content_type: &str, body: &[u8]) -> Option<Value> {
    let parts = crate::http::parse_multipart(content_type, body)?;
    Some(Value::Object(
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
    ))
}
