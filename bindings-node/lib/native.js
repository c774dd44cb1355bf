'use strict';
// Loads the native addon built for this platform (edgemodule.<platform>.node beside
// package.json).
const path = require('node:path');
const { addonFileName } = require('./platform');

function load() {
  const file = path.join(__dirname, '..', addonFileName());
  try {
    return require(file);
  } catch (cause) {
    const error = /** @type {Error & { code?: string }} */ (new Error(
      `edgemodule: cannot load the native addon ${file}: ${/** @type {Error} */ (cause).message}. ` +
      'Packages built by `npm pack` in bindings-node ship it for the platform they were built on; ' +
      'from a source checkout run `npm install` (or `npm run build`) in bindings-node, which needs Rust (cargo).',
    ));
    error.code = 'EDGEMODULE_NATIVE_MISSING';
    error.cause = cause;
    throw error;
  }
}

// Typed by native.d.ts, which napi-rs generates from the Rust sources.
module.exports = /** @type {typeof import('../native')} */ (load());
