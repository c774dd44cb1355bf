#!/usr/bin/env bash
# The one place that installs what `make test`, `make lint` and `make demo` need on a fresh
# machine of this kind (Debian 12 with Rust, Python 3, Node 20, Java 17 + Maven, gcc preinstalled).
#
#   scripts/install-deps.sh                    every section
#   scripts/install-deps.sh c dotnet           only those sections
#   scripts/install-deps.sh --check c          install nothing; fail, naming what is missing
#   scripts/install-deps.sh --list             the sections
#
# Idempotent: every step checks first, so a second run costs a second or two. System packages
# come from Debian through apt-get, which waits for the dpkg lock (other installs may hold it)
# instead of failing. Nothing else in the repository calls apt-get: the bindings' Makefiles
# only check (`--check`), and tell you to run this script.
#
# Adding a section: write a function `section_NAME` (install) and, if the section installs
# system packages, list them in `apt_packages_NAME`; add NAME to SECTIONS. Keep each section
# self-contained (it may run alone) and check before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

SECTIONS="rust c python node java dotnet lint interop fuzz containers"
EXTRA_SECTIONS="bench arm dist" # only when named
CHECK_ONLY=0

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Helpers

# Debian packages: only the missing ones are installed; the package lists are refreshed once,
# and only when something is missing.
APT_UPDATED=0
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
apt_missing() {
  local pkg
  for pkg in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || echo "$pkg"
  done
}
apt_install() {
  local missing
  missing="$(apt_missing "$@" | tr '\n' ' ')"
  [ -n "${missing// /}" ] || return 0
  if [ "$CHECK_ONLY" = 1 ]; then
    die "missing Debian packages: $missing(run: bash scripts/install-deps.sh)"
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing $missing and no apt-get here: install them by hand"
  if [ "$(id -u)" != 0 ]; then
    die "missing Debian packages: $missing(run: sudo bash scripts/install-deps.sh)"
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    # The lists lock is not covered by DPkg::Lock::Timeout everywhere: retry while it is busy.
    local i
    for i in $(seq 60); do
      if apt_get update -qq 2>"$ROOT/target/.apt-update.err"; then break; fi
      grep -qi 'lock' "$ROOT/target/.apt-update.err" || { cat "$ROOT/target/.apt-update.err" >&2; die "apt-get update failed"; }
      [ "$i" -lt 60 ] || die "apt-get update: the package lists stayed locked for 10 minutes"
      log "the apt lists are locked by another process; waiting"
      sleep 10
    done
    APT_UPDATED=1
  fi
  log "apt-get install $missing"
  # shellcheck disable=SC2086
  apt_get install -y -qq --no-install-recommends $missing >/dev/null
}

# True when $1 (a stamp file) records the sha256 of the files $2...; `stamp_write` records it.
stamp_ok() {
  local stamp="$1"
  shift
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(cat "$@" | sha256sum | cut -d' ' -f1)" ]
}
stamp_write() {
  local stamp="$1"
  shift
  cat "$@" | sha256sum | cut -d' ' -f1 >"$stamp"
}
need() { [ "$CHECK_ONLY" = 0 ] || die "$1 (run: bash scripts/install-deps.sh $2)"; }

# A private virtualenv at $1 with the pinned requirements files $2...
venv_install() {
  local venv="$1"
  shift
  if [ -x "$venv/bin/python" ] && stamp_ok "$venv/.requirements-installed" "$@"; then return 0; fi
  need "the Python tools in ${venv#"$ROOT"/} are missing or stale" "${SECTION:-}"
  log "pip install into ${venv#"$ROOT"/}: ${*#"$ROOT"/}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  local req args=()
  for req in "$@"; do args+=(-r "$req"); done
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}"
  stamp_write "$venv/.requirements-installed" "$@"
}

