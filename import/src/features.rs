//! A platform crate's manifests: one feature per group folder, `full` for all of them and
//! `default` for the common set; and, for a platform large enough to be split, its part crates.
//! Written by the importer, never by hand, and checked by a test against the folders
//! ([`check`]).
//!
//! A platform crate whose manifest says `[package.metadata.opengate] parts = N` keeps its
//! default groups in its own folder and spreads the others over `N` part crates,
//! `<folder>/part1` ... `<folder>/partN`, each a crate of its own (`opengate-taobao-part3`), so
//! that cargo compiles them in parallel and none is too large for docs.rs
//! (docs/decisions.md, "Crates of the catalog"). A group's part is a hash of its name: adding a group
//! moves no other. The platform crate's feature for such a group turns its part on.

use std::path::{Path, PathBuf};

/// Where a platform folder's groups go: read from its manifest.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// How many part crates (0: every group in the platform crate).
    parts: usize,
    /// The groups `default` turns on: they stay in the platform crate.
    default: Vec<String>,
}

impl Layout {
    /// The layout of the platform folder `dir` (none when it has no manifest).
    pub fn read(dir: &Path) -> Layout {
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            return Layout::default();
        };
        Layout {
            parts: parts_setting(&manifest).unwrap_or(0),
            default: current_default(&manifest).unwrap_or_default(),
        }
    }

    /// The folder of `group`, relative to the platform folder: `tbk` or `part1/tbk`.
    pub fn folder(&self, group: &str) -> PathBuf {
        match self.part_of(group) {
            Some(part) => Path::new(&part).join(group),
            None => PathBuf::from(group),
        }
    }

    /// The part folder `group` belongs in, if the platform is split and it is not a default
    /// group.
    fn part_of(&self, group: &str) -> Option<String> {
        if self.parts == 0 || self.default.iter().any(|d| d == group) {
            return None;
        }
        // FNV-1a: stable across Rust versions and platforms, unlike the std hasher.
        let hash = group.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let parts = u64::try_from(self.parts).unwrap_or(u64::MAX);
        Some(format!("part{}", hash % parts + 1))
    }
}

/// A manifest read with `toml`; `None` when it is not TOML.
fn parsed(manifest: &str) -> Option<toml::Table> {
    manifest.parse().ok()
}

/// The `parts = N` of a manifest's `[package.metadata.opengate]`.
fn parts_setting(manifest: &str) -> Option<usize> {
    let doc = parsed(manifest)?;
    let parts = doc
        .get("package")?
        .get("metadata")?
        .get("opengate")?
        .get("parts")?;
    usize::try_from(parts.as_integer()?).ok()
}

/// The `name` of a manifest's `[package]`.
fn package_name(manifest: &str) -> Option<String> {
    let doc = parsed(manifest)?;
    Some(doc.get("package")?.get("name")?.as_str()?.to_owned())
}

/// Feature names that are not groups: a group folder cannot have one of them.
const NOT_GROUPS: &[&str] = &["default", "full", "serde"];

