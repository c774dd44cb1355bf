#!/usr/bin/env bash
# The modules `edgemodule-hub new` writes, checked with each language's own tools (part of
# `make test-containers`): the unit test of every template runs, and the module's code
# compiles against edgemodule — C against the C tarball in dist/, Rust against the core,
# Java against the installed jar, C# with mcs against EdgeModule.dll, Python and Node by
# their test runners and syntax checks. A language whose tools or library are missing
# here is reported NOT RUN, loudly; the Dockerfiles build what is left in the images.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROFILE="${PROFILE:-debug}"
HUB="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/edgemodule-hub"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/edgemodule-scaffolds.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
NOT_RUN=()
fail() { echo "SCAFFOLD CHECK FAILED: $*" >&2; exit 1; }
ok() { printf '  %-7s %s\n' "$1" "$2"; }
not_run() { NOT_RUN+=("$1: $2"); printf '  %-7s NOT RUN: %s\n' "$1" "$2"; }

for lang in python c node rust java csharp; do
    "$HUB" new "$lang" "${lang}mod" --manifest "$WORK/deployment.json" --modules-dir "$WORK/modules" >/dev/null ||
        fail "new $lang"
done
M="$WORK/modules"
echo "== the modules of edgemodule-hub new, with their languages' tools"

(cd "$M/pythonmod" && python3 -m unittest -q 2>/dev/null && python3 -m py_compile main.py state.py) ||
    fail "python: unit test or syntax"
ok python "unit test passed, main.py compiles"

(cd "$M/cmod" && make -s test >/dev/null) || fail "c: make test"
tarball="$(ls "$ROOT"/dist/edgemodule-[0-9]*-linux-x64.tar.gz 2>/dev/null | head -n 1)"
if [[ -n "$tarball" ]]; then
    mkdir -p "$WORK/c" && tar -xzf "$tarball" -C "$WORK/c"
    pc="$(dirname "$(find "$WORK/c" -name edgemodule.pc | head -n 1)")"
    (cd "$M/cmod" && PKG_CONFIG_PATH="$pc" make -s PKG_CONFIG="pkg-config --define-prefix" \
        CFLAGS="-O2 -Wall -Wextra -Werror" cmod) || fail "c: main.c does not build against the C tarball"
    ok c "unit test passed, main.c builds against $(basename "$tarball") with -Werror"
else
    not_run c "no C tarball in dist/ for main.c (its unit test passed)"
fi

if command -v node >/dev/null; then
    (cd "$M/nodemod" && node --test >/dev/null 2>&1 && node --check app.js) || fail "node: test or syntax"
    ok node "unit test passed, app.js parses"
else
    not_run node "no node"
fi

sed -i "s|^edgemodule = .*|edgemodule = { path = \"$ROOT/core\" }|" "$M/rustmod/Cargo.toml"
(cd "$M/rustmod" && CARGO_TARGET_DIR="$ROOT/target/scaffold-check" cargo test -q >/dev/null 2>"$WORK/rust.log") ||
    { cat "$WORK/rust.log" >&2; fail "rust: cargo test"; }
ok rust "cargo test passed (main.rs compiles against the core)"

jar="$(ls ~/.m2/repository/dev/edgemodule/edgemodule/*/edgemodule-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -n 1 || true)"
if command -v mvn >/dev/null && [[ -n "$jar" ]]; then
    (cd "$M/javamod" && mvn -q -o package >"$WORK/java.log" 2>&1) ||
        (cd "$M/javamod" && mvn -q package >"$WORK/java.log" 2>&1) ||
        { tail -n 30 "$WORK/java.log" >&2; fail "java: mvn package (with its test)"; }
    ok java "mvn package passed (unit test run, built against $(basename "$jar"))"
else
    not_run java "no mvn, or dev.edgemodule:edgemodule not in ~/.m2 (make -C bindings-java install)"
fi

dll="$ROOT/target/dotnet/lib/EdgeModule.dll"
if command -v mcs >/dev/null && make -s -C "$ROOT/bindings-dotnet" lib >/dev/null 2>&1 && [[ -f "$dll" ]]; then
    (cd "$M/csharpmod" && mcs -langversion:7.2 -warnaserror+ -nologo -out:"$WORK/csharpmod.exe" \
        -r:"$dll" Program.cs ModuleState.cs) || fail "csharp: Program.cs does not compile with mcs"
    ok csharp "Program.cs and ModuleState.cs compile with mcs (C# 7.2) against EdgeModule.dll"
    not_run csharp-test "its xunit test needs the .NET SDK (dotnet test), not on this machine"
else
    not_run csharp "no mcs, or EdgeModule.dll could not be built"
fi

if ((${#NOT_RUN[@]})); then
    echo "  NOT RUN here: ${NOT_RUN[*]}"
fi
echo "SCAFFOLD CHECKS OK"
