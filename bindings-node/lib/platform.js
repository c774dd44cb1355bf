'use strict';
// The file name of the native addon for this platform, e.g. edgemodule.linux-x64-gnu.node
// (the napi-rs naming convention), and the release package that carries it prebuilt,
// e.g. @edgemodule/linux-x64-gnu.
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
  // 32-bit ARM Linux is hard-float (armv7): napi-rs calls it linux-arm-gnueabihf.
  const eabi = process.arch === 'arm' ? 'eabihf' : '';
  const abi = process.platform === 'linux' ? (isMusl() ? `-musl${eabi}` : `-gnu${eabi}`)
    : process.platform === 'win32' ? '-msvc' : '';
  return `${process.platform}-${process.arch}${abi}`;
}

function addonFileName() {
  return `edgemodule.${platformTriple()}.node`;
}

function platformPackage() {
  return `@edgemodule/${platformTriple()}`;
}

module.exports = { addonFileName, platformPackage, platformTriple };
