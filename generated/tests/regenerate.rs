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

/// Where these builds go: the target directory of trybuild's project for `tests/compile_fail.rs`,
/// which cargo runs just before this file, checked with the flags trybuild passes
/// (trybuild's `src/cargo.rs` and `src/rustflags.rs`), so the dependencies it checked are reused
/// here instead of checked again (about 100 s of a clean CI run). The match is only for speed:
/// different flags make cargo check the dependencies again, nothing else.
fn target(root: &Path) -> PathBuf {
    root.join("target/tests/trybuild")
}

const TRYBUILD_FLAGS: &str = r#"build.rustflags=["--cfg", "trybuild", "--verbose", "-A", "dead_code", "--diagnostic-width=140"]"#;

/// An empty folder `target/tests/regenerate/<name>`, for one test. Not a temporary directory: the
/// `tempfile` dev-dependency would be a dependency of trybuild's project too, whose features
/// (`bitflags/std`, through `rustix`) would make every dependency here differ from its build.
fn scratch(root: &Path, name: &str) -> PathBuf {
    let dir = root.join("target/tests/regenerate").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `cargo check --offline -q <args>` in `dir`, with `OPENGATE_SPECS` set to `specs` or unset.
fn cargo_check_command(dir: &Path, target: &Path, args: &[&str], specs: Option<&Path>) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["check", "--offline", "-q", "--config", TRYBUILD_FLAGS])
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS");
    match specs {
        Some(specs) => cmd.env("OPENGATE_SPECS", specs),
        None => cmd.env_remove("OPENGATE_SPECS"),
    };
    cmd
}

/// Runs [`cargo_check_command`] and asserts it passed.
fn cargo_check(dir: &Path, target: &Path, args: &[&str], specs: Option<&Path>) {
    let out = cargo_check_command(dir, target, args, specs)
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo check failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The tests share one target directory, and `check` reads the newest generated file in it,
/// so one test's build and read must not interleave with another's.
static TARGET: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `cargo check -p opengate-apis` in the scratch workspace; returns the generated `youzan.rs`.
fn check(ws: &Path, target: &Path) -> String {
    let _target = TARGET.lock().unwrap_or_else(|e| e.into_inner());
    cargo_check(ws, target, &["-p", "opengate-apis"], None);
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
    let ws = scratch(&root, "ws");
    copy_tree(&root, &ws);
    let target = target(&root);

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
    let out = cargo_check_command(&ws, &target, &["-p", "opengate-apis"], None)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("specs/youzan/broken.yaml:6:21: unknown type `nope`"),
        "{err}"
    );
}

/// A specs folder named like a platform crate whose feature is off is generated by the facade
/// itself. It used to be skipped as the crate's, leaving an empty facade (and
/// `bench/compile_time.sh`, which builds one that way, measured nothing).
#[test]
fn a_folder_named_like_a_crate_whose_feature_is_off_is_generated_here() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let specs = scratch(&root, "facade-specs");
    let taobao = specs.join("taobao");
    std::fs::create_dir_all(&taobao).unwrap();
    std::fs::copy(
        root.join("specs/taobao/platform.yaml"),
        taobao.join("platform.yaml"),
    )
    .unwrap();
    std::fs::write(
        taobao.join("probe.yaml"),
        "name: taobao.facade.probe.get\nversion: \"2.0\"\nauth: user\nmethod: POST\nresponse: {probe_id: long}\n",
    )
    .unwrap();
    let target = target(&root);
    let _target = TARGET.lock().unwrap_or_else(|e| e.into_inner());
    cargo_check(
        &root,
        &target,
        &["-p", "opengate-apis", "--no-default-features"],
        Some(&specs),
    );
    // This build's script is the one whose output names this test's specs folder.
    let specs_path = specs.to_string_lossy().into_owned();
    let newest = std::fs::read_dir(target.join("debug/build"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|dir| {
            std::fs::read_to_string(dir.join("output")).is_ok_and(|o| o.contains(&specs_path))
        })
        .map(|dir| dir.join("out/opengate_apis.rs"))
        .expect("the facade's build script ran on this test's specs");
    // The root names what this build generated (OUT_DIR may keep files of earlier builds).
    let root_text = std::fs::read_to_string(&newest).unwrap();
    assert!(
        root_text.contains("pub mod taobao {") && !root_text.contains("opengate_taobao"),
        "the folder was not generated here:\n{root_text}"
    );
    let module = std::fs::read_to_string(newest.with_file_name("taobao.rs")).unwrap();
    assert!(module.contains("pub mod facade_probe_get_v2_0"), "{module}");
}

/// A group in a part crate is used through the platform crate exactly like one of its own:
/// its feature on `opengate-taobao` builds the part, whose modules are re-exported and whose
/// methods are on the accessor; with the feature off they are not there.
#[test]
fn a_group_in_a_part_crate_is_the_platform_crates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let taobao = root.join("specs/taobao");
    // A group of the shipped catalog that lives in a part, and one API of it.
    // (`tbk = ["dep:opengate-taobao-part5", "opengate-taobao-part5/tbk"]`)
    let manifest = std::fs::read_to_string(taobao.join("Cargo.toml")).unwrap();
    let (group, part) = manifest
        .lines()
        .find_map(|line| {
            let (feature, value) = line.split_once(" = ")?;
            let part = value.split('"').find_map(|p| p.strip_prefix("dep:"))?;
            Some((feature.to_owned(), part.to_owned()))
        })
        .expect("opengate-taobao has part crates");
    let folder = taobao
        .join(part.trim_start_matches("opengate-taobao-"))
        .join(&group);
    let spec = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let name = std::fs::read_to_string(&spec)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("name: ").map(str::to_owned))
        .unwrap();
    let version = spec
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .rsplit_once('-')
        .unwrap()
        .1
        .to_owned();
    // The module name, by the generator's rule (checked by the build below).
    let module = format!(
        "{}_v{}",
        name.trim_start_matches("taobao.").replace('.', "_"),
        version.replace('.', "_")
    );
    let user = scratch(&root, "user");
    std::fs::create_dir_all(user.join("src")).unwrap();
    let manifest = |features: &str| {
        format!(
            "[package]\nname = \"user\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n\
             opengate-runtime = {{ path = {root:?} }}\n\
             opengate-taobao = {{ path = {taobao:?}, default-features = false, features = [{features}] }}\n\n\
             [workspace]\n",
            root = root.canonicalize().unwrap(),
            taobao = taobao.canonicalize().unwrap(),
        )
    };
    std::fs::write(user.join("Cargo.toml"), manifest(&format!("\"{group}\""))).unwrap();
    std::fs::write(
        user.join("src/lib.rs"),
        format!(
            "pub fn probe(client: &opengate::Client) {{\n    \
             let _method = opengate_taobao::TaobaoApi::{module};\n    \
             let _data: Option<opengate_taobao::{module}::Response> = None;\n    \
             let _ = opengate_taobao::ClientExt::taobao(client);\n}}\n"
        ),
    )
    .unwrap();
    std::fs::copy(root.join("Cargo.lock"), user.join("Cargo.lock")).unwrap();
    let target = target(&root);
    let _target = TARGET.lock().unwrap_or_else(|e| e.into_inner());
    cargo_check(&user, &target, &[], None);

    std::fs::write(user.join("Cargo.toml"), manifest("")).unwrap();
    let out = cargo_check_command(&user, &target, &[], None)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "{module} is there without its feature"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&module), "{err}");
}
