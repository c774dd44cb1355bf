#!/usr/bin/env node
'use strict';
// Writes the package.json of a release npm package (napi-rs layout) to stdout, from the
// binding's own bindings-node/package.json:
//   node-manifest.js main SOURCE PLATFORM...     `edgemodule`: no build scripts, no dev tools,
//                                                 optionalDependencies on the platform packages
//   node-manifest.js platform SOURCE PLATFORM CPU `@edgemodule/PLATFORM`: the addon alone
const fs = require('node:fs');

const [kind, source, ...rest] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(source, 'utf8'));
const scope = '@edgemodule';
// npm packs a LICENSE file on its own only when it is named LICENSE or LICENCE (with an
// extension at most): the dual licence's two files must be listed.
const licenses = ['LICENSE-APACHE', 'LICENSE-MIT'];
const common = {
  version: pkg.version,
  license: pkg.license,
  engines: pkg.engines,
};
let out;
if (kind === 'main') {
  out = { ...pkg };
  delete out.scripts; // install/build hooks need a source checkout and cargo
  delete out.devDependencies;
  out.files = [...pkg.files.filter((f) => !f.endsWith('.node') && !f.startsWith('scripts/')), ...licenses];
  out.optionalDependencies = Object.fromEntries(rest.map((p) => [`${scope}/${p}`, pkg.version]));
} else if (kind === 'platform') {
  const [platform, cpu] = rest;
  const file = `edgemodule.${platform}.node`;
  out = {
    name: `${scope}/${platform}`,
    ...common,
    description: `The prebuilt native addon of edgemodule for ${platform}`,
    main: file,
    files: [file, ...licenses],
    os: ['linux'],
    cpu: [cpu],
    libc: ['glibc'],
  };
} else {
  console.error('usage: node-manifest.js main|platform SOURCE ...');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
