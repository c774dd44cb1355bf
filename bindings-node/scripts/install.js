#!/usr/bin/env node
'use strict';
// `npm install` hook: a packed tarball ships the addon for its platform, so there is nothing
// to do; a source checkout (Cargo.toml beside package.json) builds it with cargo.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { addonFileName } = require('../lib/platform');

const PKG = path.resolve(__dirname, '..');
const addon = path.join(PKG, addonFileName());

if (fs.existsSync(addon)) process.exit(0);
if (!fs.existsSync(path.join(PKG, 'Cargo.toml'))) {
  console.error(`edgemodule: no native addon for this platform (${path.basename(addon)}) in this package; ` +
    'install a package built on this platform, or build from a source checkout (bindings-node: npm install).');
  process.exit(1);
}
const build = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: PKG, stdio: 'inherit' });
process.exit(build.status === null ? 1 : build.status);
