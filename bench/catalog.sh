#!/usr/bin/env bash
# The compile budget at real scale, on the shipped catalog (docs/PERFORMANCE.md, "The whole catalog").
# Each row is a `cargo check` (or `cargo doc`) of platform crates whose build scripts run again
# (generating the code) with dependencies built, timed with GNU time for wall clock and peak
# memory (of the largest process), in one run on this machine:
#   load       `opengate check` (release) of every shipped spec: load, validate
#   default    the facade's default features (every platform's default groups)
#   group      Taobao's default groups plus one more: tbk (48 APIs)
#   full       every Taobao group (5,328 APIs)
#   doc        `cargo doc` of opengate-taobao with every group (what docs.rs builds)
# Usage: bench/catalog.sh [rows...]   (default: all). Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=0
rows=${*:-"load default group full doc"}
measure() { # label, command...
  local label=$1; shift
  # The build script runs again (generating the code) and the crate compiles; dependencies are built.
  touch specs/*/build.rs
  /usr/bin/time -f "%e %M" -o /tmp/opengate-bench.time "$@" >/dev/null 2>&1 || { echo "$label: failed"; return; }
  read -r secs kb < /tmp/opengate-bench.time
  printf '%-28s %8.1f s %8.2f GiB\n' "$label" "$secs" "$(echo "$kb/1048576" | bc -l)"
}
for row in $rows; do
  case $row in
    load)
      cargo build -q --release -p opengate-cli
      /usr/bin/time -f "%e %M" -o /tmp/opengate-bench.time target/release/opengate check >/dev/null
      read -r secs kb < /tmp/opengate-bench.time
      printf '%-28s %8.2f s %8.2f GiB\n' "load+validate all specs" "$secs" "$(echo "$kb/1048576" | bc -l)" ;;
    default) cargo check -q -p opengate-apis; measure "check default (facade)" cargo check -p opengate-apis ;;
    group) cargo check -q -p opengate-taobao --features tbk; measure "check taobao default+tbk" cargo check -p opengate-taobao --features tbk ;;
    full) cargo check -q -p opengate-taobao --features full; measure "check taobao full" cargo check -p opengate-taobao --features full ;;
    doc) measure "doc taobao full" cargo doc --no-deps -p opengate-taobao --features full ;;
  esac
done
