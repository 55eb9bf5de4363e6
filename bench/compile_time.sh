#!/usr/bin/env bash
# Compile time and peak memory of the generated crate for N APIs, against the same APIs generated
# by progenitor from the equivalent OpenAPI document, measured in one run.
#
# usage: bench/compile_time.sh [N] [--real] [--smoke]   (default 1000; needs network access to
#        crates.io for progenitor). The APIs are synthetic (bench/synth_specs.py), or with --real a
#        fixed-seed sample of the shipped Taobao specs and `opengate openapi`'s document of them
#        (bench/real_specs.py).
#        --smoke is what CI runs on a tiny N, so that the script cannot rot: both inputs are
#        written (specs and the OpenAPI document), the opengate side is measured in the
#        repository's own target directory with the debug CLI, and progenitor's side is skipped
#        (compiling progenitor takes minutes; its scratch crate is the part not exercised).
#
# Both sides are measured the same way: dependencies are compiled first, then we time the build
# script (code generation) plus the crate itself, for `cargo check` and for `cargo build`.
set -euo pipefail
N=1000
REAL=
SMOKE=
for arg in "$@"; do
  case $arg in
    --real) REAL=1 ;;
    --smoke) SMOKE=1 ;;
    *) N=$arg ;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${OPENGATE_BENCH_DIR:-/tmp/opengate-compile-bench}
mkdir -p "$WORK"
SPECS="$WORK/specs-$N"
rm -rf "$SPECS"
if [ -n "$REAL" ]; then
  profile=$([ -n "$SMOKE" ] && echo debug || echo release)
  (cd "$ROOT" && cargo build -q --profile "$([ "$profile" = debug ] && echo dev || echo release)" -p opengate-cli)
  python3 "$ROOT/bench/real_specs.py" "$N" "$SPECS" --openapi "$WORK/openapi-$N.json" --cli "$ROOT/target/$profile/opengate"
else
  python3 "$ROOT/bench/synth_specs.py" "$N" "$SPECS" --openapi "$WORK/openapi-$N.json"
fi

measure() { # label, dir, command...
  local label=$1 dir=$2; shift 2
  (cd "$dir" && /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/err.log") || { cat "$WORK/err.log"; exit 1; }
  local secs kib
  read -r secs kib < "$WORK/time.txt"
  printf '| %s | %s s | %d MiB |\n' "$label" "$secs" $((kib / 1024))
}

# --- opengate
[ -n "$SMOKE" ] || export CARGO_TARGET_DIR="$WORK/target-opengate"
(cd "$ROOT" && OPENGATE_SPECS="$ROOT/specs" cargo check -q -p opengate-apis --no-default-features && OPENGATE_SPECS="$ROOT/specs" cargo build -q -p opengate-apis --no-default-features)
echo "| what ($N APIs) | wall time | peak RSS |"
echo "|---|---|---|"
measure "opengate: cargo check -p opengate-apis" "$ROOT" env OPENGATE_SPECS="$SPECS" cargo check -q -p opengate-apis --no-default-features
measure "opengate: cargo build -p opengate-apis" "$ROOT" env OPENGATE_SPECS="$SPECS" cargo build -q -p opengate-apis --no-default-features
if [ -n "$SMOKE" ]; then
  # The OpenAPI document progenitor would read must be one.
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["openapi"].startswith("3.0") and d["paths"], "no paths"' "$WORK/openapi-$N.json"
  exit 0
fi

# --- progenitor (a scratch crate outside the repository)
PROG="$WORK/progenitor-client"
mkdir -p "$PROG/src"
cat > "$PROG/Cargo.toml" <<TOML
[package]
name = "progenitor-bench"
version = "0.1.0"
edition = "2021"
[dependencies]
progenitor-client = "0.15"
reqwest = { version = "0.13", default-features = false, features = ["json", "stream", "query", "form"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
futures-core = "0.3"
[build-dependencies]
progenitor = "0.15"
openapiv3 = "2"
serde_json = "1"
prettyplease = "0.2"
syn = "2"
[workspace]
TOML
cat > "$PROG/build.rs" <<'RS'
fn main() {
    let src = std::env::var("OPENAPI_DOC").unwrap();
    println!("cargo:rerun-if-changed={src}");
    println!("cargo:rerun-if-env-changed=OPENAPI_DOC");
    let spec: openapiv3::OpenAPI = serde_json::from_reader(std::fs::File::open(&src).unwrap()).unwrap();
    let tokens = progenitor::Generator::default().generate_tokens(&spec).unwrap();
    let file: syn::File = syn::parse2(tokens).unwrap();
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("codegen.rs");
    std::fs::write(out, prettyplease::unparse(&file)).unwrap();
}
RS
echo 'include!(concat!(env!("OUT_DIR"), "/codegen.rs"));' > "$PROG/src/lib.rs"
# The same debug-info settings as this repository's builds, so `cargo build` compares like with like.
mkdir -p "$PROG/.cargo" && cp "$ROOT/.cargo/config.toml" "$PROG/.cargo/config.toml"
python3 - "$WORK/tiny.json" <<'PY'
import json, sys
json.dump({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}, open(sys.argv[1], "w"))
PY
export CARGO_TARGET_DIR="$WORK/target-progenitor"
(cd "$PROG" && OPENAPI_DOC="$WORK/tiny.json" cargo check -q && OPENAPI_DOC="$WORK/tiny.json" cargo build -q)
measure "progenitor: cargo check" "$PROG" env OPENAPI_DOC="$WORK/openapi-$N.json" cargo check -q
measure "progenitor: cargo build" "$PROG" env OPENAPI_DOC="$WORK/openapi-$N.json" cargo build -q
