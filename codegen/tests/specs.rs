//! The generator on broken specs (snapshots of every diagnostic), determinism, and random YAML.
//!
//! Snapshots are `tests/bad/<case>.diag`; bless with `OPENGATE_BLESS=1 cargo test -p opengate-codegen`.

use opengate_codegen::{spec, Config, Diagnostics};
use proptest::prelude::*;

mod layout;
use std::path::{Path, PathBuf};

const PLATFORM: &str =
    "platform: demo\nprotocol: youzan\nhosts:\n  default: https://example.invalid\n";

fn corpus_with(case_file: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("demo");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("platform.yaml"), PLATFORM).unwrap();
    std::fs::write(p.join(case_file), text).unwrap();
    dir
}

#[test]
fn broken_specs_report_every_error_with_position() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let bless = std::env::var_os("OPENGATE_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "at least 25 broken specs");
    let mut failures = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        let dir = corpus_with(&name, &std::fs::read_to_string(&case).unwrap());
        let diags = match Config::new().generate(dir.path()) {
            Ok(_) => panic!("{name}: a broken spec was accepted"),
            Err(d) => d,
        };
        let text = format!("{diags}\n");
        for d in diags.iter() {
            assert!(d.pos.line >= 1 && d.pos.col >= 1, "{name}: {d}");
            assert_eq!(
                &*d.pos.file,
                format!("specs/demo/{name}"),
                "{name}: errors name the file"
            );
        }
        let snap = case.with_extension("diag");
        if bless {
            std::fs::write(&snap, &text).unwrap();
        } else if std::fs::read_to_string(&snap).ok().as_deref() != Some(text.as_str()) {
            failures.push(format!("{name}:\n{text}"));
        }
    }
    assert!(
        failures.is_empty(),
        "diagnostics differ from the snapshots (OPENGATE_BLESS=1 to accept):\n{}",
        failures.join("\n")
    );
}

#[test]
fn many_errors_are_reported_at_once() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/26_many_errors_at_once.yaml"),
    )
    .unwrap();
    let dir = corpus_with("x.yaml", &text);
    let d: Diagnostics = Config::new().generate(dir.path()).unwrap_err();
    assert!(d.len() >= 5, "{d}");
}

#[test]
fn output_is_deterministic() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let (a, _) = Config::new().generate(&specs).unwrap();
    let (b, _) = Config::new().generate(&specs).unwrap();
    assert_eq!(a, b);
    // The same specs in a folder with another name and file order give the same code.
    let copy = tempfile::tempdir().unwrap();
    for entry in walk(&specs) {
        let rel = entry.strip_prefix(&specs).unwrap();
        let to = copy.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &to).unwrap();
    }
    let (c, _) = Config::new().generate(copy.path()).unwrap();
    assert_eq!(a, c);
    // The same on one thread as on many.
    let (d, _) = Config::new().threads(1).generate(&specs).unwrap();
    let (e, _) = Config::new().threads(5).generate(&specs).unwrap();
    assert_eq!(a, d);
    assert_eq!(a, e);
    assert!(a.iter().all(|f| f.text.starts_with("// @generated")));
}

