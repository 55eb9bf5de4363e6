//! Editing, adding or deleting a spec regenerates the bindings on the next `cargo build`,
//! in a scratch copy of the workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        if name == "target" || name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            copy_tree(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).unwrap();
        }
    }
}

/// `cargo check -p opengate-apis` in the scratch workspace; returns the generated `youzan.rs`.
fn check(ws: &Path, target: &Path) -> String {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--offline", "-q", "-p", "opengate-apis"])
        .current_dir(ws)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("OPENGATE_SPECS")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo check failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let build = target.join("debug/build");
    let newest: PathBuf = std::fs::read_dir(&build)
        .unwrap()
        .map(|e| e.unwrap().path().join("out/youzan.rs"))
        .filter(|p| p.exists())
        .max_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .expect("a generated youzan.rs");
    std::fs::read_to_string(newest).unwrap()
}

#[test]
fn editing_adding_and_deleting_specs_regenerates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch.path().join("ws");
    copy_tree(&root, &ws);
    // Reuse compiled dependencies between runs of this test; the workspace crates rebuild anyway.
    let target = root.join("target/regenerate-test");

    let before = check(&ws, &target);
    assert!(before.contains("pub mod shop_get_v3_0_0"));
    assert!(!before.contains("courier_hint"));

    // Edit: a new optional param.
    let spec = ws.join("specs/youzan/logistics.yaml");
    let text = std::fs::read_to_string(&spec).unwrap().replace(
        "  - {name: tid, type: string, required: true",
        "  - {name: courier_hint, type: string, description: added by the test}\n  - {name: tid, type: string, required: true",
    );
    std::fs::write(&spec, text).unwrap();
    let edited = check(&ws, &target);
    assert!(
        edited.contains("pub courier_hint: Option<String>"),
        "edit regenerated"
    );

    // Add: a new spec file.
    std::fs::write(
        ws.join("specs/youzan/added.yaml"),
        "name: youzan.added.thing.get\nversion: 1.0.0\nauth: user\nmethod: POST\nresponse: {id: long}\n",
    )
    .unwrap();
    let added = check(&ws, &target);
    assert!(
        added.contains("pub mod added_thing_get_v1_0_0"),
        "new file picked up"
    );

    // Delete: a spec file.
    std::fs::remove_file(ws.join("specs/youzan/shop.yaml")).unwrap();
    let deleted = check(&ws, &target);
    assert!(
        !deleted.contains("pub mod shop_get_v3_0_0"),
        "deleted API gone"
    );

    // A broken spec fails the build with path:line:col.
    std::fs::write(
        ws.join("specs/youzan/broken.yaml"),
        "name: x.y\nversion: \"1\"\nauth: user\nmethod: POST\nparams:\n  - {name: a, type: nope}\n",
    )
    .unwrap();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--offline", "-q", "-p", "opengate-apis"])
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("specs/youzan/broken.yaml:6:21: unknown type `nope`"),
        "{err}"
    );
}
