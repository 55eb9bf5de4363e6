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
        ("taobao", 5600),
        ("youzan", 530),
        ("doudian", 270),
        ("douyin", 700),
        ("alibaba", 490),
    ] {
        assert!(
            count(platform) >= at_least,
            "{platform}: {} APIs, at least {at_least} expected",
            count(platform)
        );
    }
}

/// One import of `scripts/import-catalogs.sh`: the platform, the format, the catalog folder in
/// `../shared/catalogs` and its `--index`, and the small fixture of the same format in
/// `import/tests/fixtures` that stands in for it where the catalogs are absent.
struct Import {
    platform: &'static str,
    format: &'static str,
    folder: &'static str,
    index: Option<&'static str>,
    fixture: &'static str,
    fixture_index: Option<&'static str>,
    /// Newer catalogs read after it and merged (`--and FORMAT=PATH`): format, folder, fixture.
    and: &'static [(&'static str, &'static str, &'static str)],
}

const IMPORTS: &[Import] = &[
    Import {
        platform: "taobao",
        format: "top-metadata",
        folder: "taobao-top",
        index: None,
        fixture: "top",
        fixture_index: None,
        and: &[("top-php-sdk", "taobao-top-php", "top-php")],
    },
    Import {
        platform: "youzan",
        format: "youzan-docs",
        folder: "youzan",
        index: Some("youzan-index/apis"),
        fixture: "youzan",
        fixture_index: Some("youzan-index/apis"),
        and: &[("youzan-ts", "youzan-ts", "youzan-ts")],
    },
    Import {
        platform: "doudian",
        format: "doudian-go-sdk",
        folder: "doudian",
        index: None,
        fixture: "doudian",
        fixture_index: None,
        and: &[("doudian-skit", "doudian-more", "doudian-skit")],
    },
    Import {
        platform: "douyin",
        format: "openapi",
        folder: "douyin",
        index: None,
        fixture: "douyin.openapi.json",
        fixture_index: None,
        and: &[("douyin-sdk", "douyin-sdk", "douyin-sdk")],
    },
    Import {
        platform: "alibaba",
        format: "aop-php-sdk",
        folder: "alibaba-1688",
        index: Some("alibaba-1688-names"),
        fixture: "aop",
        fixture_index: Some("aop-names"),
        and: &[],
    },
];

/// Where the catalogs are: the ones the shipped specs were imported from, when this checkout
/// has them beside it (`../shared/catalogs`), or else the importers' fixtures, imported into a
/// scratch folder that then stands for the shipped specs.
enum Catalogs {
    Shared(PathBuf),
    Fixtures(PathBuf),
}

impl Catalogs {
    /// `$OPENGATE_CATALOGS` names another folder of catalogs (one without them, e.g.
    /// `/nonexistent`, runs on the fixtures here too).
    fn find() -> Catalogs {
        let shared = std::env::var_os("OPENGATE_CATALOGS").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/catalogs"),
            PathBuf::from,
        );
        if shared.join("taobao-top").is_dir() {
            return Catalogs::Shared(shared);
        }
        eprintln!("no ../shared/catalogs beside this checkout: running on the importers' fixtures");
        Catalogs::Fixtures(Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/fixtures"))
    }

    /// The catalog of `import` and its index.
    fn source(&self, import: &Import) -> (PathBuf, Option<PathBuf>) {
        match self {
            Catalogs::Shared(root) => {
                (root.join(import.folder), import.index.map(|i| root.join(i)))
            }
            Catalogs::Fixtures(root) => (
                root.join(import.fixture),
                import.fixture_index.map(|i| root.join(i)),
            ),
        }
    }

    /// The specs imported from these catalogs: the shipped ones, or a scratch folder of the
    /// fixtures imported once (each platform folder with the fixtures' `platform.yaml`).
    fn specs(&self, scratch: &Path) -> PathBuf {
        let Catalogs::Fixtures(root) = self else {
            return specs();
        };
        for import in IMPORTS {
            let out = scratch.join(import.platform);
            copy_tree(&root.join("platforms").join(import.platform), &out);
            // A platform crate's manifest, whose features the import then writes.
            let manifest = format!(
                "[package]\nname = \"opengate-{}\"\n\n[features]\ndefault = []\n\n[dependencies]\n",
                import.platform
            );
            std::fs::write(out.join("Cargo.toml"), manifest).unwrap();
            run_import(self, import, &out);
        }
        scratch.to_owned()
    }
}

