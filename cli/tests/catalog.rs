//! The shipped catalog: its size per platform, and every API in it round-tripping through the
//! mock gateway on the runtime's dynamic path (the one `opengate call` uses): the client builds
//! and signs the call, the mock verifies it with its own code and answers from the response
//! shape, and the answer reads back.

use opengate_cli::{dynamic, example};
use opengate_codegen::ir;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

const CONFIG: &str = r#"
[youzan]
client_id = "yz-client"
client_secret = "yz-secret"
grant_id = "42587152"

[taobao]
app_key = "12345678"
app_secret = "tb-secret"
sign_method = "hmac-sha256"
session = "tb-session"

[alibaba]
app_key = "1234567"
app_secret = "aop-secret"
access_token = "aop-token"

[douyin]
client_key = "dy-key"
client_secret = "dy-secret"
access_token = "act.dy-user"
refresh_token = "rft.dy-refresh"

[doudian]
app_key = "7000000000000000001"
app_secret = "dd-secret"
sign_method = "hmac-sha256"
shop_id = "100200"
"#;

fn corpus() -> ir::Corpus {
    opengate_codegen::load(&specs(), "specs")
        .map(|(_, c)| c)
        .unwrap_or_else(|d| panic!("the shipped specs are valid:\n{d}"))
}

