#!/usr/bin/env bash
# Installs the container tooling the module-image tests use (Debian 12, root): podman,
# buildah, runc, skopeo, mmdebstrap; with `--arm`, also qemu-user-static and binfmt-support,
# and registers qemu with binfmt_misc so ARM images build and run. Idempotent: a second
# run checks and returns in well under a second.
#
# Exit status 0 when the tools are there; 3 when they cannot be installed here (not root,
# no apt-get), so callers can say so loudly and fall back.
set -euo pipefail

want_arm=0
[[ "${1:-}" == "--arm" ]] && want_arm=1

apt_install() {
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "install-tools: cannot install $* (needs root and apt-get)" >&2
        exit 3
    fi
    echo "install-tools: installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
        --no-install-recommends "$@" >/dev/null || {
        apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
            --no-install-recommends "$@" >/dev/null
    }
}

missing=()
for tool in podman buildah runc skopeo mmdebstrap; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) || apt_install podman buildah runc skopeo mmdebstrap uidmap

if ((want_arm)); then
    command -v qemu-aarch64-static >/dev/null 2>&1 && command -v update-binfmts >/dev/null 2>&1 &&
        command -v arch-test >/dev/null 2>&1 ||
        apt_install qemu-user-static binfmt-support arch-test
    if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    fi
    for arch in aarch64 arm; do
        [[ -e /proc/sys/fs/binfmt_misc/qemu-$arch ]] || update-binfmts --enable "qemu-$arch"
    done
fi
