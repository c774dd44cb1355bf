#!/usr/bin/env bash
# Makes the base images the module Dockerfiles start FROM, locally (no registry is
# reachable): ARCH/debian:bookworm-slim from an mmdebstrap rootfs, and a stand-in for
# ARCH/python:3.11-slim-bookworm built on it. ARCH is amd64 (default) or arm64v8 (needs
# qemu registered with binfmt_misc: scripts/install-deps.sh arm).
#
# Cached twice, keyed by the recipe (this script's mmdebstrap command and the stand-in
# Dockerfiles): the rootfs tarball in target/containers/base/, and the images themselves
# (labelled with the key), so a second run costs about a second.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=podman-env.sh
. "$HERE/podman-env.sh"

ARCH="${1:-amd64}"
case "$ARCH" in
    amd64) DEB_ARCH=amd64 PLATFORM=linux/amd64 ;;
    arm64v8) DEB_ARCH=arm64 PLATFORM=linux/arm64 ;;
    arm32v7) DEB_ARCH=armhf PLATFORM=linux/arm/v7 ;;
    *) echo "base-images: unknown architecture $ARCH (amd64, arm64v8, arm32v7)" >&2; exit 2 ;;
esac

MMDEBSTRAP=(mmdebstrap --format=tar --variant=minbase --arch="$DEB_ARCH" --include=ca-certificates
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr bookworm)
KEY="$(printf '%s\n' "${MMDEBSTRAP[@]}" | sha256sum | cut -c1-16)"
PY_KEY="$( { echo "$KEY"; cat "$HERE/base/python.Dockerfile"; } | sha256sum | cut -c1-16)"
CACHE="$ROOT/target/containers/base"
ROOTFS="$CACHE/debian-bookworm-$ARCH-$KEY.tar"
DEBIAN="$ARCH/debian:bookworm-slim"
PYTHON="$ARCH/python:3.11-slim-bookworm"

label_of() { podman image inspect --format '{{index .Labels "io.edgemodule.recipe"}}' "$1" 2>/dev/null || true; }

if [[ "$(label_of "$DEBIAN")" != "$KEY" ]]; then
    if [[ ! -f "$ROOTFS" ]]; then
        echo "base-images: mmdebstrap bookworm ($DEB_ARCH) into $ROOTFS"
        mkdir -p "$CACHE"
        rm -f "$CACHE/debian-bookworm-$ARCH-"*.tar # other recipes' rootfs
        start=$SECONDS
        "${MMDEBSTRAP[@]}" "$ROOTFS.part" >"$CACHE/mmdebstrap-$ARCH.log" 2>&1 || {
            tail -n 20 "$CACHE/mmdebstrap-$ARCH.log" >&2
            exit 1
        }
        mv "$ROOTFS.part" "$ROOTFS"
        echo "base-images: rootfs made in $((SECONDS - start)) s"
    fi
    podman import --quiet --arch "$DEB_ARCH" --change 'CMD ["/bin/bash"]' \
        --change "LABEL io.edgemodule.recipe=$KEY" "$ROOTFS" "$DEBIAN" >/dev/null
    echo "base-images: imported $DEBIAN"
fi

if [[ "$(label_of "$PYTHON")" != "$PY_KEY" ]]; then
    echo "base-images: building the stand-in $PYTHON"
    podman build --pull=never --platform "$PLATFORM" --build-arg "ARCH=$ARCH" \
        --label "io.edgemodule.recipe=$PY_KEY" -t "$PYTHON" \
        -f "$HERE/base/python.Dockerfile" "$HERE/base" >"$CACHE/python-$ARCH.log" 2>&1 || {
        tail -n 20 "$CACHE/python-$ARCH.log" >&2
        exit 1
    }
fi
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^localhost/$ARCH/(debian|python):" || true
