'use strict';
// Loads the native addon for this platform: edgemodule.<platform>.node beside package.json
// (a source checkout, or a package packed there), else the prebuilt platform package of a
// release (@edgemodule/<platform>, an optionalDependency npm installs for this os/cpu/libc).
const fs = require('node:fs');
const path = require('node:path');
const { addonFileName, platformPackage } = require('./platform');

function load() {
  const file = path.join(__dirname, '..', addonFileName());
  const local = fs.existsSync(file);
  try {
    return require(local ? file : platformPackage());
  } catch (cause) {
    const error = /** @type {Error & { code?: string }} */ (new Error(
      `edgemodule: cannot load the native addon (${local ? file : platformPackage()}): ` +
      `${/** @type {Error} */ (cause).message}. Release installs get it from the package ${platformPackage()} ` +
      '(an optional dependency: was it installed, and is this platform one of linux-x64-gnu, linux-arm64-gnu, ' +
      'linux-arm-gnueabihf?); from a source checkout run `npm install` (or `npm run build`) in bindings-node, ' +
      'which needs Rust (cargo).',
    ));
    error.code = 'EDGEMODULE_NATIVE_MISSING';
    error.cause = cause;
    throw error;
  }
}

// Typed by native.d.ts, which napi-rs generates from the Rust sources.
module.exports = /** @type {typeof import('../native')} */ (load());
