# Sourced by scripts/dist/*.sh and tests/dist/*.sh: the release architectures and their names
# in each ecosystem. `arch_vars ARCH` sets, for ARCH in x64, arm64, arm:
#   TRIPLE       the Rust target            CROSS   the gcc prefix ("" on the x64 host)
#   WHEEL_ARCH   the wheel's machine tag    NODE_PLATFORM / NODE_CPU   napi-rs naming
#   JAVA_ARCH    native/linux-<it>/ in the jar (what the loader maps os.arch to)
#   DOTNET_RID   runtimes/<it>/native in the nupkg
#   ELF_MACHINE  what `readelf -h` prints as Machine    QEMU   the qemu-user binary
#   TARGET_OUT   the cargo output folder of a release build for ARCH
# shellcheck shell=bash
DIST_ALL_ARCHES="x64 arm64 arm"

arch_vars() {
  local root="${ROOT:?}"
  case "$1" in
    x64)
      TRIPLE=x86_64-unknown-linux-gnu CROSS="" WHEEL_ARCH=x86_64 NODE_PLATFORM=linux-x64-gnu
      NODE_CPU=x64 JAVA_ARCH=x86_64 DOTNET_RID=linux-x64 ELF_MACHINE="Advanced Micro Devices X86-64"
      QEMU="" TARGET_OUT="$root/target/release" ;;
    arm64)
      TRIPLE=aarch64-unknown-linux-gnu CROSS=aarch64-linux-gnu- WHEEL_ARCH=aarch64
      NODE_PLATFORM=linux-arm64-gnu NODE_CPU=arm64 JAVA_ARCH=aarch64 DOTNET_RID=linux-arm64
      ELF_MACHINE="AArch64" QEMU="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
      TARGET_OUT="$root/target/$TRIPLE/release" ;;
    arm)
      TRIPLE=armv7-unknown-linux-gnueabihf CROSS=arm-linux-gnueabihf- WHEEL_ARCH=armv7l
      NODE_PLATFORM=linux-arm-gnueabihf NODE_CPU=arm JAVA_ARCH=arm DOTNET_RID=linux-arm
      ELF_MACHINE="ARM" QEMU="qemu-arm-static -L /usr/arm-linux-gnueabihf"
      TARGET_OUT="$root/target/$TRIPLE/release" ;;
    *) echo "unknown architecture '$1' (one of: $DIST_ALL_ARCHES)" >&2; return 2 ;;
  esac
}

# The cross linker and C compilers (ring, sqlite) for cargo and cc-rs; nothing for the host.
cross_env() {
  arch_vars "$1" || return
  [ -n "$CROSS" ] || return 0
  local up="${TRIPLE^^}" low="${TRIPLE//-/_}"
  up="${up//-/_}"
  export "CARGO_TARGET_${up}_LINKER=${CROSS}gcc" "CC_${low}=${CROSS}gcc" "CXX_${low}=${CROSS}g++" \
    "AR_${low}=${CROSS}ar"
}

dist_version() { sed -n 's/^version = "\(.*\)"/\1/p' "${ROOT:?}/Cargo.toml" | head -n 1; }
