#!/usr/bin/env bash
# Builds (release) and installs what `make bench` measures, into bench/.build/ and the
# bench-private bench/.venv and bench/node/node_modules (all gitignored). Idempotent; needs
# the package registries only the first time. The hub and the Rust benchmark are required;
# every other language is optional: a failed step prints a warning, and measure.py leaves
# that language's rows empty (bench/.build/<lang>.ok marks the ones that built).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="$here/.build"
log="$build/build.log"
mkdir -p "$build"
: >"$log"

# step NAME FUNCTION: runs an optional build step, logging to build.log.
step() {
  rm -f "$build/$1.ok"
  # In the background, not in the `if`: bash ignores `set -e` inside an if's condition.
  ("$2") >>"$log" 2>&1 &
  if wait $!; then
    touch "$build/$1.ok"; echo "bench: built $1"
  else
    echo "bench: WARNING: $1 did not build; its rows stay empty (details: bench/.build/build.log)"
  fi
}

# --- required: hub + Rust benchmark, mosquitto, perf, the bench venv -------------------------
echo "bench: building (release) — log in bench/.build/build.log"
bash "$root/scripts/install-deps.sh" bench >>"$log" 2>&1  # mosquitto, perf (when it exists)
command -v perf >/dev/null 2>&1 || echo "bench: perf not available; profiles will be skipped"
cargo build --quiet --release -p edgemodule-hub -p edgemodule-bench --manifest-path "$root/Cargo.toml"

req_stamp="$here/.venv/.requirements-$(sha1sum "$here/requirements.txt" | cut -c1-12)"
if [ ! -f "$req_stamp" ]; then
  [ -x "$here/.venv/bin/python" ] || python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
  rm -f "$here/.venv"/.requirements-* && touch "$req_stamp"
fi

# --- C: libedgemodule (release) installed into a private prefix + bench/c/bench.c ------------
build_c() {
  make -C "$root/bindings-c" install PREFIX="$build/c" PROFILE=release
  cc -std=c11 -O2 -Wall -Wextra -Werror "$here/c/bench.c" -I"$build/c/include" -L"$build/c/lib" \
    -ledgemodule -Wl,-rpath,"$build/c/lib" -o "$build/c/bench"
  strip -o "$build/c/libedgemodule.stripped.so" "$build/c/lib/libedgemodule.so"
}

# --- Python: the release wheel (bindings-python `make wheel`) installed into bench/.venv -----
build_python() {
  make -C "$root/bindings-python" wheel
  rm -rf "$build/python" && mkdir -p "$build/python"
  cp "$(ls -t "$root"/bindings-python/dist/edgemodule-*.whl | head -1)" "$build/python/"
  "$here/.venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$build"/python/*.whl
}

# --- Node: the package packed with a release addon, installed into a private prefix; the
# official packages from bench/node/package-lock.json --------------------------------------
build_node() {
  (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
  cargo build --quiet --release -p edgemodule-node --lib --manifest-path "$root/Cargo.toml"
  local pkg="$build/node-pkg"
  rm -rf "$pkg" "$build/node-ours" "$build"/edgemodule-*.tgz && mkdir -p "$pkg" "$build/node-ours"
  # The package's own `files` list, without prebuilt addons: ours is the release one.
  (cd "$root/bindings-node" && node -e '
    for (const f of require("./package.json").files) if (!f.includes("*")) console.log(f);' \
    | while read -r f; do mkdir -p "$pkg/$(dirname "$f")"; cp -r "$f" "$pkg/$f"; done)
  cp "$root/bindings-node/package.json" "$pkg/"
  [ -f "$root/bindings-node/README.md" ] && cp "$root/bindings-node/README.md" "$pkg/"
  local addon; addon="$(cd "$root/bindings-node" && node -p 'require("./lib/platform").addonFileName()')"
  cp "$root/target/release/libedgemodule_node.so" "$pkg/$addon"
  (cd "$pkg" && npm pack --silent --pack-destination "$build" >/dev/null)
  (cd "$build/node-ours" && echo '{"private":true}' >package.json \
    && npm install --no-audit --no-fund --loglevel=error --no-package-lock "$build"/edgemodule-*.tgz)
}

# --- .NET (Mono): EdgeModule.dll compiled optimised from bindings-dotnet/src + the release
# libedgemodule.so beside it, and bench/dotnet/Bench.cs -------------------------------------
build_dotnet() {
  [ -f "$build/c.ok" ]
  command -v mcs >/dev/null 2>&1 || make -C "$root/bindings-dotnet" deps
  rm -rf "$build/dotnet" && mkdir -p "$build/dotnet"
  local mcs=(mcs -langversion:7.2 -optimize+ -nowarn:1701,1702 -r:System.dll -r:System.Core.dll)
  "${mcs[@]}" -target:library -out:"$build/dotnet/EdgeModule.dll" \
    "$root"/bindings-dotnet/src/*.cs "$root"/bindings-dotnet/src/Native/*.cs
  cp "$build/c/lib/libedgemodule.so" "$build/dotnet/"
  "${mcs[@]}" -r:"$build/dotnet/EdgeModule.dll" -out:"$build/dotnet/Bench.exe" "$here/dotnet/Bench.cs"
}

# --- Java: the jar with the release native library (bindings-java `make release`) ------------
build_java() {
  make -C "$root/bindings-java" deps release
  rm -rf "$build/java" && mkdir -p "$build/java/classes"
  cp "$(ls -t "$root"/bindings-java/target/edgemodule-*.jar | grep -v -e sources -e javadoc | head -1)" \
    "$build/java/edgemodule.jar"
  javac -d "$build/java/classes" -cp "$build/java/edgemodule.jar" "$here/java/Bench.java"
}

step c build_c
step python build_python
step node build_node
step dotnet build_dotnet
step java build_java
