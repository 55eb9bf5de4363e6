//! opengate-import: the platforms' machine-readable API catalogs to opengate specs.
//!
//! Each source format is one module behind the [`Importer`] trait: it reads a catalog and gives
//! [`ApiSpec`]s plus the problems it met (a malformed file, an unknown type, a duplicate
//! field), each `path: what is wrong`, without stopping. [`write::write_specs`] then writes one
//! spec per API under `<out>/<group>/`, applies the platform's corrections file, leaves
//! hand-written specs alone (they win) and removes imported files the catalog no longer has.
//! Several catalogs of one platform can be read in one import: [`merge::merge`] makes an API in
//! more than one a single spec, each fact from the first catalog that states it.
//!
//! The formats are the one registry [`FORMATS`]: `opengate import`'s help and its errors list them.

mod aop;
pub mod aop_names;
pub mod corrections;
pub mod doudian;
pub mod doudian_skit;
pub mod douyin_sdk;
pub mod features;
mod golang;
pub mod merge;
pub mod model;
pub mod openapi;
pub mod top;
pub mod top_php;
pub mod write;
mod yaml;
pub mod youzan;
pub mod youzan_ts;

pub use model::{ApiSpec, Param, Source, Type};
use std::fmt;
use std::path::{Path, PathBuf};

/// Something wrong in the source: the file (relative to the catalog) and what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// One API and the group (folder, cargo feature) it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub group: String,
    pub api: ApiSpec,
}

/// What reading a catalog gave.
#[derive(Debug, Default)]
pub struct Import {
    pub apis: Vec<Imported>,
    pub problems: Vec<Problem>,
    /// Facts worth telling that are not problems (e.g. APIs no longer in the current index).
    pub notes: Vec<String>,
}

impl Import {
    pub(crate) fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
}

/// A catalog format.
pub trait Importer {
    /// The format's name, as `--from` takes it and `source.format` records it.
    fn format(&self) -> &'static str;
    /// The platform folder its APIs belong to.
    fn platform(&self) -> &str;
    /// Reads the catalog at `source` (a folder or a file). Never panics on bad input: every
    /// problem is in [`Import::problems`] and the rest is imported.
    fn read(&self, source: &Path) -> Import;
    /// The groups a platform crate turns on by default, when its manifest has none yet: the
    /// common set (trade, item, logistics, refund, shop).
    fn default_groups(&self) -> &'static [&'static str] {
        &[]
    }
    /// The facts this format states with authority over the catalogs merged before it
    /// ([`merge::merge`]): an official client's `method`, `host` and `path`, what it sends.
    fn wins(&self) -> &'static [&'static str] {
        &[]
    }
}

/// What an importer may need besides the catalog.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The platform, for formats that can describe any (`openapi`).
    pub platform: Option<String>,
    /// A second source: `youzan-docs` takes today's index here, `aop-php-sdk` the official
    /// Python SDK (the real API names).
    pub index: Option<PathBuf>,
    /// The platform folder the specs go to (its `platform.yaml` names the hosts).
    pub out: Option<PathBuf>,
}

