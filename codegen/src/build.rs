//! What the generated crates' build scripts do, so that each is one line.
//!
//! A platform crate (`specs/<platform>/` with its own `Cargo.toml`) generates its APIs from its
//! own folder: the specs directly in it always, and each group folder whose cargo feature is
//! on (a group folder without a declared feature, one just added, is always generated). The
//! facade crate (`opengate-apis`) re-exports the platform crates its features name and
//! generates the platform folders that have no crate of their own.
//!
//! A large platform crate has part crates: folders below its own with a `Cargo.toml` each
//! (`specs/taobao/part1/`), holding some of its groups, so that cargo compiles them in
//! parallel and none is too large for docs.rs. The platform crate's feature for such a group
//! turns the part on (`tbk = ["dep:opengate-taobao-part1", "opengate-taobao-part1/tbk"]`); it
//! re-exports the part's modules and puts their methods on its accessor, read from a file the
//! part's build script names through cargo's `links` metadata.

use crate::{emit, write_files, Config, Diagnostics};
use std::path::{Path, PathBuf};

fn env_path(key: &str) -> PathBuf {
    // Cargo always sets these for build scripts.
    PathBuf::from(std::env::var_os(key).unwrap_or_default())
}

/// The features declared in a manifest's `[features]` table, each with what it turns on
/// (`["dep:opengate-taobao"]`). A manifest cargo could not read has none.
pub fn declared_features(manifest: &Path) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    match doc.get("features") {
        Some(toml::Value::Table(features)) => features
            .iter()
            .map(|(name, value)| {
                let enables = value.as_array().map_or_else(Vec::new, |list| {
                    list.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                });
                (name.clone(), enables)
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn feature_on(name: &str) -> bool {
    let var = format!(
        "CARGO_FEATURE_{}",
        name.to_ascii_uppercase().replace('-', "_")
    );
    std::env::var_os(var).is_some()
}

/// Every folder below `dir` but part crates', for `rerun-if-changed` (adding or deleting a
/// file changes its folder's mtime).
fn rerun_folders(dir: &Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir()
                && p.file_name().is_some_and(|n| n != "src" && n != "target")
                && !is_part(&p)
            {
                rerun_folders(&p);
            }
        }
    }
}

/// Whether a folder below a platform crate's is a part crate.
pub(crate) fn is_part(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file()
}

/// Tells cargo which spec files to watch, or fails the build with every problem in the specs.
fn finish(generated: Result<Vec<PathBuf>, Diagnostics>) {
    match generated {
        Ok(inputs) => {
            for f in inputs {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
        Err(diags) => {
            eprintln!("error: the API specs have {} problem(s):", diags.len());
            eprintln!("{diags}");
            std::process::exit(1);
        }
    }
}

/// The group folders of a platform (or part) folder and how many spec files each holds; part
/// folders are not groups.
pub fn groups(dir: &Path) -> Vec<(String, usize)> {
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        count(&p)
                    } else {
                        usize::from(p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                    }
                })
                .sum()
        })
    }
    let mut out: Vec<(String, usize)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir() && !is_part(&e.path()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n != "src" && n != "target" && !n.starts_with('.'))
                .map(|n| {
                    let c = count(&dir.join(&n));
                    (n, c)
                })
                .filter(|(_, c)| *c > 0)
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The build script of a platform crate: `opengate_codegen::build::platform_crate("taobao")`.
pub fn platform_crate(platform: &str) {
    let dir = env_path("CARGO_MANIFEST_DIR");
    let out = env_path("OUT_DIR");
    let declared = declared_features(&dir.join("Cargo.toml"));
    let groups = crate_groups(&dir, &declared);
    let parts = match parts(&declared) {
        Ok(parts) => parts,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(1);
        }
    };
    rerun_folders(&dir);
    let generated = Config::new()
        .display_root(display_root(&dir, 1))
        .generate_platform(&dir, platform, &groups, &parts)
        .and_then(|(files, inputs)| write_files(files, &out).map(|()| inputs));
    finish(generated);
}

/// The build script of a part crate:
/// `opengate_codegen::build::part_crate("taobao", "opengate-taobao")`. Its manifest has
/// `links = "<its package name>"`, so that the platform crate's build script gets the
/// `methods` and `groups` it prints.
pub fn part_crate(platform: &str, platform_crate: &str) {
    let dir = env_path("CARGO_MANIFEST_DIR");
    let out = env_path("OUT_DIR");
    let declared = declared_features(&dir.join("Cargo.toml"));
    let groups = crate_groups(&dir, &declared);
    rerun_folders(&dir);
    let generated = Config::new()
        .display_root(display_root(&dir, 2))
        .generate_part(&dir, platform, platform_crate, &groups)
        .and_then(|(files, inputs)| write_files(files, &out).map(|()| inputs));
    if generated.is_ok() {
        println!(
            "cargo:methods={}",
            out.join(format!("{platform}_methods.rs")).display()
        );
        let counts: Vec<String> = groups.iter().map(|(g, n, _)| format!("{g}:{n}")).collect();
        println!("cargo:groups={}", counts.join(","));
    }
    finish(generated);
}