/// The `[features]` table for the group folders: the platform crate's own groups (`g = []`)
/// and its parts' (`g = ["dep:<part>", "<part>/g"]`), `default` kept to groups that exist, and
/// `serde` (serde derives on the generated types), passed on to the parts that are on.
fn features_table(
    own: &[String],
    parts: &[(String, Vec<String>)],
    default: &[String],
) -> Result<String, String> {
    let mut all: Vec<(&String, Option<&String>)> = own.iter().map(|g| (g, None)).collect();
    for (package, groups) in parts {
        all.extend(groups.iter().map(|g| (g, Some(package))));
    }
    all.sort();
    if let Some((g, _)) = all.iter().find(|(g, _)| NOT_GROUPS.contains(&g.as_str())) {
        return Err(format!(
            "a group folder cannot be named `{g}`: the crate has a feature of that name"
        ));
    }
    let quoted = |list: &[&String]| {
        list.iter()
            .map(|g| format!("\"{g}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let defaults: Vec<&String> = default
        .iter()
        .filter(|d| all.iter().any(|(g, _)| g == d))
        .collect();
    let names: Vec<&String> = all.iter().map(|(g, _)| *g).collect();
    let mut out = String::from("[features]\n");
    out.push_str(&format!("default = [{}]\n", quoted(&defaults)));
    out.push_str(&format!("full = [{}]\n", quoted(&names)));
    let serde: Vec<String> = parts.iter().map(|(p, _)| format!("{p}?/serde")).collect();
    out.push_str(&format!(
        "serde = [{}]\n",
        serde
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for (g, part) in all {
        match part {
            None => out.push_str(&format!("{g} = []\n")),
            Some(p) => out.push_str(&format!("{g} = [\"dep:{p}\", \"{p}/{g}\"]\n")),
        }
    }
    out.push('\n');
    Ok(out)
}

/// The group folders of the platform folder `dir` (those holding specs), not its parts' (a
/// part folder the importer has just filled has no `Cargo.toml` yet: `part<N>` is never a
/// group).
pub fn group_folders(dir: &Path) -> Vec<String> {
    opengate_codegen::build::groups(dir)
        .into_iter()
        .map(|(g, _)| g)
        .filter(|g| !is_part_name(g))
        .collect()
}

/// The part folders of `dir` that hold groups, with the groups of each, in name order.
fn part_folders(dir: &Path) -> Vec<(String, Vec<String>)> {
    let mut parts: Vec<(String, Vec<String>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| is_part_name(n))
                .map(|n| {
                    let groups = group_folders(&dir.join(&n));
                    (n, groups)
                })
                .filter(|(_, g)| !g.is_empty())
                .collect()
        })
        .unwrap_or_default();
    parts.sort_by_key(|(n, _)| n[4..].parse::<usize>().unwrap_or(usize::MAX));
    parts
}

fn is_part_name(name: &str) -> bool {
    name.strip_prefix("part")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The `default` list of a manifest's `[features]`, if it has one.
pub fn current_default(manifest: &str) -> Option<Vec<String>> {
    let doc = parsed(manifest)?;
    let list = doc.get("features")?.get("default")?.as_array()?;
    Some(
        list.iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    )
}

/// The text of the table `[name]`, from its header up to the next table: where the writer
/// replaces a table and keeps the rest of the manifest as it was written.
fn table<'a>(manifest: &'a str, name: &str) -> Option<&'a str> {
    let header = format!("[{name}]\n");
    let start = if manifest.starts_with(&header) {
        0
    } else {
        manifest.find(&format!("\n{header}"))? + 1
    };
    let rest = &manifest[start..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 2);
    Some(&rest[..end])
}

/// The first line of the files this module writes into a part folder.
pub(crate) const PART_HEADER: &str = "# @generated by `opengate import` from the platform crate's folder: do not edit; edit ../Cargo.toml (its `[package.metadata.opengate]`) or ../platform.yaml.\n";

/// Every file the manifests of the platform folder `dir` should be, as `(path, text)`: the
/// platform crate's `Cargo.toml` (its `[features]` and its parts' dependencies rewritten,
/// `default` kept as the maintainer left it, minus groups that are gone; a manifest without
/// a `default` yet gets `new_default`) and, for each part folder holding groups, its
/// `Cargo.toml`, `build.rs`, `src/lib.rs` and a copy of `platform.yaml`.
pub fn manifests(dir: &Path, new_default: &[&str]) -> Result<Vec<(PathBuf, String)>, String> {
    let path = dir.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let package = package_name(&manifest).ok_or("the manifest has no `[package]` name")?;
    let default = current_default(&manifest)
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| new_default.iter().map(|s| (*s).to_owned()).collect());
    let parts: Vec<(String, Vec<String>)> = part_folders(dir)
        .into_iter()
        .map(|(folder, groups)| (format!("{package}-{folder}"), groups))
        .collect();
    let features = features_table(&group_folders(dir), &parts, &default)?;
    let Some(old) = table(&manifest, "features") else {
        return Err("the manifest has no `[features]` table".into());
    };
    let mut text = manifest.replacen(old, &features, 1);
    text = with_part_dependencies(&text, &package, &parts)?;
    let mut files = vec![(path, text)];
    let platform = std::fs::read_to_string(dir.join("platform.yaml"))
        .map_err(|e| format!("cannot read {}: {e}", dir.join("platform.yaml").display()))?;
    let name = package.strip_prefix("opengate-").unwrap_or(&package);
    for (part, groups) in &parts {
        let folder = dir.join(&part[package.len() + 1..]);
        files.push((
            folder.join("Cargo.toml"),
            part_manifest(&package, part, groups),
        ));
        files.push((
            folder.join("build.rs"),
            format!(
                "//! Generates this part's APIs into `OUT_DIR`, for `{package}` to re-export.\n\n\
                 fn main() {{\n    opengate_codegen::build::part_crate(\"{name}\", \"{package}\");\n}}\n"
            ),
        ));
        files.push((
            folder.join("src/lib.rs"),
            format!(
                "#![doc = include_str!(concat!(env!(\"OUT_DIR\"), \"/{name}.md\"))]\n\
                 // The docs are the catalogs' prose, written for their doc pages, not for these lints.\n\
                 #![allow(\n    clippy::doc_markdown,\n    clippy::doc_lazy_continuation,\n    clippy::large_enum_variant\n)]\n\n\
                 include!(concat!(env!(\"OUT_DIR\"), \"/{name}.rs\"));\n"
            ),
        ));
        files.push((
            folder.join("platform.yaml"),
            format!("{PART_HEADER}{platform}"),
        ));
    }
    Ok(files)
}

/// The manifest with its `[dependencies]` naming exactly the part crates (by path, with the
/// workspace's version, so that a packaged platform crate depends on the published parts).
fn with_part_dependencies(
    manifest: &str,
    package: &str,
    parts: &[(String, Vec<String>)],
) -> Result<String, String> {
    let Some(old) = table(manifest, "dependencies") else {
        return Err("the manifest has no `[dependencies]` table".into());
    };
    let prefix = format!("{package}-part");
    let mut new: Vec<String> = old
        .lines()
        .filter(|l| !l.starts_with(&prefix))
        .map(str::to_owned)
        .collect();
    while new.last().is_some_and(|l| l.is_empty()) {
        new.pop();
    }
    let version = env!("CARGO_PKG_VERSION");
    for (part, _) in parts {
        let folder = &part[package.len() + 1..];
        new.push(format!(
            "{part} = {{ path = \"{folder}\", version = \"{version}\", optional = true }}"
        ));
    }
    let mut text = new.join("\n");
    text.push('\n');
    if old.ends_with("\n\n") {
        text.push('\n');
    }
    Ok(manifest.replacen(old, &text, 1))
}

/// A part crate's manifest.
fn part_manifest(package: &str, part: &str, groups: &[String]) -> String {
    let quoted: Vec<String> = groups.iter().map(|g| format!("\"{g}\"")).collect();
    let mut out = String::from(PART_HEADER);
    out.push_str(&format!(
        "[package]\nname = \"{part}\"\ndescription = \"Generated APIs of some of {package}'s groups; use them through {package}'s features\"\n"
    ));
    for key in [
        "version",
        "edition",
        "license",
        "rust-version",
        "homepage",
        "readme",
        "keywords",
        "categories",
        "repository",
    ] {
        out.push_str(&format!("{key}.workspace = true\n"));
    }
    out.push_str(&format!(
        "build = \"build.rs\"\n\
         # The platform crate's build script reads the accessor methods this one writes.\n\
         links = \"{part}\"\n\
         include = [\"Cargo.toml\", \"build.rs\", \"src/**\", \"**/*.yaml\"]\n\n\
         [package.metadata.docs.rs]\nfeatures = [\"full\"]\n\n\
         [features]\nfull = [{}]\nserde = []\n",
        quoted.join(", ")
    ));
    for g in groups {
        out.push_str(&format!("{g} = []\n"));
    }
    out.push_str(
        "\n[dependencies]\nopengate-runtime.workspace = true\n\n\
         [build-dependencies]\nopengate-codegen.workspace = true\n\n\
         [lints]\nworkspace = true\n",
    );
    out
}

/// Part folders that hold no group any more (after `parts` changed) but still the files
/// [`manifests`] wrote there.
fn stale_parts(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(is_part_name)
                })
                .filter(|p| group_folders(p).is_empty())
                .filter(|p| {
                    std::fs::read_to_string(p.join("Cargo.toml"))
                        .is_ok_and(|t| t.starts_with(PART_HEADER))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Writes [`manifests`] and removes the generated files of part folders left without groups,
/// returning how many files changed.
pub fn write(dir: &Path, new_default: &[&str]) -> Result<usize, String> {
    let mut changed = 0;
    for part in stale_parts(dir) {
        for file in ["Cargo.toml", "build.rs", "src/lib.rs", "platform.yaml"] {
            if std::fs::remove_file(part.join(file)).is_ok() {
                changed += 1;
            }
        }
        // Only succeed when nothing else is left.
        let _ = std::fs::remove_dir(part.join("src"));
        let _ = std::fs::remove_dir(&part);
    }
    for (path, text) in manifests(dir, new_default)? {
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        path.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &text))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        changed += 1;
    }
    Ok(changed)
}