/// A part type written alike by two APIs (its nested types too) is the first's, re-exported by
/// the second; one that differs only in a nested type, or has an `enum:` field, is not.
#[test]
fn part_types_written_alike_are_emitted_once() {
    let api = |name: &str, item: &str, kind: &str| {
        format!(
            "  - name: {name}\n    version: \"1.0\"\n    auth: user\n    method: POST\n    response:\n      \
             type: object\n      fields:\n        - name: data\n          type: object\n          fields:\n            \
             - {{name: list, type: array, items: {item}}}\n            - {{name: kind, {kind}}}\n        \
             - {{name: extra, type: object, fields: [{{name: a, type: long}}, {{name: b, type: array, items: {{c: string}}}}]}}\n"
        )
    };
    let same = "{id: long, title: string}";
    let enum_kind = "type: string, enum: [A, B]";
    let text = [
        "apis:\n".to_owned(),
        api("demo.a.get", same, "type: string"),
        api("demo.b.get", same, "type: string"),
        api("demo.c.get", "{id: long, title: long}", "type: string"),
        api("demo.d.get", same, enum_kind),
        api("demo.e.get", same, enum_kind),
    ]
    .concat();
    let dir = corpus_with("apis.yaml", &text);
    let (files, _) = Config::new().generate(dir.path()).unwrap();
    let code = &files.iter().find(|f| f.name == "demo.rs").unwrap().text;
    let module = |m: &str| {
        let start = code.find(&format!("pub mod {m} {{")).unwrap();
        let end = code[start..].find("\n}\n").unwrap();
        &code[start..start + end]
    };
    let reexports = |m: &str| -> Vec<&str> {
        module(m)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub use super::"))
            .collect()
    };
    assert!(
        reexports("a_get_v1_0").is_empty(),
        "the first defines its own"
    );
    assert_eq!(
        reexports("b_get_v1_0"),
        [
            "a_get_v1_0::ResponseData;",
            "a_get_v1_0::ResponseDataListItem;",
            "a_get_v1_0::ResponseExtra;",
            "a_get_v1_0::ResponseExtraBItem;"
        ]
    );
    // A nested type differs: it and its parent are c's own; the rest is shared.
    assert_eq!(
        reexports("c_get_v1_0"),
        [
            "a_get_v1_0::ResponseExtra;",
            "a_get_v1_0::ResponseExtraBItem;"
        ]
    );
    // An enum field keeps its type (and the enum) in its module; its list items are shared.
    assert_eq!(
        reexports("e_get_v1_0"),
        [
            "a_get_v1_0::ResponseDataListItem;",
            "a_get_v1_0::ResponseExtra;",
            "a_get_v1_0::ResponseExtraBItem;"
        ]
    );
    assert!(module("e_get_v1_0").contains("pub struct ResponseData {"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn tricky_names_generate_valid_distinct_rust() {
    let text = r#"
apis:
  - name: demo.type.get
    version: "1"
    auth: user
    method: POST
    params:
      - {name: type, type: string, required: true}
      - {name: self, type: int}
      - {name: userId, type: string}
      - {name: user_id, type: string}
      - {name: 9lives, type: boolean}
      - {name: new, type: string}
      - {name: 中文, type: string}
    response: {ref: string, data: {Type: int, type: int}, list: [{a: string}]}
  - {name: demo.type.get, version: "2", auth: user, method: POST}
  - {name: demo.typeGet, version: "1", auth: user, method: POST}
"#;
    let dir = corpus_with("x.yaml", text);
    let (files, _) = Config::new().generate(dir.path()).unwrap();
    let code = &files.iter().find(|f| f.name == "demo.rs").unwrap().text;
    syn::parse_file(code).expect("valid Rust");
    for needle in [
        "pub r#type: String",
        "self_",
        "user_id_2",
        "n9lives",
        "pub mod type_get_v1",
        "pub mod type_get_v2",
        "pub mod type_get_v1_2",
        "__rt::put_opt(&mut m, \"中文\", &self.field)",
    ] {
        assert!(code.contains(needle), "missing `{needle}` in:\n{code}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_yaml_never_panics_and_never_emits_invalid_rust(src in any_yaml()) {
        let mut corpus = spec::Corpus::default();
        let mut diags = Diagnostics::default();
        spec::load_source(&src, Path::new("demo/x.yaml"), "specs/demo/x.yaml".into(), &mut corpus, &mut diags);
        let dir = corpus_with("x.yaml", &src);
        if let Ok((files, _)) = Config::new().generate(dir.path()) {
            for f in files {
                let parsed = syn::parse_file(&f.text);
                prop_assert!(parsed.is_ok(), "{}", f.text);
                // Laid out as prettyplease would (the emitter writes text directly).
                let text = f.text.strip_prefix(opengate_codegen::HEADER).unwrap_or_default();
                let layout = layout::check(text, 1);
                prop_assert!(layout.is_ok(), "{}", layout.unwrap_err());
            }
        }
    }
}

/// YAML-ish text built from spec keywords, so that many inputs get past the parser.
fn any_yaml() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("name"),
        Just("version"),
        Just("auth"),
        Just("method"),
        Just("params"),
        Just("response"),
        Just("type"),
        Just("path"),
        Just("in"),
        Just("required"),
        Just("x")
    ];
    let scalar = prop_oneof![
        Just("a.b".to_owned()),
        Just("\"1\"".to_owned()),
        Just("user".to_owned()),
        Just("POST".to_owned()),
        Just("string".to_owned()),
        Just("/p/{id}".to_owned()),
        Just("true".to_owned()),
        Just("[".to_owned()),
        Just("{x: int}".to_owned()),
        "[a-z{}:\\[\\], \"'-]{0,12}"
    ];
    prop::collection::vec((0usize..3, key, scalar), 0..12).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(indent, k, v)| format!("{}{k}: {v}\n", "  ".repeat(indent)))
            .collect()
    })
}
