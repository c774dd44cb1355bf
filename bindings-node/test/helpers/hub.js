'use strict';
// The hub launcher every Node suite shares lives in tests/support/hub.js (ephemeral ports
// read from the ready line, restarts on the same addresses, EDGEMODULE_HUB_STATE for the
// CLI, tests/conformance/deployment.json). The suite also runs from a packed copy outside
// the repository (scripts/test-installed.sh), which finds the repository via EDGEMODULE_ROOT.
const path = require('node:path');

const ROOT = process.env.EDGEMODULE_ROOT || path.resolve(__dirname, '..', '..', '..');
const shared = require(path.join(ROOT, 'tests', 'support', 'hub.js'));

module.exports = { ...shared, startHub: (options = {}) => shared.startHub({ prefix: 'edgemodule-node-', ...options }) };
