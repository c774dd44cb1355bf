#!/usr/bin/env bash
# Packs the package, installs the TARBALL into a fresh temporary project and runs the test
# suite against that installed copy (require('edgemodule') resolves to node_modules there).
set -euo pipefail
cd "$(dirname "$0")/.."
PKG="$PWD"
ROOT="$(cd .. && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/edgemodule-node-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT

tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball ($(du -h "$work/$tarball" | cut -f1))"
mkdir "$work/app"
cd "$work/app"
echo '{ "name": "edgemodule-installed-test", "version": "0.0.0", "private": true }' > package.json
npm install --no-audit --no-fund --loglevel=error "$work/$tarball"
test -f node_modules/edgemodule/edgemodule.linux-x64-gnu.node || test -n "$(ls node_modules/edgemodule/*.node 2>/dev/null)"
cp -r "$PKG/test" test
# A human report on stdout and JUnit XML for the scenario matrix (tests/conformance).
results="$ROOT/target/conformance/node"
rm -rf "$results" && mkdir -p "$results"
EDGEMODULE_ROOT="$ROOT" node --test --test-concurrency=1 --test-timeout=180000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$results/node-test.xml" \
  test/*.test.js test/*.test.mjs