/// One catalog format: its `--from` name, what it reads, and how its importer is made.
pub struct Format {
    pub name: &'static str,
    /// The platform its catalogs describe (`any` for `openapi`).
    pub platform: &'static str,
    /// What the catalog is, for `opengate import --help`.
    pub reads: &'static str,
    make: fn(&Options) -> Option<Box<dyn Importer>>,
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Format")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every format, the one list of them.
pub const FORMATS: &[Format] = &[
    Format {
        name: "top-metadata",
        platform: "taobao",
        reads: "TOP metadata JSON (`json/` + `patch/`)",
        make: |_| Some(Box::new(top::TopMetadata)),
    },
    Format {
        name: "top-php-sdk",
        platform: "taobao",
        reads: "the official TOP PHP SDK's `request/` classes",
        make: |_| Some(Box::new(top_php::TopPhpSdk)),
    },
    Format {
        name: "youzan-docs",
        platform: "youzan",
        reads: "Youzan doc JSON, with the current index as --index",
        make: |o| {
            Some(Box::new(youzan::YouzanDocs {
                index: o.index.clone(),
            }))
        },
    },
    Format {
        name: "youzan-ts",
        platform: "youzan",
        reads: "TypeScript declarations of current Youzan APIs",
        make: |_| Some(Box::new(youzan_ts::YouzanTs)),
    },
    Format {
        name: "doudian-go-sdk",
        platform: "doudian",
        reads: "the Doudian Go SDK's `api/` folder",
        make: |_| Some(Box::new(doudian::DoudianGoSdk)),
    },
    Format {
        name: "doudian-skit",
        platform: "doudian",
        reads: "a typed .NET SDK of Doudian (SKIT), its `Models/` and `Extensions/`",
        make: |_| Some(Box::new(doudian_skit::DoudianSkit)),
    },
    Format {
        name: "openapi",
        platform: "any",
        reads: "any OpenAPI 3.0/3.1 document, with --platform",
        make: |o| {
            let platform = o.platform.clone()?;
            let rules = match platform.as_str() {
                "douyin" => douyin_sdk::OPENAPI_RULES,
                "doudian" => doudian::OPENAPI_RULES,
                _ => openapi::Rules::NONE,
            };
            let hosts = hosts_of(o, &platform);
            Some(Box::new(openapi::OpenApi {
                platform,
                hosts,
                rules,
            }))
        },
    },
    Format {
        name: "douyin-sdk",
        platform: "douyin",
        reads: "the official Douyin Node SDK's `dist/client.js` and `client.d.ts`",
        make: |o| {
            Some(Box::new(douyin_sdk::DouyinSdk {
                hosts: hosts_of(o, "douyin"),
            }))
        },
    },
    Format {
        name: "aop-php-sdk",
        platform: "alibaba",
        reads:
            "the 1688 ocean PHP SDK's `src/`, with the official Python SDK's API classes as --index",
        make: |o| {
            Some(Box::new(aop::AopPhpSdk {
                names: o.index.clone(),
            }))
        },
    },
];

/// The importer for a `--from` format name; `None` for an unknown one (or `openapi` without a
/// platform).
pub fn importer(format: &str, options: &Options) -> Option<Box<dyn Importer>> {
    (FORMATS.iter().find(|f| f.name == format)?.make)(options)
}

/// The hosts of the platform folder the specs go to, if one is given.
fn hosts_of(options: &Options, platform: &str) -> Vec<(String, String)> {
    options
        .out
        .as_deref()
        .map(|out| platform_hosts(out, platform))
        .unwrap_or_default()
}

/// The `hosts` of `<out>/platform.yaml`, read with the spec loader.
fn platform_hosts(out: &Path, platform: &str) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(out.join("platform.yaml")) else {
        return Vec::new();
    };
    let mut corpus = opengate_codegen::spec::Corpus::default();
    let mut diags = opengate_codegen::Diagnostics::default();
    let rel = Path::new(platform).join("platform.yaml");
    opengate_codegen::spec::load_source(
        &text,
        &rel,
        "platform.yaml".into(),
        &mut corpus,
        &mut diags,
    );
    corpus
        .platforms
        .into_iter()
        .flat_map(|p| p.hosts)
        .map(|(k, v)| (k.value, v.value))
        .collect()
}

/// Reads several catalogs of one platform, in order of precedence, and merges them
/// ([`merge::merge`]); a later catalog's problems name its folder.
pub fn read_merged(sources: &[(&dyn Importer, &Path)]) -> Import {
    let mut all = Import::default();
    let mut catalogs = Vec::new();
    for (i, (importer, source)) in sources.iter().enumerate() {
        let mut read = importer.read(source);
        if i > 0 {
            let folder = source.file_name().map(|n| n.to_string_lossy().into_owned());
            for p in &mut read.problems {
                p.path = format!(
                    "{}/{}",
                    folder.as_deref().unwrap_or(importer.format()),
                    p.path
                );
            }
        }
        all.problems.append(&mut read.problems);
        all.notes.append(&mut read.notes);
        catalogs.push((read.apis, importer.wins()));
    }
    all.apis = merge::merge(catalogs);
    all
}

/// Files under `dir` with extension `ext`, sorted, as paths relative to `dir` with `/`.
pub(crate) fn files_with(dir: &Path, ext: &str, out: &mut Vec<String>, problems: &mut Import) {
    fn walk(root: &Path, dir: &Path, ext: &str, out: &mut Vec<String>, problems: &mut Import) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                problems.problem(
                    dir.display().to_string(),
                    format!("cannot read the folder: {e}"),
                );
                return;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, ext, out, problems);
            } else if path.to_string_lossy().ends_with(ext) {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    walk(dir, dir, ext, out, problems);
    out.sort();
}
