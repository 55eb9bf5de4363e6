#!/usr/bin/env bash
# What `cargo publish` checks, for every crate, before any of them is on crates.io.
#
# `cargo publish --dry-run` resolves a crate's dependencies on crates.io, so in a workspace of
# crates that depend on each other it can only pass for the ones that depend on no other
# (cargo's intended behaviour: rust-lang/cargo's dry run does not see its siblings). Those get a
# real dry run. Every crate is then packaged with `cargo package --workspace`, which builds each
# unpacked package on its own, in dependency order, against the others through a local registry:
# what the registry would build. The lockfile is left out because generating it resolves on
# crates.io too. Finally each `.crate` must stay under crates.io's 10 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
for leaf in opengate-runtime opengate-codegen; do
  cargo publish -p "$leaf" --dry-run --allow-dirty
done
cargo package --workspace --exclude-lockfile --allow-dirty
limit=$((10 * 1000 * 1000))
status=0
for crate in target/package/*.crate; do
  size=$(stat -c %s "$crate")
  printf '%-40s %10d bytes\n' "$(basename "$crate")" "$size"
  if [ "$size" -ge "$limit" ]; then
    echo "$crate: $size bytes, over crates.io's 10 MB" >&2
    status=1
  fi
done
exit $status
