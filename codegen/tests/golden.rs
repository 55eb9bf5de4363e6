//! Golden files of generated code. Bless with `OPENGATE_BLESS=1 cargo test -p opengate-codegen --test golden`;
//! `tests/goldens_compile.rs` compiles the goldens with `#![deny(warnings)]`.

use std::path::Path;

#[test]
fn generated_code_matches_the_goldens() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let (files, _) = opengate_codegen::Config::new()
        .generate(dir.join("specs"))
        .expect("golden specs are valid");
    let bless = std::env::var_os("OPENGATE_BLESS").is_some();
    let mut stale = Vec::new();
    for f in files.iter().filter(|f| f.name != "opengate_apis.rs") {
        let path = dir.join(&f.name);
        if bless {
            std::fs::write(&path, &f.text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(f.text.as_str()) {
            stale.push(f.name.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "generated code differs from the goldens {stale:?} (OPENGATE_BLESS=1 to accept)"
    );
}
