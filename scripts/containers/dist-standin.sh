#!/usr/bin/env bash
# STAND-IN FOR `make dist` (issue 17). Delete this script, and its callers' use of it,
# once `make dist` exists: the container images only need `make dist`'s output in dist/.
#
#   scripts/containers/dist-standin.sh [x64|arm64]        (default x64)
#
# Builds the two packages the container tests install, with the names issue 17 gives them:
#   dist/edgemodule-<ver>-linux-<x64|arm64>.tar.gz                C: lib/ (so, a, pkgconfig, cmake), include/
#   dist/edgemodule-<ver>-cp39-abi3-manylinux_*_<x86_64|aarch64>.whl   Python (maturin, release)
# arm64 is cross-compiled (scripts/install-deps.sh arm: the Rust target, gcc-aarch64-linux-gnu).
# When dist/ already holds both, newer than the sources they are built from, it does nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="$ROOT/dist"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)"
ARCH="${1:-x64}"
case "$ARCH" in
    x64) TRIPLE="" WHEEL_ARCH=x86_64 ;;
    arm64) TRIPLE=aarch64-unknown-linux-gnu WHEEL_ARCH=aarch64 ;;
    *) echo "dist-standin: unknown architecture $ARCH (x64, arm64)" >&2; exit 2 ;;
esac
C_TARBALL="$DIST/edgemodule-$VERSION-linux-$ARCH.tar.gz"
WHEELS="$DIST/edgemodule-$VERSION-cp39-abi3-manylinux_*_$WHEEL_ARCH.whl"
mkdir -p "$DIST"

have_wheel() { compgen -G "$WHEELS" >/dev/null; }
# Sources newer than the tarball: the packages are rebuilt.
changed() {
    (cd "$ROOT" && find Cargo.toml Cargo.lock core bindings-common bindings-c bindings-python \
        -path bindings-python/.venv -prune -o -path bindings-python/dist -prune -o \
        -type f -newer "$C_TARBALL" -print -quit | grep -q .)
}
if [[ -f "$C_TARBALL" ]] && have_wheel && ! changed && [[ "${DIST_STANDIN_FORCE:-0}" != 1 ]]; then
    echo "dist-standin: dist/ already has the $ARCH C tarball and wheel, newer than their sources"
    exit 0
fi

target_dir="$ROOT/target"
if [[ -n "$TRIPLE" ]]; then
    bash "$ROOT/scripts/install-deps.sh" arm >&2
    export CARGO_BUILD_TARGET="$TRIPLE"
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
    export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
    target_dir="$ROOT/target/$TRIPLE"
fi

echo "dist-standin: building the $ARCH C tarball (stand-in for make dist)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
make -s -C "$ROOT/bindings-c" install PREFIX=/usr/local DESTDIR="$stage" PROFILE=release \
    TARGET_DIR="$target_dir" >/dev/null
top="edgemodule-$VERSION-linux-$ARCH"
mv "$stage/usr/local" "$stage/$top"
tar -C "$stage" --owner=0 --group=0 -czf "$C_TARBALL" "$top"

echo "dist-standin: building the $ARCH Python wheel (stand-in for make dist)"
rm -f $WHEELS
if [[ -n "$TRIPLE" ]]; then
    make -s -C "$ROOT/bindings-python" venv >/dev/null
    (cd "$ROOT/bindings-python" && .venv/bin/maturin build --quiet --release --target "$TRIPLE" --out "$stage/wheel")
    cp "$stage"/wheel/edgemodule-"$VERSION"-cp39-abi3-manylinux_*_"$WHEEL_ARCH".whl "$DIST/"
else
    make -s -C "$ROOT/bindings-python" wheel >/dev/null
    cp "$ROOT"/bindings-python/dist/edgemodule-"$VERSION"-cp39-abi3-manylinux_*_x86_64.whl "$DIST/"
fi
ls -l "$DIST"
