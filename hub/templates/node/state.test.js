'use strict';
// Unit test of {{name}}'s decisions: `npm test` (no hub needed).
const test = require('node:test');
const assert = require('node:assert');
const { ModuleState } = require('./state');

test('forwards until disabled', () => {
  const state = new ModuleState();
  assert.ok(state.shouldForward());
  state.countForwarded();
  assert.deepStrictEqual(state.applyDesired({ Enabled: false, $version: 2 }), { Enabled: false });
  assert.ok(!state.shouldForward());
  assert.deepStrictEqual(state.status(), { enabled: false, forwarded: 1 });
});

test('ignores desired properties without a boolean', () => {
  const state = new ModuleState();
  assert.strictEqual(state.applyDesired({ Enabled: 'no' }), null);
  assert.strictEqual(state.applyDesired({}), null);
  assert.ok(state.shouldForward());
});
