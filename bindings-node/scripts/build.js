#!/usr/bin/env node
'use strict';
// Builds the native addon with plain `cargo build` (sharing the workspace's target/debug
// with every other crate instead of napi's per-triple directory), copies it next to
// package.json as edgemodule.<platform>.node, and renders native.d.ts from the type
// definitions napi-derive wrote during compilation, using @napi-rs/cli's own generator.
//
//   node scripts/build.js            debug build, writes native.d.ts
//   node scripts/build.js --release  optimised build
//   node scripts/build.js --check    fails if native.d.ts differs from what the code declares
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { addonFileName } = require('../lib/platform');

const PKG = path.resolve(__dirname, '..');
const CRATE = 'edgemodule-node';
const LIB = 'edgemodule_node';
const args = new Set(process.argv.slice(2));
const release = args.has('--release') || process.env.EDGEMODULE_NODE_RELEASE === '1';
const check = args.has('--check');

function cargoTargetDir() {
  const out = execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'],
    { cwd: PKG, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out).target_directory;
}

async function main() {
  const targetDir = cargoTargetDir();
  const typeDefDir = path.join(targetDir, 'napi-rs', CRATE, 'type-def');
  fs.mkdirSync(typeDefDir, { recursive: true });
  const env = { ...process.env, NAPI_TYPE_DEF_TMP_FOLDER: typeDefDir };
  if (!fs.existsSync(path.join(typeDefDir, CRATE))) {
    // The type definitions are only written while the crate compiles: force that.
    env[`NAPI_FORCE_BUILD_${CRATE.replace(/-/g, '_').toUpperCase()}`] = String(Date.now());
  }
  const cargoArgs = ['build', '-p', CRATE, '--lib'];
  if (release) cargoArgs.push('--release');
  execFileSync('cargo', cargoArgs, { cwd: PKG, env, stdio: 'inherit' });

  const profileDir = path.join(targetDir, release ? 'release' : 'debug');
  const built = path.join(profileDir, process.platform === 'win32' ? `${LIB}.dll`
    : process.platform === 'darwin' ? `lib${LIB}.dylib` : `lib${LIB}.so`);
  const addon = path.join(PKG, addonFileName());
  fs.copyFileSync(built, `${addon}.tmp`);
  fs.renameSync(`${addon}.tmp`, addon);

  const { generateTypeDef } = await import('@napi-rs/cli');
  const { dts } = await generateTypeDef({ typeDefDir, cwd: PKG });
  const dest = path.join(PKG, 'native.d.ts');
  const current = fs.existsSync(dest) ? fs.readFileSync(dest, 'utf8') : null;
  if (check) {
    if (current !== dts) {
      fs.writeFileSync(path.join(targetDir, 'napi-rs', CRATE, 'native.d.ts'), dts);
      console.error(`native.d.ts is out of date with the Rust sources: run \`npm run build\` in bindings-node and commit it (fresh copy: ${path.join(targetDir, 'napi-rs', CRATE, 'native.d.ts')}).`);
      process.exit(1);
    }
  } else if (current !== dts) {
    fs.writeFileSync(dest, dts);
  }
  console.log(`built ${path.relative(process.cwd(), addon)} (${release ? 'release' : 'debug'})`);
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
