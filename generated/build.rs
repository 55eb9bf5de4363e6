//! Generates the typed APIs from `../specs` (or `$OPENGATE_SPECS`) into `OUT_DIR`.

use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-env-changed=OPENGATE_SPECS");
    let specs = std::env::var_os("OPENGATE_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../specs"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    // A platform folder with a declared feature is generated only when that feature is on;
    // a folder with no feature of its own (a platform you just added) is always generated.
    let declared = declared_features(&manifest);
    let enabled = |name: &str| {
        !declared.iter().any(|f| f == name)
            || std::env::var_os(format!("CARGO_FEATURE_{}", name.to_ascii_uppercase())).is_some()
    };
    let platforms: Vec<String> = std::fs::read_dir(&specs)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| enabled(n))
                .collect()
        })
        .unwrap_or_default();

    // Folders too: adding or deleting a spec changes the folder's mtime.
    emit_rerun(&specs);
    match opengate_codegen::Config::new()
        .display_root("specs")
        .platforms(platforms)
        .compile(&specs, &out)
    {
        Ok(files) => {
            for f in files {
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

fn emit_rerun(dir: &std::path::Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                emit_rerun(&e.path());
            }
        }
    }
}

fn declared_features(manifest: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest.join("Cargo.toml")).unwrap_or_default();
    let mut in_features = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features {
            if let Some((name, _)) = line.split_once('=') {
                out.push(name.trim().to_owned());
            }
        }
    }
    out
}
