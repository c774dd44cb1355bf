'use strict';
// S11: hub restart mid-stream → the client reconnects by itself, no QoS 1 message is lost,
// and a desired change made while the module was offline arrives as a catch-up patch.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Message } = require('edgemodule');
const { startHub } = require('./helpers/hub');
const { within, connect, waitFor } = require('./helpers/util');

let hub;
test.before(async () => { hub = await startHub(); });
test.after(async () => { await hub.dispose(); });

test('S11: sends across a hub restart lose nothing; status reports the outage', async () => {
  const TOTAL = 40;
  const receiver = await connect(hub, 'receiver');
  const sender = await connect(hub, 'sender');
  const seen = new Set();
  const all = new Promise((resolve) => receiver.onInput('input1', (m) => {
    seen.add(m.messageId);
    if (seen.size === TOTAL) resolve();
  }));
  const states = [];
  sender.on('connectionStatus', (s) => states.push(s.status));
  const sends = [];
  for (let i = 0; i < TOTAL; i++) {
    const m = new Message(`reading ${i}`);
    m.messageId = `m${String(i).padStart(3, '0')}`;
    sends.push(sender.sendOutputEvent('output1', m));
    if (i === TOTAL / 4) await hub.restart();
    await new Promise((r) => setTimeout(r, 20));
  }
  await within(60000, 'every send acknowledged', Promise.all(sends));
  await within(60000, 'every message received', all);
  assert.equal(seen.size, TOTAL);
  assert.ok(states.includes('disconnectedRetrying'), `outage reported: ${states}`);
  assert.equal(states.at(-1), 'connected');
  await Promise.all([sender.close(), receiver.close()]);
});

test('S11: a desired change made while offline arrives as a catch-up patch', async () => {
  const receiver = await connect(hub, 'receiver');
  const twin = await receiver.getTwin();
  const down = waitFor(receiver, 'connectionStatus', (s) => s.status === 'disconnectedRetrying');
  await hub.stop();
  await down;
  const version = await hub.elsewhere(async (admin) => (await hub.twin('receiver', { threshold: 55 }, admin)).desired.$version);
  const catchUp = waitFor(twin, 'properties.desired', (p) => p.$version === version, 30000);
  const onClient = waitFor(receiver, 'desired', (p) => p.$version === version, 30000);
  await hub.start();
  const [patch] = await catchUp;
  assert.equal(patch.threshold, 55);
  assert.equal((await onClient)[0].threshold, 55);
  assert.equal(twin.properties.desired.threshold, 55);
  assert.equal(twin.properties.desired.$version, version);
  await receiver.close();
});
