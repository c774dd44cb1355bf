#!/usr/bin/env bash
# `make dist` for ARCH... (x64, arm64, arm) unless dist/ already holds those architectures'
# packages, newer than every source they are built from. For the container tests, which
# install the C tarball and the wheel from dist/.
#
#   scripts/dist/ensure.sh [ARCH...]        (default x64)
#   DIST_FORCE=1 ...                        rebuild anyway
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/dist/arches.sh
. "$ROOT/scripts/dist/arches.sh"
VERSION="$(dist_version)"
ARCHES=("${@:-x64}")
SUMS="$ROOT/dist/SHA256SUMS"

fresh() {
  [ -f "$SUMS" ] && [ "${DIST_FORCE:-0}" != 1 ] || return 1
  local arch
  for arch in "${ARCHES[@]}"; do
    arch_vars "$arch"
    grep -q " edgemodule-$VERSION-linux-$arch.tar.gz\$" "$SUMS" || return 1
    grep -q " edgemodule-$VERSION-cp39-abi3-manylinux_.*_$WHEEL_ARCH.whl\$" "$SUMS" || return 1
  done
  # A source newer than the checksums: rebuild.
  ! (cd "$ROOT" && find Cargo.toml Cargo.lock core hub bindings-common bindings-c bindings-python bindings-node \
    bindings-java bindings-dotnet scripts/dist \
    \( -name .venv -o -name node_modules -o -name target -o -name dist -o -name __pycache__ \) -prune -o \
    -type f -newer "$SUMS" -print -quit | grep -q .)
}

if fresh; then
  echo "dist: dist/ has the packages for ${ARCHES[*]}, newer than their sources"
  exit 0
fi
# The architectures already in dist/ are kept.
have=()
for arch in $DIST_ALL_ARCHES; do
  if [[ " ${ARCHES[*]} " == *" $arch "* ]] || { [ -f "$SUMS" ] && grep -q " edgemodule-$VERSION-linux-$arch.tar.gz\$" "$SUMS"; }; then
    have+=("$arch")
  fi
done
DIST_ARCHES="${have[*]}" bash "$ROOT/scripts/dist/build.sh"
