//! Every shipped API round-trips through the mock gateway: the client builds and signs the
//! call, the mock verifies it with its own code and answers from the response shape, and the
//! answer reads back. On the runtime's dynamic path (the one `opengate call` uses) for the whole
//! catalog, and through the typed methods for every API of the default features.

use opengate_catalog_tests::{
    douyin_code, in_default, mock_and_client, specs, Given, GIVEN, PAGES,
};
use opengate_cli::dynamic;
use opengate_codegen::{example, ir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

fn corpus() -> ir::Corpus {
    opengate_codegen::load(&specs(), "specs")
        .map(|(_, c)| c)
        .unwrap_or_else(|d| panic!("the shipped specs are valid:\n{d}"))
}

/// What the calls of one run share: the Douyin authorization code, and the refresh token
/// Doudian's `token.create` answered, which its `token.refresh` takes.
struct Ctx {
    douyin_code: String,
    doudian_refresh: Mutex<String>,
}

impl Ctx {
    async fn new(mock: &opengate_mock::MockHandle) -> Self {
        Ctx {
            douyin_code: douyin_code(mock).await,
            doudian_refresh: Mutex::new(String::new()),
        }
    }

    fn doudian_refresh_token(&self) -> String {
        self.doudian_refresh.lock().unwrap().clone()
    }

    fn given(&self, platform: &str, api: &str) -> Vec<(&'static str, String)> {
        GIVEN
            .iter()
            .filter(|(p, a, ..)| (*p, *a) == (platform, api))
            .map(|(_, _, wire, v)| {
                let v = match v {
                    Given::Text(t) => (*t).to_owned(),
                    Given::DouyinCode => self.douyin_code.clone(),
                    Given::DoudianRefreshToken => self.doudian_refresh_token(),
                };
                (*wire, v)
            })
            .collect()
    }

    /// Keeps what a later call needs from an answer's data.
    fn keep(&self, platform: &str, api: &str, data: &Value) {
        if (platform, api) == ("doudian", "token.create") {
            if let Some(t) = data.get("refresh_token").and_then(Value::as_str) {
                *self.doudian_refresh.lock().unwrap() = t.to_owned();
            }
        }
    }
}

/// Where the typed data lost what the answer sent, down the whole response shape: `raw` is the
/// answer's data, `typed` the typed data written back to JSON. Every field of the shape must be
/// in the answer (the mock answers from the shape); a value there that is not `null` or `""`
/// (which read as `None`) must be in the typed data too, and an array as long.
fn lost(
    s: &ir::StructIr,
    types: &[ir::StructIr],
    raw: &Value,
    typed: &Value,
    at: &str,
    out: &mut Vec<String>,
) {
    let nested = |ty: &ir::TyIr| match ty {
        ir::TyIr::Struct(name) => types.iter().find(|t| &t.ident == name),
        _ => None,
    };
    for f in &s.fields {
        let path = format!("{at}{}", f.wire);
        let (r, t) = (raw.get(&f.wire), typed.get(&f.wire));
        match (r, t) {
            (None, _) => out.push(format!("{path} (not in the answer)")),
            (Some(Value::Null), _) => {}
            (Some(Value::String(s)), None) if s.is_empty() => {}
            (Some(_), None) => out.push(path),
            (Some(Value::Array(ra)), Some(Value::Array(ta))) => {
                if ra.len() != ta.len() {
                    out.push(format!("{path}: {} of {} elements", ta.len(), ra.len()));
                } else if let ir::TyIr::Vec(inner) = &f.ty {
                    if let (Some(n), Some(r0), Some(t0)) = (nested(inner), ra.first(), ta.first()) {
                        lost(n, types, r0, t0, &format!("{path}[0]."), out);
                    }
                }
            }
            (Some(r), Some(t)) => {
                if let Some(n) = nested(&f.ty) {
                    lost(n, types, r, t, &format!("{path}."), out);
                }
            }
        }
    }
}

fn report(failures: &[String], what: &str) {
    assert!(
        failures.is_empty(),
        "{} of the {what} failed the round trip:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_api_round_trips_through_the_mock() {
    let corpus = corpus();
    let (mock, client) = mock_and_client().await;
    let ctx = Ctx::new(&mock).await;
    let mut sent: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for p in &corpus.platforms {
        for api in &p.apis {
            if PAGES.contains(&(p.name.as_str(), api.name.as_str())) {
                continue;
            }
            let desc = dynamic::desc_of(api);
            let mut values = example::required_params(api);
            for (k, v) in ctx.given(&p.name, &api.name) {
                values.insert(k.into(), v.into());
            }
            // Uploads: a few bytes for every required file.
            let files: Vec<(&'static str, opengate::File)> = api
                .params
                .iter()
                .filter(|f| f.required && f.ty == ir::TyIr::File)
                .map(|f| {
                    let name: &'static str = Box::leak(f.wire.clone().into_boxed_str());
                    (
                        name,
                        opengate::File::new("a.png", "image/png", vec![0x89, b'P', b'N', b'G']),
                    )
                })
                .collect();
            let params = match opengate::to_params(&desc, &Value::Object(values)) {
                Ok(p) => p,
                Err(e) => {
                    failures.push(format!("{} {}: {e}", api.name, api.version));
                    continue;
                }
            };
            match client.execute(&desc, &params, &files).await {
                Ok(raw) => {
                    // The data reads back as what the response shape describes.
                    let data = raw.data();
                    ctx.keep(&p.name, &api.name, data);
                    let absent: Vec<&str> = api
                        .response
                        .fields
                        .iter()
                        .map(|f| f.wire.as_str())
                        .filter(|w| data.get(*w).is_none())
                        .collect();
                    if absent.is_empty() {
                        *sent.entry(&p.name).or_default() += 1;
                    } else {
                        failures.push(format!(
                            "{} {}: data lacks {absent:?}",
                            api.name, api.version
                        ));
                    }
                }
                Err(e) => failures.push(format!("{} {}: {e}", api.name, api.version)),
            }
        }
    }
    report(&failures, "shipped APIs");
    let total: usize = sent.values().sum();
    let shipped: usize = corpus.platforms.iter().map(|p| p.apis.len()).sum();
    assert_eq!(total + PAGES.len(), shipped, "every API was sent: {sent:?}");
}

/// The typed data written back to JSON, and the answer's data it was read from.
type Fut<'a> = Pin<Box<dyn Future<Output = opengate::Result<(Value, Value)>> + 'a>>;
type Call = for<'a> fn(&'a opengate::Client, &'a Ctx) -> Fut<'a>;

/// A typed answer written back to JSON with its wire names, to see what it read, beside the
/// answer's data.
fn answer<T: opengate::ToJson>(
    reply: opengate::Result<opengate::Reply<T>>,
) -> opengate::Result<(Value, Value)> {
    reply.map(|r| (r.data().to_json(), r.raw_data().clone()))
}

mod calls {
    //! Written by the build script: `c<N>` calls one API's typed method, `CALLS` lists them.
    #![allow(unused_variables, clippy::all)]
    use super::{answer, Call, Ctx, Fut};
    use opengate_apis::ClientExt;
    include!(concat!(env!("OUT_DIR"), "/typed_calls.rs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_default_api_round_trips_through_its_typed_method() {
    let corpus = corpus();
    // Every API the default features compile has its call (the hand-written specs are in every
    // build; a page is opened by a browser, not called).
    let mut expected = Vec::new();
    for p in &corpus.platforms {
        let manifest = std::fs::read_to_string(specs().join(&p.name).join("Cargo.toml")).unwrap();
        for api in &p.apis {
            let default = in_default(&manifest, api.group.as_deref());
            if default && !PAGES.contains(&(p.name.as_str(), api.name.as_str())) {
                expected.push((p.name.clone(), api.name.clone(), api.version.clone()));
            }
        }
    }
    let listed: Vec<(String, String, String)> = calls::CALLS
        .iter()
        .map(|(p, n, v, _)| ((*p).into(), (*n).into(), (*v).into()))
        .collect();
    assert_eq!(
        listed, expected,
        "a typed call for every API of the default features"
    );
    assert!(listed.len() > 500, "{} default APIs", listed.len());

    let (mock, client) = mock_and_client().await;
    let ctx = Ctx::new(&mock).await;
    let mut failures = Vec::new();
    for (platform, name, version, call) in &calls::CALLS {
        let api = corpus
            .platforms
            .iter()
            .find(|p| p.name == *platform)
            .and_then(|p| {
                p.apis
                    .iter()
                    .find(|a| a.name == *name && a.version == *version)
            })
            .unwrap();
        match call(&client, &ctx).await {
            Ok((typed, raw)) => {
                ctx.keep(platform, name, &typed);
                let mut absent = Vec::new();
                lost(
                    &api.response,
                    &api.response_types,
                    &raw,
                    &typed,
                    "",
                    &mut absent,
                );
                if !absent.is_empty() {
                    failures.push(format!(
                        "{name} {version}: the typed answer lacks {absent:?}"
                    ));
                }
            }
            Err(e) => failures.push(format!("{name} {version}: {e}")),
        }
    }
    report(&failures, "default APIs' typed methods");
}