#[test]
fn the_catalog_has_the_promised_size() {
    let corpus = corpus();
    let count = |name: &str| {
        corpus
            .platforms
            .iter()
            .find(|p| p.name == name)
            .map_or(0, |p| p.apis.len())
    };
    for (platform, at_least) in [
        ("taobao", 5000),
        ("youzan", 400),
        ("doudian", 190),
        ("douyin", 450),
        ("alibaba", 300),
    ] {
        assert!(
            count(platform) >= at_least,
            "{platform}: {} APIs, at least {at_least} expected",
            count(platform)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_api_round_trips_through_the_mock() {
    let corpus = corpus();
    let gw = opengate_mock::MockGateway::new(&specs(), CONFIG).expect("mock loads");
    let mock = gw.start(([127, 0, 0, 1], 0).into()).await.expect("bind");
    let mut config = opengate::Config::from_toml(CONFIG, "test").expect("config");
    for p in ["youzan", "taobao", "alibaba", "douyin", "doudian"] {
        config.set(p, "base_url", mock.base_url());
    }
    let client = config
        .client_builder()
        .expect("builder")
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut sent: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    // Doudian's token endpoints take the configured shop and a refresh token the mock issued.
    let mut refresh_token = None;
    for p in &corpus.platforms {
        for api in &p.apis {
            let desc = dynamic::desc_of(api);
            let mut values = example::required_params(api);
            // The token endpoints take the configured credentials, not example values.
            let fixed: &[(&str, &str)] = match (p.name.as_str(), api.name.as_str()) {
                ("doudian", "token.create") => &[("shop_id", "100200")],
                ("youzan", "youzan.auth.token") => &[
                    ("client_id", "yz-client"),
                    ("client_secret", "yz-secret"),
                    ("authorize_type", "silent"),
                    ("grant_id", "42587152"),
                ],
                ("douyin", "oauth.client_token") => &[
                    ("client_key", "dy-key"),
                    ("client_secret", "dy-secret"),
                    ("grant_type", "client_credential"),
                ],
                ("douyin", "oauth.refresh_token") => &[
                    ("client_key", "dy-key"),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "rft.dy-refresh"),
                ],
                _ => &[],
            };
            for (k, v) in fixed {
                values.insert((*k).into(), (*v).into());
            }
            if (p.name.as_str(), api.name.as_str()) == ("doudian", "token.refresh") {
                values.insert(
                    "refresh_token".into(),
                    refresh_token.take().unwrap_or_default(),
                );
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
            let params: Vec<opengate::protocol::Param> = values
                .into_iter()
                .map(|(name, value)| opengate::protocol::Param {
                    location: desc.location_of(&name),
                    name,
                    value,
                })
                .collect();
            match client.execute(&desc, &params, &files).await {
                Ok(raw) => {
                    // The data reads back as what the response shape describes.
                    let data = raw.data();
                    if api.name == "token.create" {
                        refresh_token = data.get("refresh_token").cloned();
                    }
                    let missing: Vec<&str> = api
                        .response
                        .fields
                        .iter()
                        .map(|f| f.wire.as_str())
                        .filter(|w| data.get(*w).is_none())
                        .collect();
                    if missing.is_empty() {
                        *sent.entry(&p.name).or_default() += 1;
                    } else {
                        failures.push(format!(
                            "{} {}: data lacks {missing:?}",
                            api.name, api.version
                        ));
                    }
                }
                Err(e) => failures.push(format!("{} {}: {e}", api.name, api.version)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the shipped APIs failed the round trip:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let total: usize = sent.values().sum();
    let shipped: usize = corpus.platforms.iter().map(|p| p.apis.len()).sum();
    assert_eq!(total, shipped, "every API was sent: {sent:?}");
}

/// The catalogs the shipped specs were imported from, when this checkout has them beside it
/// (`../shared/catalogs`); tests that need them say so and pass without.
fn catalogs() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/catalogs");
    dir.join("taobao-top").is_dir().then_some(dir)
}

/// (platform, format, catalog folder, `--index`), as `scripts/import-catalogs.sh` runs them.
const IMPORTS: &[(&str, &str, &str, Option<&str>)] = &[
    ("taobao", "top-metadata", "taobao-top", None),
    ("youzan", "youzan-docs", "youzan", Some("youzan-index/apis")),
    ("doudian", "doudian-go-sdk", "doudian", None),
    ("douyin", "openapi", "douyin", None),
    ("alibaba", "aop-php-sdk", "alibaba-1688", None),
];

fn tree(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>, root: &Path) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            tree(&p, out, root);
        } else {
            out.push((
                p.strip_prefix(root).unwrap().to_owned(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn re_importing_the_catalogs_changes_no_shipped_spec() {
    let Some(catalogs) = catalogs() else {
        eprintln!("skipped: no ../shared/catalogs beside this checkout");
        return;
    };
    for (platform, format, folder, index) in IMPORTS {
        let scratch = tempfile::tempdir().unwrap();
        let out = scratch.path().join(platform);
        copy_tree(&specs().join(platform), &out);
        let mut before = Vec::new();
        tree(&out, &mut before, &out);
        before.sort();
        let options = opengate_import::Options {
            platform: Some((*platform).to_owned()),
            index: index.map(|i| catalogs.join(i)),
            out: Some(out.clone()),
        };
        let importer = opengate_import::importer(format, &options).unwrap();
        let read = importer.read(&catalogs.join(folder));
        let report =
            opengate_import::write::write_specs(&out, importer.format(), folder, read.apis);
        let manifest = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
        let updated =
            opengate_import::features::update(&manifest, &out, importer.default_groups()).unwrap();
        assert_eq!(
            updated, manifest,
            "{platform}: the features follow the folders"
        );
        let mut after = Vec::new();
        tree(&out, &mut after, &out);
        after.sort();
        assert_eq!(
            report.written, 0,
            "{platform}: a re-import rewrote {} specs",
            report.written
        );
        assert_eq!(
            report.removed, 0,
            "{platform}: a re-import removed {} specs",
            report.removed
        );
        assert!(
            before == after,
            "{platform}: the re-import changed the shipped specs"
        );
    }
}

#[test]
fn each_platform_crate_has_a_feature_per_group_folder() {
    for (platform, ..) in IMPORTS {
        let dir = specs().join(platform);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        opengate_import::features::check_manifest(&manifest, &dir)
            .unwrap_or_else(|e| panic!("{platform}: {e}"));
        // The registry takes at most 300 features per crate.
        let n = opengate_codegen::build::declared_features(&dir.join("Cargo.toml")).len();
        assert!(n <= 300, "{platform}: {n} features");
    }
}
