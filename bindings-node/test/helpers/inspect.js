'use strict';
// Delivery inspection (contract 5, `edgemodule-hub inspect MODULE`): what the hub saw of a
// module's acknowledgements, and waiting until a condition on it holds.
const assert = require('node:assert/strict');
const { sleep } = require('./util');

/** The hub's inspect JSON for `module`. */
async function inspect(hub, module) {
  return JSON.parse(await hub.cli(['inspect', module]));
}

/** Polls inspect until `pred(view)`; returns that view. */
async function waitInspect(hub, module, what, pred, ms = 15000) {
  const deadline = Date.now() + ms;
  let view = await inspect(hub, module);
  while (!pred(view)) {
    if (Date.now() > deadline) assert.fail(`${what}: not seen within ${ms} ms: ${JSON.stringify(view)}`);
    await sleep(100);
    view = await inspect(hub, module);
  }
  return view;
}

/** Every PUBACK the hub saw from `module` matched its oldest outstanding PUBLISH. */
function assertAcksInOrder(view) {
  assert.equal(view.acks_out_of_order, 0, `acknowledgements out of order: ${JSON.stringify(view)}`);
  assert.ok(view.acks_in_order > 0, `no acknowledgement seen: ${JSON.stringify(view)}`);
}

module.exports = { inspect, waitInspect, assertAcksInOrder };
