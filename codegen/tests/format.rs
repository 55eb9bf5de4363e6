//! The emitter writes Rust text in prettyplease's layout without running prettyplease (see
//! `src/emit.rs`). These tests hold it to that: a generated file parses, and prettyplease leaves
//! every unit of it (an item with its docs; a method of the accessor `impl`) unchanged unless the
//! unit has a line of code wider than prettyplease's margin, which the emitter leaves whole.
//! They run over the goldens and a corpus that sweeps every name length across the points where
//! prettyplease's layout changes (89 columns, 34-column struct literals), unit by unit, and over
//! a sample of the project's catalog.

use std::fmt::Write;
use std::path::Path;

mod layout;

/// Checks every `every`th unit of each file, and with `every` = 1 that the whole file parses.
/// The project's catalog (150 MB of text) is sampled: its thousands of APIs repeat the few shapes
/// the goldens and the sweep check unit by unit, and parsing all of it took 123 of this test's
/// 190 s; the whole catalog is compiled by `bench/catalog.sh`.
fn assert_prettyplease_fixed_point(specs: &Path, every: usize) {
    let (files, _) = opengate_codegen::Config::new()
        .generate(specs)
        .unwrap_or_else(|d| panic!("{d}"));
    let mut compared = 0;
    for f in files {
        let text = f
            .text
            .strip_prefix(opengate_codegen::HEADER)
            .expect("header");
        if every == 1 {
            syn::parse_file(text).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        }
        compared += layout::check(text, every).unwrap_or_else(|e| panic!("{}: {e}", f.name));
    }
    assert!(
        compared > 0,
        "no unit fits the margin: the test checked nothing"
    );
}

#[test]
fn project_specs_are_emitted_in_prettyplease_layout() {
    assert_prettyplease_fixed_point(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs"), 5);
}

#[test]
fn golden_specs_are_emitted_in_prettyplease_layout() {
    assert_prettyplease_fixed_point(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/specs"),
        1,
    );
}

/// A wire name of exactly `len` bytes: letters with an underscore now and then.
fn name(prefix: &str, len: usize) -> String {
    let mut s: String = prefix.chars().take(len).collect();
    while s.len() < len {
        let last = s.len() + 1 == len;
        s.push(if s.len() % 7 == 6 && !last { '_' } else { 'x' });
    }
    s
}

#[test]
fn every_name_length_is_emitted_in_prettyplease_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sweep");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("platform.yaml"),
        "platform: sweep\nprotocol: youzan\nhosts:\n  default: https://example.com\n",
    )
    .unwrap();
    let types = [
        "string",
        "int",
        "boolean",
        "price",
        "datetime",
        "json",
        "file",
        "{type: array, items: long}",
    ];
    let mut yaml = String::from("apis:\n");
    for len in 1..=72 {
        let t = types[len % types.len()];
        let (a, b, c) = (name("a", len), name("b", len), name("c", len));
        let api = name("api", len + 3);
        let _ = write!(
            yaml,
            "  - name: sweep.{api}.get\n    version: \"1.0\"\n    method: POST\n    auth: user\n    params:\n\
             \x20     - {{name: {a}, type: {t}, required: true}}\n\
             \x20     - {{name: {b}, type: string, required: {}, in: query}}\n\
             \x20     - {{name: {c}, type: {t}}}\n",
            len % 2 == 0
        );
        if len % 3 == 0 {
            let _ = writeln!(
                yaml,
                "      - {{name: {}, type: {{type: object, fields: [{{name: {a}, type: int, required: true}}]}}, required: true}}",
                name("o", len)
            );
        }
        let _ = writeln!(
            yaml,
            "    response: {{\"{a}\": \"int\", \"{}\": [{{\"{b}\": string}}]}}",
            name("l", len)
        );
        // A response of one short field: the struct literal's 34-column limit.
        let _ = write!(
            yaml,
            "  - name: sweep.{api}.one\n    version: \"2\"\n    method: GET\n    auth: none\n    response: {{\"{}\": int}}\n",
            name("r", len.min(8))
        );
    }
    std::fs::write(root.join("apis.yaml"), &yaml).unwrap();
    assert_prettyplease_fixed_point(dir.path(), 1);
}