# `npm ci` in folder $1 (its package-lock.json pins everything); scripts are not run.
npm_install() {
  local dir="$1"
  if stamp_ok "$dir/node_modules/.edgemodule-installed" "$dir/package-lock.json"; then return 0; fi
  need "the npm packages of ${dir#"$ROOT"/} are missing or stale" "${SECTION:-}"
  command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js 20 first"
  log "npm ci in ${dir#"$ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts >/dev/null)
  stamp_write "$dir/node_modules/.edgemodule-installed" "$dir/package-lock.json"
}

# ---------------------------------------------------------------------------------------------
# Sections

# The toolchain rust-toolchain.toml pins, with rustfmt and clippy. Machines of this kind come
# with that version as `stable` and cannot download another one, so the pinned name is made to
# point at it when the versions agree.
section_rust() {
  command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust (rustup) first"
  local want host home stable_dir
  want="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
  [ -n "$want" ] || die "cannot read the channel from rust-toolchain.toml"
  if ! command -v rustup >/dev/null 2>&1; then
    # A distribution's Rust: rust-toolchain.toml does not apply; say so if versions differ.
    rustc --version | grep -q " $want " || log "warning: rustc is $(rustc --version), the project is tested with $want"
    return 0
  fi
  host="$(cd / && rustc -vV | sed -n 's/^host: //p')"
  if ! (cd / && rustup toolchain list) | grep -q "^$want-$host"; then
    need "the Rust toolchain $want is not installed" rust
    home="${RUSTUP_HOME:-$HOME/.rustup}"
    stable_dir="$home/toolchains/stable-$host"
    if [ -x "$stable_dir/bin/rustc" ] && "$stable_dir/bin/rustc" --version | grep -q "^rustc $want "; then
      log "using the installed stable toolchain ($want) as $want-$host"
      ln -s "$stable_dir" "$home/toolchains/$want-$host"
    else
      log "rustup toolchain install $want"
      (cd / && rustup toolchain install "$want" --profile minimal -c rustfmt -c clippy)
    fi
  fi
  local component
  for component in clippy rustfmt; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
      need "the Rust component $component is missing" rust
      rustup component add --toolchain "$want" "$component"
    fi
  done
}

apt_packages_c="cmake valgrind pkg-config gcc g++ make"
section_c() { apt_install $apt_packages_c; }

# The venv `make -C bindings-python test` builds the wheel with and tests it in.
section_python() {
  command -v python3 >/dev/null 2>&1 || die "python3 not found"
  venv_install "$ROOT/bindings-python/.venv" "$ROOT/bindings-python/requirements-dev.txt"
}

# napi-rs CLI (generates native.d.ts), TypeScript and the Node types for the Node package.
section_node() { npm_install "$ROOT/bindings-node"; }

# Java 17 and Maven come with machines of this kind; installed only where they are missing.
section_java() {
  local missing=""
  command -v javac >/dev/null 2>&1 || missing="$missing openjdk-17-jdk-headless"
  command -v mvn >/dev/null 2>&1 || missing="$missing maven"
  # shellcheck disable=SC2086
  [ -z "$missing" ] || apt_install $missing
}

# Mono (mcs, C# 7.2), NUnit 2.6 and NuGet 2.8 from Debian: the .NET binding is built and
# tested without the .NET SDK.
apt_packages_dotnet="mono-devel nunit-console nuget gcc"
section_dotnet() { apt_install $apt_packages_dotnet; }

# The linters `make lint` runs besides the Rust ones: ruff and mypy (scripts/lint/
# requirements.txt, in scripts/lint/.venv), tsc from the Node package's devDependencies, javac,
# and gcc.
section_lint() {
  venv_install "$ROOT/scripts/lint/.venv" "$ROOT/scripts/lint/requirements.txt"
  SECTION=node section_node
  section_java
  apt_install gcc g++
}

# Microsoft's official SDKs for the interop suite (tests/interop).
section_interop() {
  venv_install "$ROOT/tests/interop/.venv" "$ROOT/tests/interop/requirements.txt"
  npm_install "$ROOT/tests/interop/node"
}