/// Imports `import`'s catalog into `out` as `opengate import` does.
fn run_import(
    catalogs: &Catalogs,
    import: &Import,
    out: &Path,
) -> (opengate_import::write::Report, usize) {
    let (source, index) = catalogs.source(import);
    let options = opengate_import::Options {
        platform: Some(import.platform.to_owned()),
        index,
        out: Some(out.to_owned()),
    };
    let importer = opengate_import::importer(import.format, &options).unwrap();
    let others: Vec<_> = import
        .and
        .iter()
        .map(|(format, folder, fixture)| {
            let options = opengate_import::Options {
                index: None,
                ..options.clone()
            };
            let path = match catalogs {
                Catalogs::Shared(root) => root.join(folder),
                Catalogs::Fixtures(root) => root.join(fixture),
            };
            (opengate_import::importer(format, &options).unwrap(), path)
        })
        .collect();
    let mut sources: Vec<(&dyn opengate_import::Importer, &Path)> = vec![(&*importer, &source)];
    sources.extend(others.iter().map(|(i, p)| (&**i, p.as_path())));
    let read = opengate_import::read_merged(&sources);
    let report =
        opengate_import::write::write_specs(out, importer.format(), import.folder, read.apis);
    let changed = opengate_import::features::write(out, importer.default_groups()).unwrap();
    (report, changed)
}

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
    let catalogs = Catalogs::find();
    let fixtures = tempfile::tempdir().unwrap();
    let shipped = catalogs.specs(fixtures.path());
    let mut imported = 0;
    for import in IMPORTS {
        let platform = import.platform;
        let scratch = tempfile::tempdir().unwrap();
        let out = scratch.path().join(platform);
        copy_tree(&shipped.join(platform), &out);
        let mut before = Vec::new();
        tree(&out, &mut before, &out);
        before.sort();
        let (report, changed) = run_import(&catalogs, import, &out);
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
        imported += report.unchanged;
    }
    assert!(
        imported >= IMPORTS.len(),
        "only {imported} specs re-imported"
    );
}

