//! The shipped catalog: its size per platform, its features, re-importing it, and sampled APIs
//! against their source. Its round trips through the mock are in `catalog-tests/`.

use opengate_codegen::ir;
use std::path::{Path, PathBuf};

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

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
        let changed = opengate_import::features::write(&out, importer.default_groups()).unwrap();
        assert_eq!(
            changed, 0,
            "{platform}: the re-import rewrote {changed} manifests"
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
        opengate_import::features::check(&dir).unwrap_or_else(|e| panic!("{platform}: {e}"));
        // The registry takes at most 300 features per crate.
        let n = opengate_codegen::build::declared_features(&dir.join("Cargo.toml")).len();
        assert!(n <= 300, "{platform}: {n} features");
    }
}

/// What a catalog says of one API, read here without the importers: params with their
/// required flags, and the response's top-level field names.
type Facts = (Vec<(String, bool)>, Vec<String>);

fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn names_in_go_struct(src: &str, strukt: &str) -> Vec<String> {
    let start = src
        .find(&format!("type {strukt} struct {{"))
        .unwrap_or_else(|| panic!("struct {strukt}"));
    let body = &src[start..];
    let body = &body[..body.find("\n}").unwrap()];
    let mut names: Vec<String> = Vec::new();
    for tag in body.split("json:\"").skip(1) {
        let name = tag.split(['"', ',']).next().unwrap().to_owned();
        if name != "-" && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The source's facts for an imported API; `None` for facts the source does not give.
fn source_facts(catalogs: &Path, platform: &str, api: &ir::Api) -> Facts {
    let source = api.source.as_ref().expect("an imported spec");
    let file = source.file.as_deref().unwrap();
    let known_type = |t: &str| {
        let t = t.trim();
        !t.is_empty() && !t.contains("[][]") && !t.starts_with("null")
    };
    match platform {
        "taobao" => {
            let doc = json_file(&catalogs.join("taobao-top").join(file));
            let list = |k: &str| doc[k].as_array().cloned().unwrap_or_default();
            let mut params: Vec<(String, bool)> = Vec::new();
            for p in list("requestParams") {
                let name = p["name"].as_str().unwrap().to_owned();
                if known_type(p["type"].as_str().unwrap_or(""))
                    && !params.iter().any(|(n, _)| *n == name)
                {
                    params.push((name, p["required"] == true));
                }
            }
            let response = list("responseParams")
                .iter()
                .filter(|p| known_type(p["type"].as_str().unwrap_or("")))
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .fold(Vec::new(), |mut v, n| {
                    if !v.contains(&n) {
                        v.push(n);
                    }
                    v
                });
            (params, response)
        }
        "youzan" => {
            let doc = json_file(&catalogs.join("youzan/docs").join(file));
            let v = &doc[&api.version];
            let params = v["requestParams"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_owned(),
                        p["isRequired"] == "是",
                    )
                })
                .collect();
            (
                params,
                ["success", "code", "message", "data"]
                    .map(String::from)
                    .to_vec(),
            )
        }
        "douyin" => {
            let doc = json_file(&catalogs.join("douyin").join(file));
            let op = &doc["paths"][&api.path][api.method.as_str().to_ascii_lowercase()];
            let resolve = |v: &serde_json::Value| {
                let mut v = v.clone();
                while let Some(r) = v["$ref"].as_str() {
                    v = doc.pointer(&r[1..]).unwrap().clone();
                }
                v
            };
            let mut params: Vec<(String, bool)> = Vec::new();
            for p in op["parameters"].as_array().cloned().unwrap_or_default() {
                let name = p["name"].as_str().unwrap().to_owned();
                let header = p["in"] == "header"
                    && ["access-token", "content-type"]
                        .contains(&name.to_ascii_lowercase().as_str());
                if !header && !params.iter().any(|(n, _)| *n == name) {
                    params.push((name, p["required"] == true || p["in"] == "path"));
                }
            }
            let body = resolve(&op["requestBody"]["content"]["application/json"]["schema"]);
            let required: Vec<serde_json::Value> =
                body["required"].as_array().cloned().unwrap_or_default();
            for (name, _) in body["properties"].as_object().cloned().unwrap_or_default() {
                if !params.iter().any(|(n, _)| *n == name) {
                    params.push((name.clone(), required.contains(&serde_json::json!(name))));
                }
            }
            let answer = ["200", "201", "default"]
                .iter()
                .map(|c| &op["responses"][*c]["content"]["application/json"]["schema"])
                .find(|s| !s.is_null())
                .map(resolve)
                .unwrap_or_default();
            let data = resolve(&answer["properties"]["data"]);
            let response = data["properties"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            (params, response)
        }
        "doudian" => {
            let req = std::fs::read_to_string(catalogs.join("doudian/api").join(file)).unwrap();
            let strukt = req
                .split("Param *")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            let params = names_in_go_struct(&req, strukt)
                .into_iter()
                .map(|n| (n, false))
                .collect();
            let resp_file = file
                .replace("/request/", "/response/")
                .replace("_request.go", "_response.go");
            let resp =
                std::fs::read_to_string(catalogs.join("doudian/api").join(resp_file)).unwrap();
            let data_line = resp
                .lines()
                .find(|l| l.contains("`json:\"data\"`"))
                .unwrap();
            let data = data_line
                .split_whitespace()
                .nth(1)
                .unwrap()
                .trim_start_matches('*');
            let response = if resp.contains(&format!("type {data} struct {{")) {
                names_in_go_struct(&resp, data)
            } else {
                Vec::new()
            };
            (params, response)
        }
        "alibaba" => {
            let src =
                std::fs::read_to_string(catalogs.join("alibaba-1688/src").join(file)).unwrap();
            let mut params: Vec<(String, bool)> = Vec::new();
            for part in src.split("public function set").skip(1) {
                if let Some(name) = part
                    .split("sdkStdResult[\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                {
                    if !params.iter().any(|(n, _)| n == name) {
                        params.push((name.to_owned(), false));
                    }
                }
            }
            let result = file.replace("Param.class.php", "Result.class.php");
            let response = std::fs::read_to_string(catalogs.join("alibaba-1688/src").join(result))
                .map(|src| {
                    src.split("public function set")
                        .skip(1)
                        .filter_map(|part| {
                            let head = part.split(')').next()?;
                            Some(head.split('$').nth(1)?.trim().to_owned())
                        })
                        // The SDK's own plumbing, not fields.
                        .filter(|n| n != "stdResult" && n != "arrayResult")
                        .collect()
                })
                .unwrap_or_default();
            (params, response)
        }
        other => panic!("no catalog for {other}"),
    }
}

#[test]
fn twenty_sampled_apis_per_platform_match_their_source() {
    let Some(catalogs) = catalogs() else {
        eprintln!("skipped: no ../shared/catalogs beside this checkout");
        return;
    };
    let corpus = corpus();
    for p in &corpus.platforms {
        let imported: Vec<&ir::Api> = p.apis.iter().filter(|a| a.source.is_some()).collect();
        // A fixed-seed draw (an LCG), the same 20 every run.
        let mut seed: u64 = 0x5eed_0000 + p.name.len() as u64;
        let mut picked = Vec::new();
        while picked.len() < 20.min(imported.len()) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (seed >> 33) as usize % imported.len();
            if !picked.contains(&i) {
                picked.push(i);
            }
        }
        let mut compared = 0;
        for i in picked {
            let api = imported[i];
            let (params, response) = source_facts(&catalogs, &p.name, api);
            let ours: Vec<(String, bool)> = api
                .params
                .iter()
                .map(|f| (f.wire.clone(), f.required))
                .collect();
            let ours_response: Vec<String> =
                api.response.fields.iter().map(|f| f.wire.clone()).collect();
            let sorted = |mut v: Vec<(String, bool)>| {
                v.sort();
                v
            };
            // The corrections file may change an API on purpose: those are compared by name only.
            if api
                .source
                .as_ref()
                .and_then(|s| s.note.as_deref())
                .is_some_and(|n| n.contains("corrections"))
            {
                continue;
            }
            assert_eq!(
                sorted(ours),
                sorted(params),
                "{} {} {}: params",
                p.name,
                api.name,
                api.version
            );
            let mut a = ours_response.clone();
            let mut b = response.clone();
            a.sort();
            b.sort();
            assert_eq!(
                a, b,
                "{} {} {}: response fields",
                p.name, api.name, api.version
            );
            compared += 1;
        }
        assert!(
            compared >= 18,
            "{}: only {compared} sampled APIs compared",
            p.name
        );
    }
}