# `make test-fuzz` (hub/fuzz): cargo-fuzz needs a nightly toolchain (`cargo +nightly fuzz`),
# whatever toolchain rust-toolchain.toml pins for everything else.
section_fuzz() {
  if ! (cd / && rustup toolchain list) | grep -q '^nightly'; then
    need "the nightly Rust toolchain (for cargo-fuzz) is not installed" fuzz
    log "rustup toolchain install nightly"
    (cd / && rustup toolchain install nightly --profile minimal)
  fi
  if ! (cd / && cargo +nightly fuzz --version) >/dev/null 2>&1; then
    need "cargo-fuzz is not installed" fuzz
    log "cargo install cargo-fuzz"
    (cd / && cargo +nightly install --locked cargo-fuzz)
  fi
}

# Module images (docs/containers.md, `make test-containers`, `make demo-containers`): rootful
# podman with the runc runtime, buildah, skopeo, and mmdebstrap for the base images made here.
apt_packages_containers="podman buildah runc skopeo mmdebstrap uidmap"
section_containers() { apt_install $apt_packages_containers; }

# ARM builds (`make dist`, `make test-containers-arm64`): qemu registered with binfmt_misc so ARM
# binaries run, arch-test for mmdebstrap's foreign rootfs, and the aarch64 and armv7 (hard-float)
# cross toolchains and Rust targets the release packages are built with.
apt_packages_arm="qemu-user-static binfmt-support arch-test gcc-aarch64-linux-gnu libc6-dev-arm64-cross g++-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-armhf-cross g++-arm-linux-gnueabihf"
section_arm() {
  apt_install $apt_packages_arm
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    need "binfmt_misc is not mounted" arm
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  local arch
  for arch in aarch64 arm; do
    if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$arch" ]; then
      need "qemu-$arch is not registered with binfmt_misc" arm
      update-binfmts --enable "qemu-$arch"
    fi
  done
  local triple
  for triple in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
    if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx "$triple"; then
      need "the Rust target $triple is not installed" arm
      (cd "$ROOT" && rustup target add "$triple")
    fi
  done
}

# `make dist`: the ARM cross builds (section arm), auditwheel for the wheels' manylinux tags,
# cmake for the C install test.
apt_packages_dist="$apt_packages_arm cmake pkg-config"
section_dist() {
  section_arm
  apt_install $apt_packages_dist
  venv_install "$ROOT/scripts/dist/.venv" "$ROOT/scripts/dist/requirements.txt"
}

# `make bench`: mosquitto (the broker the hub is compared with) and perf for profiles, which
# not every kernel supports (optional).
apt_packages_bench="mosquitto"
section_bench() {
  apt_install linux-perf 2>/dev/null || log "linux-perf is not available; the benchmarks run without profiles"
}

# ---------------------------------------------------------------------------------------------

main() {
  local wanted=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --check) CHECK_ONLY=1 ;;
      --list) echo "$SECTIONS $EXTRA_SECTIONS"; return 0 ;;
      -h|--help) sed -n '2,17p' "$0"; return 0 ;;
      -*) die "unknown option $1" ;;
      *) wanted+=("$1") ;;
    esac
    shift
  done
  [ ${#wanted[@]} -gt 0 ] || read -r -a wanted <<<"$SECTIONS"
  mkdir -p "$ROOT/target"
  local s
  for s in "${wanted[@]}"; do
    [[ " $SECTIONS $EXTRA_SECTIONS " == *" $s "* ]] || die "unknown section '$s' (sections: $SECTIONS $EXTRA_SECTIONS)"
  done
  # System packages of every wanted section in one apt transaction.
  local all_apt=""
  for s in "${wanted[@]}"; do
    local var="apt_packages_$s"
    all_apt="$all_apt ${!var:-}"
  done
  # shellcheck disable=SC2086
  [ -z "${all_apt// /}" ] || apt_install $all_apt
  for s in "${wanted[@]}"; do
    SECTION="$s" "section_$s"
  done
}

main "$@"