/// A crate's group folders: `(group, spec files, enabled)`; a folder without a declared
/// feature (one just added) is always generated.
fn crate_groups(dir: &Path, declared: &[(String, Vec<String>)]) -> Vec<(String, usize, bool)> {
    groups(dir)
        .into_iter()
        .map(|(g, n)| {
            let on = !declared.iter().any(|(f, _)| *f == g) || feature_on(&g);
            (g, n, on)
        })
        .collect()
}

/// How diagnostics name a crate's folder: `specs/` and its last `depth` components.
fn display_root(dir: &Path, depth: usize) -> String {
    let comps: Vec<String> = dir
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let tail = &comps[comps.len().saturating_sub(depth)..];
    format!("specs/{}", tail.join("/"))
}

/// The part crates the platform crate's features name (`g = ["dep:<part>", "<part>/g"]`),
/// with what the built ones printed (their environment variables, from `links`).
fn parts(declared: &[(String, Vec<String>)]) -> Result<Vec<emit::PartCrate>, String> {
    let mut parts: Vec<emit::PartCrate> = Vec::new();
    for (feature, value) in declared {
        let Some(package) = value.iter().find_map(|item| item.strip_prefix("dep:")) else {
            continue;
        };
        let on = feature_on(feature);
        match parts.iter_mut().find(|p| p.package == package) {
            Some(part) => part.groups.push((feature.clone(), None, on)),
            None => parts.push(emit::PartCrate {
                package: package.to_owned(),
                groups: vec![(feature.clone(), None, on)],
                methods: None,
            }),
        }
    }
    for part in &mut parts {
        if !part.groups.iter().any(|g| g.2) {
            continue;
        }
        let var = |key: &str| {
            let name = format!(
                "DEP_{}_{key}",
                part.package.to_ascii_uppercase().replace('-', "_")
            );
            println!("cargo:rerun-if-env-changed={name}");
            std::env::var(&name).map_err(|_| {
                format!(
                    "the part crate `{}` did not say its {key} (`{name}`): its manifest needs `links = \"{}\"`",
                    part.package, part.package
                )
            })
        };
        let path = var("METHODS")?;
        println!("cargo:rerun-if-changed={path}");
        let methods = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {path} of `{}`: {e}", part.package))?;
        // The part's file starts with the generated-file header; the accessor has its own.
        part.methods = Some(methods.trim_start_matches(crate::HEADER).to_owned());
        for entry in var("GROUPS")?.split(',').filter(|e| !e.is_empty()) {
            if let Some((g, n)) = entry.split_once(':') {
                if let Some(row) = part.groups.iter_mut().find(|r| r.0 == g) {
                    row.1 = n.parse().ok();
                }
            }
        }
    }
    Ok(parts)
}

/// The facade's build script: platform crates named by the facade's features
/// (`taobao = ["dep:opengate-taobao"]`) are re-exported when their feature is on; platform
/// folders under the specs folder (`$OPENGATE_SPECS`, else `../specs`) that have no `Cargo.toml`
/// are generated here, unless a crate of the same name is re-exported.
pub fn facade() {
    let manifest = env_path("CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-env-changed=OPENGATE_SPECS");
    let specs = std::env::var_os("OPENGATE_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../specs"));
    let out = env_path("OUT_DIR");
    let mut crates = Vec::new();
    for (feature, value) in declared_features(&manifest.join("Cargo.toml")) {
        let Some(krate) = value
            .iter()
            .find_map(|item| item.strip_prefix("dep:"))
            .map(str::to_owned)
        else {
            continue;
        };
        // A crate whose feature is off leaves its name to a specs folder of that name.
        if !feature_on(&feature) {
            continue;
        }
        let name = feature.clone();
        // The title for the re-export's doc line, from the crate's platform.yaml when the
        // folder is here (a packaged facade has only the name).
        let title = std::fs::read_to_string(specs.join(&name).join("platform.yaml"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("title:").map(|v| v.trim().to_owned()))
            })
            .unwrap_or_else(|| name.clone());
        crates.push(emit::CratePlatform {
            name,
            title,
            krate: krate.replace('-', "_"),
            feature,
        });
    }
    // Platform folders with no crate of their own (a platform just added) are generated here.
    let own: Vec<String> = std::fs::read_dir(&specs)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir() && !e.path().join("Cargo.toml").exists())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    let crate_names: Vec<String> = crates.iter().map(|c| c.name.clone()).collect();
    for name in own.iter().filter(|n| crate_names.contains(n)) {
        println!(
            "cargo:warning=specs folder `{name}` has no Cargo.toml but the feature `{name}` \
             re-exports the crate of that name: the crate wins; turn the feature off to generate \
             the folder here"
        );
    }
    let mut config = Config::new();
    config
        .display_root("specs")
        .platforms(own)
        .crate_platforms(crates);
    if specs.is_dir() {
        rerun_folders(&specs);
    }
    // Only the folders generated here are loaded: the platform crates validate their own.
    let keep_specs = |rel: &str| !crate_names.iter().any(|c| c == rel);
    let generated = config
        .generate_filtered(&specs, &keep_specs)
        .and_then(|(files, inputs)| write_files(files, &out).map(|()| inputs));
    finish(generated);
}