/// Whether the manifests under `dir` are exactly what [`write()`] would write and every group
/// is in the folder its [`Layout`] says: `Err` says what differs.
pub fn check(dir: &Path) -> Result<(), String> {
    let layout = Layout::read(dir);
    let mut wrong = Vec::new();
    for g in group_folders(dir) {
        if layout.folder(&g) != Path::new(&g) {
            wrong.push(format!("{g} belongs in {}", layout.folder(&g).display()));
        }
    }
    for (part, groups) in part_folders(dir) {
        for g in groups {
            let want = layout.folder(&g);
            if want != Path::new(&part).join(&g) {
                wrong.push(format!("{part}/{g} belongs in {}", want.display()));
            }
        }
    }
    wrong.extend(
        stale_parts(dir)
            .iter()
            .map(|p| format!("{} holds no group", p.display())),
    );
    if !wrong.is_empty() {
        return Err(format!(
            "group folders in the wrong place (run `opengate import`): {}",
            wrong.join(", ")
        ));
    }
    for (path, want) in manifests(dir, &[])? {
        // Compared as written; `manifests` keeps `default` as it is.
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            return Err(format!(
                "{} does not match the group folders (run `opengate import`):\n--- has\n{have}--- expected\n{want}",
                path.display()
            ));
        }
    }
    Ok(())
}
