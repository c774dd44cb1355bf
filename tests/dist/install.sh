#!/usr/bin/env bash
# Install tests of the release artifacts in dist/ (`make test-dist-install`), on x64, with no
# Rust toolchain on PATH: each package is installed the way its users install it, from dist/
# alone, and runs a round trip against the hub from the hub tarball.
#   C       the tarball as a prefix: CMake find_package, pkg-config, static, the C example
#   Python  pip install --no-index --find-links dist edgemodule (a fresh venv)
#   Node    npm install --offline of edgemodule-*.tgz and its platform package
#   Java    mvn install:install-file into a private local repository (jar, pom, sources,
#           javadoc), then a consumer project resolves it offline
#   .NET    nuget install from dist/ as a local feed, an app built with mcs
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK="$ROOT/target/dist-tests/install"
LOGS="$WORK/logs"
rm -rf "$WORK"
mkdir -p "$LOGS"
trap stop_hubs EXIT
export PATH
PATH="$(path_without_rust)"
if command -v cargo || command -v rustc; then echo "Rust is still on PATH" >&2; exit 1; fi
echo "install tests from ${DIST#"$ROOT"/}/ with PATH=$PATH (no cargo, no rustc)"
[ -f "$DIST/SHA256SUMS" ] || { echo "no $DIST/SHA256SUMS: run make dist first" >&2; exit 1; }
(cd "$DIST" && sha256sum --quiet -c SHA256SUMS)

tar -xzf "$DIST/edgemodule-hub-$VERSION-linux-x64.tar.gz" -C "$WORK"
HUB_BIN="$WORK/edgemodule-hub-$VERSION-linux-x64/bin/edgemodule-hub"

test_c() {
  tar -xzf "$DIST/edgemodule-$VERSION-linux-x64.tar.gz" -C "$WORK"
  bash "$ROOT/bindings-c/tests/consumer/run.sh" "$WORK/edgemodule-$VERSION-linux-x64" "$WORK/c" "$HUB_BIN" \
    "$ROOT/examples/c/filter"
}

test_python() {
  python3 -m venv "$WORK/py"
  "$WORK/py/bin/pip" install --disable-pip-version-check --no-index --find-links "$DIST" edgemodule
  "$WORK/py/bin/pip" show -f edgemodule | grep -E '^(Version|Location)|_native'
  start_hub "$HUB_BIN" "$WORK/python"
  (cd "$WORK" && as_module roundtrip "$WORK/py/bin/python" "$ROOT/tests/dist/roundtrip.py")
}

test_node() {
  mkdir -p "$WORK/node"
  cd "$WORK/node"
  echo '{ "name": "edgemodule-dist-test", "version": "0.0.0", "private": true }' >package.json
  npm install --offline --no-audit --no-fund --loglevel=error \
    "$DIST/edgemodule-linux-x64-gnu-$VERSION.tgz" "$DIST/edgemodule-$VERSION.tgz"
  test -f node_modules/@edgemodule/linux-x64-gnu/edgemodule.linux-x64-gnu.node
  if ls node_modules/edgemodule/*.node 2>/dev/null; then echo "the main package carries an addon" >&2; return 1; fi
  cp "$ROOT/tests/dist/roundtrip.js" .
  start_hub "$HUB_BIN" "$WORK/node"
  as_module roundtrip node roundtrip.js
}

test_java() {
  local repo="$WORK/m2" base="$DIST/edgemodule-$VERSION"
  # Maven's own plugins come from the user's repository (offline); edgemodule only from dist/.
  cp -r "$HOME/.m2/repository" "$repo"
  rm -rf "$repo/dev/edgemodule"
  mvn -o -B -q -Dstyle.color=never -Dmaven.repo.local="$repo" \
    org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file -Dfile="$base.jar" \
    -DpomFile="$base.pom" -Dsources="$base-sources.jar" -Djavadoc="$base-javadoc.jar"
  ls "$repo/dev/edgemodule/edgemodule/$VERSION/"
  test -f "$repo/dev/edgemodule/edgemodule/$VERSION/edgemodule-$VERSION-sources.jar"
  test -f "$repo/dev/edgemodule/edgemodule/$VERSION/edgemodule-$VERSION-javadoc.jar"
  # The binding's consumer project (a fresh JVM, class path = the jar: the native library
  # comes out of the jar), copied so that its relative paths still find the test deployment.
  mkdir -p "$WORK/java/bindings-java" "$WORK/java/tests/conformance"
  cp -r "$ROOT/bindings-java/consumer-test" "$WORK/java/bindings-java/"
  cp "$MANIFEST" "$WORK/java/tests/conformance/"
  mvn -o -B -q -Dstyle.color=never -Dmaven.repo.local="$repo" -f "$WORK/java/bindings-java/consumer-test/pom.xml" \
    verify -Dedgemodule.hub="$HUB_BIN"
}

test_dotnet() {
  bash "$ROOT/bindings-dotnet/consumer/run.sh" "$DIST" "$WORK/dotnet" "$HUB_BIN" "$VERSION"
}

for lang in ${DIST_INSTALL_TESTS:-c python node java dotnet}; do
  run_step "install-$lang" "test_$lang"
done
summary "install tests from dist/ (x64, no Rust on PATH):"
