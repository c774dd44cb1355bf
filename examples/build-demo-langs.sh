#!/usr/bin/env bash
# Builds the filter module of every language binding for `make demo` into target/demo/:
#   c/filter           the C example, linked against an installed libedgemodule
#   py/                a venv with the edgemodule wheel (examples/python/filter/main.py)
#   node               examples/node/filter/node_modules (the edgemodule package)
#   java               examples/java/filter/target/filter.jar (Maven; built by bindings-java)
#   dotnet             target/dotnet/example/Filter.exe (Mono; built by bindings-dotnet)
# Each language is optional: DEMO_LANGS (default "c python node java dotnet") picks them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/demo"
mkdir -p "$OUT"

for lang in ${DEMO_LANGS:-c python node java dotnet}; do
  case "$lang" in
    rust) ;;
    c)
      echo "demo: building the C filter"
      make -s -C "$ROOT/bindings-c" deps >/dev/null
      make -s -C "$ROOT/bindings-c" install PREFIX="$OUT/c/prefix" PROFILE=release >/dev/null
      # In the environment, not as a make variable: make 4.3 runs $(shell) without the latter.
      PKG_CONFIG_PATH="$OUT/c/prefix/lib/pkgconfig" make -s -C "$ROOT/examples/c/filter" filter >/dev/null
      mv "$ROOT/examples/c/filter/filter" "$OUT/c/filter"
      ;;
    python)
      echo "demo: building the Python package"
      [ -x "$OUT/py/bin/python" ] || python3 -m venv "$OUT/py"
      "$OUT/py/bin/pip" install -q --disable-pip-version-check "$ROOT/bindings-python"
      ;;
    node)
      echo "demo: building the Node package"
      (cd "$ROOT/examples/node/filter" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
      ;;
    java)
      echo "demo: building the Java filter (Maven)"
      make -s -C "$ROOT/bindings-java" demo >/dev/null
      ;;
    dotnet)
      echo "demo: building the .NET filter (Mono)"
      make -s -C "$ROOT/bindings-dotnet" deps example >/dev/null
      ;;
    *) echo "demo: unknown language $lang" >&2; exit 2 ;;
  esac
done
