'use strict';
// S19 publishes unacknowledged at a disconnect are re-sent with DUP; S20 the failure reply
// of a throwing method handler is the core's bytes; S21 invoke honours a short timeout.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Message, ModuleClient, TimeoutError } = require('edgemodule');
const { startHub } = require('./helpers/hub');
const { within, connect, sleep, FAST } = require('./helpers/util');
const { inspect, waitInspect } = require('./helpers/inspect');
const { startProxy } = require('./helpers/proxy');

let hub;
test.before(async () => { hub = await startHub(); });
test.after(async () => { await hub.dispose(); });

const FAILURE_REPLY = '{"error":"HANDLER_FAILED","message":"the method handler failed"}';

test('S19: publishes unacknowledged when the connection drops are re-sent with DUP; none is lost', async () => {
  const COUNT = 5;
  const receiver = await connect(hub, 'receiver');
  const seen = new Set();
  receiver.onInput('input1', (m) => { seen.add(m.messageId); });
  await receiver.open();
  const proxy = await startProxy(hub.ready.mqtt);
  const sender = await ModuleClient.fromEnvironment({ ...FAST, env: await hub.env('sender'), mqttPort: proxy.port });
  try {
    // Something subscribed, so the hub keeps a session to resume.
    sender.onMethod('noop', (req, res) => res.send(200, null));
    await within(20000, 'open', sender.open());
    const before = await inspect(hub, 'sender');
    proxy.holdDownstream(true);
    const sends = [];
    for (let i = 0; i < COUNT; i++) {
      const m = new Message(`m${i}`);
      m.messageId = `m${i}`;
      sends.push(sender.sendOutputEvent('output1', m));
    }
    await waitInspect(hub, 'sender', 'the publishes reached the hub',
      (v) => v.publishes_received >= before.publishes_received + COUNT);
    proxy.cut();
    proxy.holdDownstream(false);
    await within(30000, 'every send acknowledged after the reconnect', Promise.all(sends));
    const after = await waitInspect(hub, 'sender', 'DUP re-sends',
      (v) => v.dup_publishes_received >= before.dup_publishes_received + COUNT);
    assert.ok(after.connections > before.connections, 'reconnected');
    await within(15000, 'every message delivered', (async () => { while (seen.size < COUNT) await sleep(20); })());
    assert.deepEqual([...seen].sort(), Array.from({ length: COUNT }, (_, i) => `m${i}`));
  } finally {
    await Promise.all([sender.close(), receiver.close()]);
    await proxy.close();
  }
});

test('S20: a throwing method handler is answered 500 with the core\'s exact bytes', async () => {
  const receiver = await connect(hub, 'receiver');
  const caller = await connect(hub, 'caller');
  receiver.on('backgroundError', () => {});
  receiver.onMethod('explode', () => { throw new TypeError('no such thing'); });
  receiver.onMethod('reject', () => Promise.reject(new Error('nope')));
  await receiver.open();
  for (const methodName of ['explode', 'reject']) {
    const viaHub = await hub.invoke('receiver', methodName, { x: 1 });
    assert.equal(viaHub.status, 500);
    assert.equal(JSON.stringify(viaHub.payload), FAILURE_REPLY);
    const viaModule = await caller.invokeMethod('edge-device', 'receiver', { methodName, payload: null });
    assert.equal(viaModule.status, 500);
    assert.equal(JSON.stringify(viaModule.payload), FAILURE_REPLY);
  }
  await Promise.all([receiver.close(), caller.close()]);
});

test('S21: invokeMethod with a short response timeout on a module that never answers fails with TIMEOUT in time', async (t) => {
  const mute = await connect(hub, 'mute');
  const caller = await connect(hub, 'caller');
  t.after(() => Promise.all([mute.close(), caller.close()]));
  mute.on('backgroundError', () => {});
  mute.onMethod('wait', () => new Promise(() => {})); // never answers
  await mute.open();
  const started = Date.now();
  await assert.rejects(
    caller.invokeMethod('edge-device', 'mute', { methodName: 'wait', payload: null, responseTimeoutInSeconds: 5 }),
    (e) => e instanceof TimeoutError && e.code === 'TIMEOUT' && e.transient === true,
  );
  const took = Date.now() - started;
  assert.ok(took >= 4900 && took < 8000, `failed after ${took} ms (timeout 5 s, the shortest the core accepts)`);
});
