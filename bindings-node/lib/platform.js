'use strict';
// The file name of the native addon for this platform, e.g. edgemodule.linux-x64-gnu.node
// (the napi-rs naming convention).
const fs = require('node:fs');

function isMusl() {
  if (process.platform !== 'linux') return false;
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    const report = /** @type {any} */ (typeof process.report?.getReport === 'function' ? process.report.getReport() : null);
    return Boolean(report && !report.header?.glibcVersionRuntime);
  }
}

function platformTriple() {
  const abi = process.platform === 'linux' ? (isMusl() ? '-musl' : '-gnu')
    : process.platform === 'win32' ? '-msvc' : '';
  return `${process.platform}-${process.arch}${abi}`;
}

function addonFileName() {
  return `edgemodule.${platformTriple()}.node`;
}

module.exports = { addonFileName, platformTriple };
