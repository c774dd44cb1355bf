#!/usr/bin/env bash
# The Python wheel of ARCH (default arm64) in a Debian bookworm rootfs of that architecture
# (`make test-dist-rootfs`): mmdebstrap builds the rootfs under binfmt qemu (cached in
# target/dist-tests/rootfs-ARCH-KEY/, keyed by the recipe), pip installs the wheel from dist/ into a venv in
# it, and a chrooted, emulated Python runs a round trip against the x64 hub from dist/. The
# hub's state directory (the module's workload socket) is bind-mounted at the same path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARCH="${1:-arm64}"
arch_vars "$ARCH"
case "$ARCH" in arm64) DEB_ARCH=arm64 ;; arm) DEB_ARCH=armhf ;; *) echo "rootfs: no rootfs for $ARCH" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "rootfs: needs root (mmdebstrap, chroot, mount --bind)" >&2; exit 1; }
bash "$ROOT/scripts/install-deps.sh" --check arm containers
MMDEBSTRAP=(mmdebstrap --variant=minbase --arch="$DEB_ARCH" --include=python3,python3-venv,ca-certificates
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' bookworm)
KEY="$(printf '%s\n' "${MMDEBSTRAP[@]}" | sha256sum | cut -c1-12)"
CACHE="$ROOT/target/dist-tests/rootfs-$ARCH-$KEY"
WORK="$ROOT/target/dist-tests/rootfs-$ARCH"
LOGS="$WORK/logs"
start=$SECONDS
if [ ! -d "$CACHE" ]; then
  echo "rootfs: mmdebstrap bookworm ($DEB_ARCH) into ${CACHE#"$ROOT"/}"
  rm -rf "$ROOT"/target/dist-tests/rootfs-"$ARCH"-*/
  mkdir -p "$(dirname "$CACHE")"
  rm -rf "$CACHE.part"
  "${MMDEBSTRAP[@]}" --format=directory "$CACHE.part" >"$CACHE.log" 2>&1 || { tail -n 20 "$CACHE.log" >&2; exit 1; }
  mv "$CACHE.part" "$CACHE"
  echo "rootfs: made in $((SECONDS - start)) s"
fi
MOUNTED=""
cleanup() {
  stop_hubs
  [ -z "$MOUNTED" ] || umount "$MOUNTED" || true
}
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$WORK/root" "$LOGS"
cp -a "$CACHE/." "$WORK/root/"
wheel="$(ls "$DIST"/edgemodule-"$VERSION"-cp39-abi3-manylinux_*_"$WHEEL_ARCH".whl)"
# minbase has no /etc/hosts: the module connects to its gateway host, localhost.
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$WORK/root/etc/hosts"
mkdir -p "$WORK/root/test"
cp "$wheel" "$ROOT/tests/dist/roundtrip.py" "$WORK/root/test/"
chroot "$WORK/root" /usr/bin/python3 -m venv /opt/venv
chroot "$WORK/root" /opt/venv/bin/pip install --disable-pip-version-check --no-index "/test/$(basename "$wheel")"

tar -xzf "$DIST/edgemodule-hub-$VERSION-linux-x64.tar.gz" -C "$WORK"
start_hub "$WORK/edgemodule-hub-$VERSION-linux-x64/bin/edgemodule-hub" "$WORK/hub"
state="$WORK/hub/state"
mkdir -p "$WORK/root$state"
mount --bind "$state" "$WORK/root$state"
MOUNTED="$WORK/root$state"
"$HUB" env roundtrip --admin "$ADMIN" --form workload >"$WORK/root/test/env.sh"
chroot "$WORK/root" /bin/sh -c '. /test/env.sh && cd /test && exec /opt/venv/bin/python roundtrip.py' | tee "$WORK/out"
grep -q "roundtrip: OK $WHEEL_ARCH" "$WORK/out"
echo "rootfs: the $WHEEL_ARCH wheel round trip in a $DEB_ARCH Debian rootfs passed ($((SECONDS - start)) s)"
