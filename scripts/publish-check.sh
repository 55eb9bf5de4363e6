#!/usr/bin/env bash
# What `cargo publish` checks, for every crate, before any of them is on crates.io.
#
# `cargo publish --dry-run` resolves a crate's dependencies on crates.io, so in a workspace of
# crates that depend on each other it can only pass for the ones that depend on no other
# (cargo's intended behaviour: rust-lang/cargo's dry run does not see its siblings). Those get a
# real dry run. Every crate is then packaged with `cargo package --workspace`, which builds each
# unpacked package on its own, in dependency order, against the others through a local registry:
# what the registry would build. The lockfile is left out because generating it resolves on
# crates.io too (the catalog's test harness, `publish = false`, is not a package). Finally each
# `.crate` must stay under crates.io's 10 MB.
#
# The leaves' dry runs skip the build (`--no-verify`): the workspace packaging below builds the
# same packages from the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
for leaf in opengate-server opengate-redact opengate-config opengate-codegen; do
  cargo publish -p "$leaf" --dry-run --allow-dirty --no-verify
done
#
# The packages are built in a target directory of their own, new on every run: cargo unpacks
# the local registry's crates under ~/.cargo/registry/src/<hash of the registry's path>/ and
# reuses an unpacked crate of the same name and version without looking at its contents, so a
# second run at the same path (a CI machine that clones into one place) built the new crates
# against the previous run's opengate-codegen. What this run unpacked there is removed with it.
mkdir -p target
out=$(mktemp -d target/publish-check.XXXXXX)
src="${CARGO_HOME:-$HOME/.cargo}/registry/src"
before=$(ls -a "$src" 2>/dev/null || true)
cleanup() {
  rm -rf "$out"
  # A local registry's folder is named "-<hash>"; crates.io's are left alone.
  for dir in $(comm -13 <(echo "$before" | sort) <(ls -a "$src" 2>/dev/null | sort)); do
    case "$dir" in -*) rm -rf "${src:?}/$dir" ;; esac
  done
}
trap cleanup EXIT
# The build's intermediate files go to the workspace's own build directory: the unpacked packages
# are crates of the local registry (their own package ids), and the crates.io dependencies that
# `cargo test` already built with the same features are reused.
CARGO_BUILD_BUILD_DIR="$PWD/target" cargo package --workspace --exclude opengate-catalog-tests --exclude-lockfile --allow-dirty --target-dir "$out"
limit=$((10 * 1000 * 1000))
status=0
for crate in "$out"/package/*.crate; do
  size=$(stat -c %s "$crate")
  printf '%-40s %10d bytes\n' "$(basename "$crate")" "$size"
  if [ "$size" -ge "$limit" ]; then
    echo "$crate: $size bytes, over crates.io's 10 MB" >&2
    status=1
  fi
done
exit $status
