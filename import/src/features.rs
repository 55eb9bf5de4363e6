//! A platform crate's `[features]`: one feature per group folder, `full` for all of them and
//! `default` for the common set. Written by the importer, never by hand, and checked by a test
//! against the folders (`check_manifest`).

use std::path::Path;

/// The `[features]` table for `groups`, keeping `default` to the groups of `default` that exist.
pub fn table(groups: &[String], default: &[String]) -> String {
    let quoted = |list: &[&String]| {
        list.iter()
            .map(|g| format!("\"{g}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let defaults: Vec<&String> = default.iter().filter(|d| groups.contains(d)).collect();
    let all: Vec<&String> = groups.iter().collect();
    let mut out = String::from("[features]\n");
    out.push_str(&format!("default = [{}]\n", quoted(&defaults)));
    out.push_str(&format!("full = [{}]\n", quoted(&all)));
    for g in groups {
        out.push_str(&format!("{g} = []\n"));
    }
    out
}

/// The group folders of the platform folder `dir` (those holding specs).
pub fn group_folders(dir: &Path) -> Vec<String> {
    opengate_codegen::build::groups(dir)
        .into_iter()
        .map(|(g, _)| g)
        .collect()
}

/// The `default` list of a manifest's `[features]`, if it has one.
pub fn current_default(manifest: &str) -> Option<Vec<String>> {
    let line = section(manifest)?
        .lines()
        .find(|l| l.trim_start().starts_with("default"))?;
    let (_, list) = line.split_once('=')?;
    Some(
        list.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

/// The text of the `[features]` table, up to the next table.
fn section(manifest: &str) -> Option<&str> {
    let start = manifest.find("\n[features]\n")? + 1;
    let rest = &manifest[start..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 2);
    Some(&rest[..end])
}

/// The manifest with its `[features]` table rewritten for the group folders of `dir`.
/// `default` is kept as the maintainer left it (minus groups that are gone); a manifest
/// without a `default` yet gets `new_default`.
pub fn update(manifest: &str, dir: &Path, new_default: &[&str]) -> Result<String, String> {
    let groups = group_folders(dir);
    let default = current_default(manifest)
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| new_default.iter().map(|s| (*s).to_owned()).collect());
    let table = table(&groups, &default);
    let Some(old) = section(manifest) else {
        return Err("the manifest has no `[features]` table".into());
    };
    Ok(manifest.replacen(old, &table, 1))
}

/// Whether the manifest's features are exactly what [`update`] would write: `Err` says what
/// differs.
pub fn check_manifest(manifest: &str, dir: &Path) -> Result<(), String> {
    let expected = update(manifest, dir, &[])?;
    if expected == manifest {
        Ok(())
    } else {
        let have = section(manifest).unwrap_or_default();
        let want = section(&expected).unwrap_or_default();
        Err(format!(
            "the [features] table does not match the group folders (run `opengate import`):\n--- has\n{have}--- expected\n{want}"
        ))
    }
}