#[test]
fn each_platform_crate_has_a_feature_per_group_folder() {
    for Import { platform, .. } in IMPORTS {
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

/// The source's facts for an imported API, read from its catalog `root` (a folder, or the
/// one file it was).
fn source_facts(root: &Path, index: Option<&Path>, platform: &str, api: &ir::Api) -> Facts {
    let source = api.source.as_ref().expect("an imported spec");
    let file = source.file.as_deref().unwrap();
    let known_type = |t: &str| {
        let t = t.trim();
        !t.is_empty() && !t.contains("[][]") && !t.starts_with("null")
    };
    match platform {
        "taobao" => {
            let doc = json_file(&root.join(file));
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
            let doc = json_file(&root.join("docs").join(file));
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
            let doc = json_file(&if root.is_file() {
                root.to_owned()
            } else {
                root.join(file)
            });
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
            let req = std::fs::read_to_string(root.join("api").join(file)).unwrap();
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
            let resp = std::fs::read_to_string(root.join("api").join(resp_file)).unwrap();
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
            let root = if root.join("src").is_dir() {
                root.join("src")
            } else {
                root.to_owned()
            };
            let src = std::fs::read_to_string(root.join(file)).unwrap();
            let mut params: Vec<(String, bool)> = Vec::new();
            for part in src.split("public function set").skip(1) {
                // The wire name in `sdkStdResult["..."]`, else the setter's variable.
                let body = part.split("\n    }").next().unwrap_or_default();
                let name = body
                    .split("sdkStdResult[\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .or_else(|| part.split(')').next()?.split('$').nth(1).map(str::trim));
                if let Some(name) = name.filter(|n| !["stdResult", "arrayResult"].contains(n)) {
                    if !params.iter().any(|(n, _)| n == name) {
                        params.push((name.to_owned(), false));
                    }
                }
            }
            // Where the official Python SDK has the API (by its real name), its params and
            // required flags count.
            if let Some(py) = index.and_then(|i| python_sdk_api(i, &api.name)) {
                for p in &mut params {
                    p.1 = required_in(&py, &p.0);
                }
                for line in py.lines() {
                    let Some(name) = line.trim().strip_prefix("self.") else {
                        continue;
                    };
                    let name = name.split('=').next().unwrap().trim().to_owned();
                    if name != "access_token" && !params.iter().any(|(n, _)| *n == name) {
                        let required = required_in(&py, &name);
                        params.push((name, required));
                    }
                }
            }
            let result = file.replace("Param.class.php", "Result.class.php");
            let response = std::fs::read_to_string(root.join(result))
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

/// Every API name of the official 1688 Python SDK is a name of ours, exactly: 1688's gateway
/// routes by it.
#[test]
fn every_real_1688_name_is_ours_exactly() {
    let catalogs = Catalogs::find();
    let fixtures = tempfile::tempdir().unwrap();
    let specs = catalogs.specs(fixtures.path());
    let corpus = opengate_codegen::load(&specs, "specs")
        .map(|(_, c)| c)
        .unwrap();
    let ours: Vec<(&str, &str)> = corpus
        .platforms
        .iter()
        .filter(|p| p.name == "alibaba")
        .flat_map(|p| &p.apis)
        .map(|a| (a.namespace.as_str(), a.name.as_str()))
        .collect();
    let import = IMPORTS.iter().find(|i| i.platform == "alibaba").unwrap();
    let (_, index) = catalogs.source(import);
    let biz = index.unwrap().join("tools/aop/api/biz");
    let mut checked = 0;
    for e in std::fs::read_dir(&biz).unwrap().flatten() {
        let src = std::fs::read_to_string(e.path()).unwrap();
        let Some(uri) = src
            .split("def get_api_uri")
            .nth(1)
            .and_then(|s| s.split('\'').nth(1))
        else {
            continue;
        };
        let mut parts = uri.splitn(3, '/').skip(1);
        let (namespace, name) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(
            ours.contains(&(namespace, name)),
            "{name} ({namespace}) is not among our 1688 APIs"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} names checked");
}

/// The class of the 1688 Python SDK under `dir` whose `get_api_uri()` names `name`.
fn python_sdk_api(dir: &Path, name: &str) -> Option<String> {
    let biz = dir.join("tools/aop/api/biz");
    std::fs::read_dir(&biz)
        .ok()?
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .find(|src| src.contains(&format!("/{name}'")))
}

/// Whether `get_required_params()` of a Python SDK class lists `param`.
fn required_in(src: &str, param: &str) -> bool {
    src.split("def get_required_params")
        .nth(1)
        .and_then(|s| s.lines().find(|l| l.contains("return")))
        .is_some_and(|l| l.contains(&format!("'{param}'")))
}

#[test]
fn twenty_sampled_apis_per_platform_match_their_source() {
    let catalogs = Catalogs::find();
    let fixtures = tempfile::tempdir().unwrap();
    let specs = catalogs.specs(fixtures.path());
    let corpus = opengate_codegen::load(&specs, "specs")
        .map(|(_, c)| c)
        .unwrap_or_else(|d| panic!("the imported specs are valid:\n{d}"));
    for import in IMPORTS {
        let p = corpus
            .platforms
            .iter()
            .find(|p| p.name == import.platform)
            .unwrap();
        let (root, index) = catalogs.source(import);
        let imported: Vec<&ir::Api> = p
            .apis
            .iter()
            .filter(|a| a.source.as_ref().is_some_and(|s| s.format == import.format))
            .collect();
        // A fixed-seed draw (an LCG), the same 20 every run.
        let mut seed: u64 = 0x5eed_0000 + p.name.len() as u64;
        // Draws beyond 20, since APIs changed on purpose (corrected, or merged with a newer
        // catalog) are compared by name only: the first 20 others are compared.
        let mut picked = Vec::new();
        while picked.len() < 60.min(imported.len()) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (seed >> 33) as usize % imported.len();
            if !picked.contains(&i) {
                picked.push(i);
            }
        }
        let (mut compared, mut by_name) = (0, 0);
        for i in picked {
            if compared == 20 {
                break;
            }
            let api = imported[i];
            let (mut params, response) = source_facts(&root, index.as_deref(), &p.name, api);
            // The importers skip (and report) a name that is no identifier, such as the
            // fixtures' `名字`.
            params.retain(|(n, _)| n.is_ascii());
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
            // The corrections file may change an API on purpose, and another catalog add to it:
            // those are compared by name only.
            if api
                .source
                .as_ref()
                .and_then(|s| s.note.as_deref())
                .is_some_and(|n| n.contains("corrections") || n.contains("also in "))
            {
                by_name += 1;
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
        // The fixtures hold a few APIs each, all compared but those changed on purpose.
        let want = match catalogs {
            Catalogs::Shared(_) => 20,
            Catalogs::Fixtures(_) => imported.len().min(60) - by_name,
        };
        assert!(
            compared >= want && compared + by_name > 0,
            "{}: only {compared} sampled APIs compared",
            p.name
        );
    }
}
