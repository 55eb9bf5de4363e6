//! Writes `typed_calls.rs`: for every API of the platform crates' `default` features, a
//! function that calls its typed method on a client with example values, and `CALLS`, the
//! table of them. `tests/round_trip.rs` runs them against the mock.

#[path = "src/given.rs"]
mod given;

use given::{in_default, Given, GIVEN, PAGES};
use opengate_codegen::{example, ir};
use std::fmt::Write;
use std::path::Path;

fn main() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    println!("cargo:rerun-if-changed={}", specs.display());
    println!("cargo:rerun-if-changed=src/given.rs");
    let (_, corpus) = opengate_codegen::load(&specs, "specs").unwrap_or_else(|d| {
        eprintln!("{d}");
        std::process::exit(1)
    });
    let mut fns = String::new();
    let mut table = String::new();
    let mut n = 0;
    for p in &corpus.platforms {
        let manifest =
            std::fs::read_to_string(specs.join(&p.name).join("Cargo.toml")).unwrap_or_default();
        for api in p.apis.iter().filter(|a| {
            in_default(&manifest, a.group.as_deref())
                && !PAGES.contains(&(p.name.as_str(), a.name.as_str()))
        }) {
            let given = |f: &ir::FieldIr| {
                GIVEN
                    .iter()
                    .find(|(gp, ga, gw, _)| (*gp, *ga, *gw) == (&p.name, &api.name, &f.wire))
                    .map(|(.., v)| match v {
                        Given::Text(t) if f.ty == ir::TyIr::I64 => format!("{t}_i64"),
                        Given::Text(t) => format!("{t:?}"),
                        Given::DouyinCode => "x.douyin_code.as_str()".to_owned(),
                        Given::DoudianRefreshToken => "x.doudian_refresh_token()".to_owned(),
                    })
            };
            let call = example::typed_call(p, api, "c", &given);
            writeln!(
                fns,
                "fn c{n}<'a>(c: &'a ::opengate::Client, x: &'a Ctx) -> Fut<'a> {{\n    \
                 use ::opengate_apis::{}::{} as m;\n    \
                 Box::pin(async move {{ answer({call}.await) }})\n}}",
                p.name, api.module
            )
            .unwrap();
            writeln!(
                table,
                "    ({:?}, {:?}, {:?}, c{n}),",
                p.name, api.name, api.version
            )
            .unwrap();
            n += 1;
        }
    }
    let text = format!(
        "{}{fns}\n/// `(platform, API, version, call)` for every API of the default features.\n\
         pub static CALLS: [(&str, &str, &str, Call); {n}] = [\n{table}];\n",
        opengate_codegen::HEADER
    );
    let out = Path::new(&std::env::var_os("OUT_DIR").unwrap()).join("typed_calls.rs");
    std::fs::write(out, text).unwrap();
}
