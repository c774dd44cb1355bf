#!/usr/bin/env bash
# ARM tests under qemu-user (binfmt), on this x64 machine:
#   qemu.sh ARCH...            (`make test-dist-qemu`, ARCH = arm64, arm) for each ARCH:
#     1. the core's conformance suite (every test binary of crate edgemodule), cross-compiled
#        (debug) and run under qemu against the native x64 hub: EDGEMODULE_TEST_HUB_BIN makes
#        each test start the x64 `edgemodule-hub serve` as a child process (the host kernel
#        runs it natively; only the client side is emulated) and drive it through its admin
#        API (core/tests/common/external.rs);
#     2. the C roundtrip program and examples/c/filter, cross-compiled with the ARCH gcc from
#        the ARCH C tarball in dist/ (dynamic and static), run under qemu against the x64 hub
#        (the hub tarball in dist/): a round trip, then the filter end to end.
#   qemu.sh --subset arm64     (`make test-arm64`, run by `make test`): a short subset of 1.
#     (SUBSET below) and 2. with the C package staged from this checkout (no dist/ needed),
#     both against the x64 debug hub of this checkout.
# Install steps (qemu, binfmt, cross gcc, Rust targets): scripts/install-deps.sh arm.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SUBSET_MODE=0
if [ "${1:-}" = --subset ]; then SUBSET_MODE=1; shift; fi
[ $# -gt 0 ] || { echo "usage: qemu.sh [--subset] ARCH..." >&2; exit 2; }
# The short subset: environment, routing, inputs, twin, methods, close.
SUBSET="s01_environment s03_routing s04_inputs s05_twin s07_methods s13_close"
WORK="$ROOT/target/dist-tests/qemu"
LOGS="$WORK/logs"
rm -rf "$WORK"
mkdir -p "$LOGS"
trap stop_hubs EXIT
bash "$ROOT/scripts/install-deps.sh" --check arm
if [ "$SUBSET_MODE" = 1 ]; then
  (cd "$ROOT" && cargo build -q -p edgemodule-hub)
  HUB_BIN="$ROOT/target/debug/edgemodule-hub"
else
  tar -xzf "$DIST/edgemodule-hub-$VERSION-linux-x64.tar.gz" -C "$WORK"
  HUB_BIN="$WORK/edgemodule-hub-$VERSION-linux-x64/bin/edgemodule-hub"
fi

core_suite() {
  # Debug (the dev profile optimises dependencies): the test features (tokio test-util, the
  # in-process hub) compile the dependencies apart from the release libraries anyway.
  local arch=$1 args=(test -p edgemodule --no-fail-fast)
  cross_env "$arch"
  args+=(--target "$TRIPLE")
  if [ "$SUBSET_MODE" = 1 ]; then
    local t
    for t in $SUBSET; do args+=(--test "$t"); done
  fi
  local up="${TRIPLE^^}"
  export "CARGO_TARGET_${up//-/_}_RUNNER=$QEMU" EDGEMODULE_TEST_HUB_BIN="$HUB_BIN"
  echo "core on $arch: the tests start the x64 hub $HUB_BIN"
  cd "$ROOT"
  cargo "${args[@]}" 2>&1 | tee "$WORK/core-$arch.out"
  awk -v arch="$arch" '/^test result:/ { p += $4; f += $6 }
    END { printf "core on %s under qemu: %d passed, %d failed\n", arch, p, f }' "$WORK/core-$arch.out"
}

# The C package for ARCH: the dist/ tarball, or (--subset) staged from this checkout.
c_prefix() {
  local arch=$1
  arch_vars "$arch"
  if [ "$SUBSET_MODE" = 0 ]; then
    tar -xzf "$DIST/edgemodule-$VERSION-linux-$arch.tar.gz" -C "$WORK/$arch"
    PREFIX="$WORK/$arch/edgemodule-$VERSION-linux-$arch"
  else
    PREFIX="$WORK/$arch/prefix"
    (cross_env "$arch" && cd "$ROOT" && cargo build -q -p edgemodule-c --target "$TRIPLE")
    make -s -C "$ROOT/bindings-c" install CARGO=true PREFIX="$PREFIX" PROFILE=debug \
      TARGET_DIR="$ROOT/target/$TRIPLE" >/dev/null
    # shellcheck disable=SC2016
    sed -i 's|^prefix=.*|prefix=${pcfiledir}/../..|' "$PREFIX/lib/pkgconfig/edgemodule.pc"
  fi
}

c_example() {
  local arch=$1
  mkdir -p "$WORK/$arch"
  c_prefix "$arch"
  local cc="${CROSS}gcc" out="$WORK/$arch" here="$ROOT/bindings-c/tests/consumer"
  export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR=""
  local cflags libs
  cflags="$(pkg-config --cflags edgemodule)"
  libs="$(pkg-config --libs edgemodule)"
  # shellcheck disable=SC2086
  "$cc" -std=c99 -Wall -Wextra -Werror $cflags "$here/roundtrip.c" -o "$out/roundtrip" $libs -lpthread \
    -Wl,-rpath,"$PREFIX/lib"
  # shellcheck disable=SC2046
  "$cc" -std=c99 -Wall -Wextra -Werror $cflags "$here/roundtrip.c" -o "$out/roundtrip-static" \
    $(pkg-config --static --libs edgemodule | sed 's/-ledgemodule/-l:libedgemodule.a/')
  cp -r "$ROOT/examples/c/filter" "$out/filter-src"
  rm -f "$out/filter-src/filter"
  make -s -C "$out/filter-src" CC="$cc" filter
  local bin
  for bin in "$out/roundtrip" "$out/roundtrip-static" "$out/filter-src/filter"; do
    readelf -h "$bin" | grep -q "Machine: *$ELF_MACHINE\$" || { echo "$bin is not $ELF_MACHINE" >&2; return 1; }
  done
  if readelf -d "$out/roundtrip-static" | grep -q libedgemodule; then
    echo "the static build links libedgemodule.so" >&2; return 1
  fi

  start_hub "$HUB_BIN" "$out/hub"
  # shellcheck disable=SC2086
  as_module roundtrip $QEMU "$out/roundtrip" | tee "$out/roundtrip.out"
  grep -q "roundtrip: OK" "$out/roundtrip.out"
  # shellcheck disable=SC2086
  as_module roundtrip $QEMU "$out/roundtrip-static" | tee "$out/roundtrip-static.out"
  grep -q "roundtrip: OK" "$out/roundtrip-static.out"

  # The filter module end to end, emulated, against the x64 hub.
  # shellcheck disable=SC2086
  (eval "$("$HUB" env filter --admin "$ADMIN" --form workload)"; exec $QEMU "$out/filter-src/filter") \
    >"$out/filter.out" 2>&1 &
  local filter_pid=$!
  wait_for "$out/filter.out" "connected as edge-device/filter, threshold 25"
  # shellcheck disable=SC2086
  as_module sender $QEMU "$out/roundtrip" send readings '{"temperature":20.5}'
  # shellcheck disable=SC2086
  as_module sender $QEMU "$out/roundtrip" send readings '{"temperature":31.5}'
  wait_for "$out/filter.out" "forwarded 31.5 (> 25), 1 since reset"
  "$HUB" invoke filter reset --admin "$ADMIN" --timeout 30 | tr -d ' \n' >"$out/reset.out"
  grep -q '"status":200' "$out/reset.out" && grep -q '"forwarded":1' "$out/reset.out"
  "$HUB" monitor --no-follow --admin "$ADMIN" >"$out/upstream.out"
  # The bodies as fixed strings: a regex 20.5 also matches digits of an enqueuedTime.
  grep -qF ':31.5}' "$out/upstream.out" || { echo "31.5 not upstream" >&2; return 1; }
  if grep -qF ':20.5}' "$out/upstream.out"; then echo "20.5 must be filtered out" >&2; return 1; fi
  kill -TERM "$filter_pid"
  wait "$filter_pid"
  grep -q "filter: stopping" "$out/filter.out"
  cat "$out/filter.out"
  echo "C example on $arch under qemu against the x64 hub: OK"
}

# wait_for FILE TEXT (60 s: emulation is slow).
wait_for() {
  local _
  for _ in $(seq 1 600); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

for arch in "$@"; do
  run_step "c-example-$arch" c_example "$arch"
  run_step "core-$arch" core_suite "$arch"
done
summary "ARM tests under qemu ($([ "$SUBSET_MODE" = 1 ] && echo "subset: $SUBSET" || echo "full core suite")):"
