#!/usr/bin/env bash
# STAND-IN FOR `make dist` (issue 17). Delete this script, and its callers' use of it,
# once `make dist` exists: the container images only need `make dist`'s output in dist/.
#
# Builds the two packages the container tests install, for linux-x64, with the names
# issue 17 gives them:
#   dist/edgemodule-<ver>-linux-x64.tar.gz                 C: lib/ (so, a, pkgconfig, cmake), include/
#   dist/edgemodule-<ver>-cp39-abi3-manylinux_*_x86_64.whl Python (maturin, release)
# When dist/ already holds both (the real `make dist` ran), it does nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="$ROOT/dist"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)"
C_TARBALL="$DIST/edgemodule-$VERSION-linux-x64.tar.gz"
mkdir -p "$DIST"

have_wheel() { compgen -G "$DIST/edgemodule-$VERSION-cp39-abi3-manylinux_*_x86_64.whl" >/dev/null; }
if [[ -f "$C_TARBALL" ]] && have_wheel && [[ "${DIST_STANDIN_FORCE:-0}" != 1 ]]; then
    echo "dist-standin: dist/ already has the C tarball and the wheel"
    exit 0
fi

echo "dist-standin: building the C tarball (stand-in for make dist)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
make -s -C "$ROOT/bindings-c" install PREFIX=/usr/local DESTDIR="$stage" PROFILE=release >/dev/null
top="edgemodule-$VERSION-linux-x64"
mv "$stage/usr/local" "$stage/$top"
tar -C "$stage" --owner=0 --group=0 -czf "$C_TARBALL" "$top"

echo "dist-standin: building the Python wheel (stand-in for make dist)"
rm -f "$DIST"/edgemodule-*-cp39-abi3-manylinux_*_x86_64.whl
make -s -C "$ROOT/bindings-python" wheel >/dev/null
cp "$ROOT"/bindings-python/dist/edgemodule-"$VERSION"-cp39-abi3-manylinux_*_x86_64.whl "$DIST/"
ls -l "$DIST"
