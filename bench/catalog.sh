#!/usr/bin/env bash
# The compile budget at real scale, on the shipped catalog (docs/PERFORMANCE.md, "The whole catalog").
# Each row is a `cargo check` (or `cargo doc`) of platform crates whose build scripts run again
# (generating the code) with dependencies built, timed with GNU time for wall clock and peak
# memory of the largest process, and sampling every 0.2 s the summed memory of all compiler and
# build-script processes (cargo runs the part crates side by side), in one run on this machine:
#   load       `opengate check` (release) of every shipped spec: load, validate
#   default    the facade's default features (every platform's default groups)
#   group      Taobao's default groups plus one more: tbk (48 APIs)
#   full       every Taobao group (5,328 APIs: the platform crate and its part crates)
#   default-serde, full-serde   the same two with the generated crates' `serde` feature
#   doc        `cargo doc` of opengate-taobao's largest part crate with every group, then of
#              opengate-taobao itself with every group (what docs.rs builds for each)
# Usage: bench/catalog.sh [--smoke] [rows...]   (default: all). Needs GNU time (/usr/bin/time).
#   --smoke  what CI runs so that the script cannot rot: `load` with the debug CLI, and every other
#            row's crates and features resolved by `cargo tree` instead of compiled (minutes each).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=0
smoke=
if [ "${1:-}" = --smoke ]; then
  smoke=1
  shift
fi
rows=${*:-"load default group full doc"}
# `cargo check|doc ARGS`, or in a smoke run the same packages and features resolved only.
cargo_() {
  if [ -n "$smoke" ]; then
    shift
    local args=()
    for a in "$@"; do
      case $a in -q | --no-deps) ;; *) args+=("$a") ;; esac
    done
    cargo tree -q -e normal "${args[@]}" >/dev/null
  else
    cargo "$@"
  fi
}
measure() { # label, command...
  local label=$1; shift
  if [ -n "$smoke" ]; then
    "$@"
    printf '%-32s resolved\n' "$label"
    return
  fi
  [ "$1" != cargo_ ] || { shift; set -- cargo "$@"; }
  # The build scripts run again (generating the code) and the crates compile; dependencies and
  # the build scripts themselves are built (a first build also compiles the build scripts: about
  # a second each, see docs/PERFORMANCE.md).
  find specs -name platform.yaml -exec touch {} +
  ( set +eo pipefail; while :; do ps -C rustc,rustdoc,build-script-build -o rss= | awk '{t+=$1} END {print t+0}'; sleep 0.2; done ) >/tmp/opengate-bench.rss &
  local sampler=$!
  /usr/bin/time -f "%e %M %U %S" -o /tmp/opengate-bench.time "$@" >/dev/null 2>&1 || { kill $sampler || true; echo "$label: failed"; [ -z "$smoke" ] || exit 1; return; }
  kill $sampler || true
  read -r secs kb user sys < /tmp/opengate-bench.time
  local sum; sum=$(sort -n /tmp/opengate-bench.rss | tail -1)
  printf '%-32s %8.1f s (CPU %6.1f s) %8.2f GiB largest %8.2f GiB all\n' "$label" "$secs" "$(echo "$user+$sys" | bc -l)" "$(echo "$kb/1048576" | bc -l)" "$(echo "$sum/1048576" | bc -l)"
}
for row in $rows; do
  case $row in
    load)
      profile=$([ -n "$smoke" ] && echo debug || echo release)
      cargo build -q --profile "$([ "$profile" = debug ] && echo dev || echo release)" -p opengate-cli
      /usr/bin/time -f "%e %M" -o /tmp/opengate-bench.time "target/$profile/opengate" check >/dev/null
      read -r secs kb < /tmp/opengate-bench.time
      printf '%-28s %8.2f s %8.2f GiB\n' "load+validate all specs" "$secs" "$(echo "$kb/1048576" | bc -l)" ;;
    default) cargo_ check -q -p opengate-apis; measure "check default (facade)" cargo_ check -p opengate-apis ;;
    group) cargo_ check -q -p opengate-taobao --features tbk; measure "check taobao default+tbk" cargo_ check -p opengate-taobao --features tbk ;;
    full) cargo_ check -q -p opengate-taobao --features full; measure "check taobao full" cargo_ check -p opengate-taobao --features full ;;
    default-serde) cargo_ check -q -p opengate-apis --features serde; measure "check default (facade) +serde" cargo_ check -p opengate-apis --features serde ;;
    full-serde) cargo_ check -q -p opengate-taobao --features full,serde; measure "check taobao full +serde" cargo_ check -p opengate-taobao --features full,serde ;;
    doc)
      # The largest part by spec bytes: the one docs.rs takes longest over.
      part=$(du -s specs/taobao/part*/ | sort -n | tail -1 | cut -f2 | xargs basename)
      cargo_ check -q -p opengate-taobao --features full
      measure "doc taobao $part full" cargo_ doc --no-deps -p "opengate-taobao-$part" --features full
      measure "doc taobao full" cargo_ doc --no-deps -p opengate-taobao --features full ;;
  esac
done
