#!/usr/bin/env bash
# Builds the filter module of the given languages for `make demo` (examples/demo.sh calls it
# once per language, just before that language's stage):
#
#   examples/build-demo-langs.sh rust c python node java dotnet
#
#   rust     target/debug/{edgemodule-hub,filter,sensor}
#   c        target/demo/c/filter, linked against libedgemodule installed into target/demo/c/prefix
#   python   target/demo/py: a venv with the edgemodule wheel (runs examples/python/filter/main.py)
#   node     examples/node/filter/node_modules/edgemodule (a link to bindings-node with its addon)
#   java     examples/java/filter/target/filter.jar on the edgemodule jar (installed into ~/.m2)
#   dotnet   target/dotnet/example/Filter.exe (Mono) beside EdgeModule.dll
#
# Everything is the debug build `make test` uses too (one compile of the workspace serves both),
# and every package a step needs is installed by scripts/install-deps.sh first, so the order of
# `make demo` and `make test` does not matter.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$ROOT/target/demo"
CARGO="${CARGO:-cargo}"
DEPS="bash $ROOT/scripts/install-deps.sh"
mkdir -p "$OUT"

[ $# -gt 0 ] || set -- rust c python node java dotnet
for lang in "$@"; do
  case "$lang" in
    rust)
      $DEPS rust
      (cd "$ROOT" && $CARGO build -p edgemodule-hub -p edgemodule-example-filter)
      ;;
    c)
      $DEPS c
      rm -rf "$OUT/c"
      make -s -C "$ROOT/bindings-c" install PREFIX="$OUT/c/prefix" PROFILE=debug TARGET_DIR="$TARGET"
      # In the environment, not as a make variable: make 4.3 runs $(shell) without the latter.
      PKG_CONFIG_PATH="$OUT/c/prefix/lib/pkgconfig" make -s -C "$ROOT/examples/c/filter" filter
      mv "$ROOT/examples/c/filter/filter" "$OUT/c/filter"
      ;;
    python)
      $DEPS python
      # The same maturin build as `make -C bindings-python test` (same interpreter, same cargo
      # invocation), installed into a venv of the demo's own.
      rm -rf "$OUT/wheels"
      (cd "$ROOT/bindings-python" && .venv/bin/maturin build --quiet \
        --interpreter "$ROOT/bindings-python/.venv/bin/python" --out "$OUT/wheels")
      [ -x "$OUT/py/bin/python" ] || python3 -m venv "$OUT/py"
      "$OUT/py/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
        "$OUT"/wheels/edgemodule-*.whl
      ;;
    node)
      # bindings-node's dev tools (the napi-rs CLI renders native.d.ts) come from install-deps;
      # the addon is built here, so the example's install hook finds it and has nothing to do.
      $DEPS node
      (cd "$ROOT/bindings-node" && node scripts/build.js)
      (cd "$ROOT/examples/node/filter" && npm install --no-audit --no-fund --loglevel=error)
      test -f "$ROOT/examples/node/filter/node_modules/edgemodule/package.json"
      ;;
    java)
      $DEPS java
      make -s -C "$ROOT/bindings-java" demo
      ;;
    dotnet)
      $DEPS dotnet
      make -s -C "$ROOT/bindings-dotnet" example TARGET_DIR="$TARGET" NATIVE_TARGET=lib
      ;;
    *) echo "build-demo-langs: unknown language $lang" >&2; exit 2 ;;
  esac
done
