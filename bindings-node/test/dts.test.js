'use strict';
// index.d.ts / compat.d.ts are hand-written over the generated native.d.ts: every value the
// package exports is declared there, and every declared value exists (npm run typecheck then
// checks the declared shapes; scripts/build.js --check keeps native.d.ts in step with Rust).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const PKG = path.dirname(require.resolve('edgemodule/package.json'));

function declared(file) {
  const text = fs.readFileSync(path.join(PKG, file), 'utf8');
  const names = new Set();
  for (const m of text.matchAll(/^export declare (?:abstract )?(?:class|const|function) (\w+)/gm)) names.add(m[1]);
  for (const m of text.matchAll(/^export \{ ([\w, ]+) \}/gm)) for (const n of m[1].split(/,\s*/)) names.add(n);
  return [...names].sort();
}

test('index.d.ts declares exactly what require("edgemodule") exports', () => {
  assert.deepEqual(declared('index.d.ts'), Object.keys(require('edgemodule')).sort());
});

test('compat.d.ts declares exactly what require("edgemodule/compat") exports', () => {
  assert.deepEqual(declared('compat.d.ts'), Object.keys(require('edgemodule/compat')).sort());
});
