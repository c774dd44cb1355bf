'use strict';
// S14–S18: the core's delivery policy seen from Node (docs/delivery.md): PUBACKs in arrival
// order (the hub's `inspect`), one message at a time per handler, bounded retries of a
// failing handler, a slow handler holding later messages, 404 without method handlers, and
// a message for an input nobody handles — reported on 'backgroundError', never a crash.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Message } = require('edgemodule');
const { startHub } = require('./helpers/hub');
const { within, connect, sleep } = require('./helpers/util');
const { inspect, waitInspect, assertAcksInOrder } = require('./helpers/inspect');

let hub;
let sender;
let caller;
test.before(async () => {
  hub = await startHub();
  sender = await connect(hub, 'sender');
  caller = await connect(hub, 'caller');
});
test.after(async () => {
  await Promise.all([sender.close(), caller.close()]);
  await hub.dispose();
});

/** Sends `count` messages `${prefix}000`… to `output`, one after the other. */
async function sendNumbered(output, prefix, count) {
  for (let i = 0; i < count; i++) {
    const m = new Message(`${prefix}${i}`);
    m.messageId = `${prefix}${String(i).padStart(3, '0')}`;
    await sender.sendOutputEvent(output, m);
  }
}

const numbered = (prefix, count) => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

/** A handler recording message ids, taking `pauseMs`, failing the test if it ever runs twice at once. */
function recorder(seen, pauseMs) {
  let running = 0;
  return async (m) => {
    running++;
    assert.equal(running, 1, 'one message at a time per handler');
    await sleep(pauseMs);
    running--;
    seen.push(m.messageId);
  };
}

test('S14: per-input handlers with method calls in between: PUBACKs in arrival order', async () => {
  const ordered = await connect(hub, 'ordered', {});
  const first = [];
  const second = [];
  ordered.onInput('first', recorder(first, 15));
  ordered.onInput('second', recorder(second, 1));
  ordered.onMethod('ping', (req, res) => res.send(200, null));
  await ordered.open();
  const before = await inspect(hub, 'ordered');
  const N = 20;
  const sends = Promise.all([sendNumbered('first', 'a', N), sendNumbered('second', 'b', N)]);
  const statuses = [];
  for (let i = 0; i < 10; i++) statuses.push((await hub.invoke('ordered', 'ping', null)).status);
  await within(60000, 'sends', sends);
  await within(30000, 'every message handled', (async () => { while (first.length + second.length < 2 * N) await sleep(20); })());
  assert.deepEqual(statuses, Array(10).fill(200));
  assert.deepEqual(first, numbered('a', N), 'first: in send order, each once');
  assert.deepEqual(second, numbered('b', N), 'second: in send order, each once');
  const view = await waitInspect(hub, 'ordered', 'every PUBACK', (v) => v.acks_in_order - before.acks_in_order >= 2 * N + 10);
  assertAcksInOrder(view);
  assert.equal(view.redelivered, 0, JSON.stringify(view));
  await ordered.close();
});

test('S15: a raising handler is retried with backoff, then acknowledged and reported; later messages go on', async () => {
  const ordered = await connect(hub, 'ordered', { handlerAttempts: 3, redeliveryDelayMs: 100 });
  const calls = [];
  const errors = [];
  ordered.on('backgroundError', (e) => errors.push(e));
  ordered.onInput('first', (m) => {
    calls.push([m.toString(), Date.now()]);
    if (m.toString() === 'bad') throw new Error('cannot handle bad');
  });
  await ordered.open();
  const before = await inspect(hub, 'ordered');
  await sender.sendOutputEvent('first', new Message('bad'));
  for (const text of ['good1', 'good2']) await sender.sendOutputEvent('first', new Message(text));
  await within(15000, 'every call', (async () => { while (calls.length < 5 || errors.length < 1) await sleep(20); })());
  assert.deepEqual(calls.map(([text]) => text), ['bad', 'bad', 'bad', 'good1', 'good2'], 'three attempts, then the rest in order');
  const gaps = [calls[1][1] - calls[0][1], calls[2][1] - calls[1][1]];
  assert.ok(gaps[0] >= 90 && gaps[1] >= 190, `backoff 100 ms, then doubled: ${gaps}`);
  assert.equal(errors.length, 1);
  assert.deepEqual([errors[0].kind, errors[0].family, errors[0].name], ['HANDLER_FAILED', 'input', 'first']);
  assert.match(errors[0].message, /cannot handle bad/);
  const view = await waitInspect(hub, 'ordered', 'three PUBACKs', (v) => v.acks_in_order - before.acks_in_order >= 3);
  assertAcksInOrder(view);
  assert.equal(view.redelivered, before.redelivered, 'retried locally, not by the hub');
  await ordered.close();
});

test('S16: a slow handler holds later messages; in order, nothing lost, PUBACKs in order', async () => {
  const ordered = await connect(hub, 'ordered');
  const seen = [];
  let slow = true;
  const handler = recorder(seen, 0);
  ordered.onInput('first', async (m) => {
    if (slow) {
      slow = false;
      await sleep(1500);
    }
    await handler(m);
  });
  await ordered.open();
  const before = await inspect(hub, 'ordered');
  await sendNumbered('first', 's', 8);
  await sleep(300);
  assert.deepEqual(seen, [], 'later messages wait for the slow one');
  await within(20000, 'all handled', (async () => { while (seen.length < 8) await sleep(20); })());
  assert.deepEqual(seen, numbered('s', 8));
  const view = await waitInspect(hub, 'ordered', 'eight PUBACKs', (v) => v.acks_in_order - before.acks_in_order >= 8);
  assertAcksInOrder(view);
  await ordered.close();
});

test('S17: without a method handler the module is not subscribed: invoking it is 404 at once', async () => {
  const target = await connect(hub, 'nomethods');
  target.on('inputMessage', () => {});
  target.on('desired', () => {});
  await target.open();
  const view = await inspect(hub, 'nomethods');
  assert.ok(!JSON.stringify(view.subscriptions).includes('$iothub/methods'), `not subscribed to methods: ${JSON.stringify(view.subscriptions)}`);
  const started = Date.now();
  await assert.rejects(
    caller.invokeMethod('edge-device', 'nomethods', { methodName: 'reset', payload: null, responseTimeoutInSeconds: 20 }),
    (e) => e.code === 'NOT_FOUND' && e.status === 404,
  );
  assert.ok(Date.now() - started < 1000, `answered after ${Date.now() - started} ms`);
  await target.close();
});

test('S17: a method nothing handles (others are) gets the core\'s 501 NO_HANDLER reply', async () => {
  const receiver = await connect(hub, 'receiver');
  const errors = [];
  receiver.on('backgroundError', (e) => errors.push(e));
  receiver.onMethod('reset', (req, res) => res.send(200, 'reset'));
  await receiver.open();
  const answer = await caller.invokeMethod('edge-device', 'receiver', { methodName: 'reboot', payload: null });
  assert.equal(answer.status, 501);
  assert.equal(JSON.stringify(answer.payload), '{"error":"NO_HANDLER","message":"the module has no handler for this method"}');
  await within(5000, 'background error', (async () => { while (errors.length < 1) await sleep(20); })());
  assert.deepEqual([errors[0].kind, errors[0].family, errors[0].name], ['NO_HANDLER', 'method', 'reboot']);
  await receiver.close();
});

test('S18: a message for an input without a handler is acknowledged, dropped, reported; later ones go on', async () => {
  const ordered = await connect(hub, 'ordered');
  const errors = [];
  ordered.on('backgroundError', (e) => errors.push(e));
  const seen = [];
  ordered.onInput('first', (m) => { seen.push(m.toString()); });
  await ordered.open();
  const before = await inspect(hub, 'ordered');
  await sender.sendOutputEvent('unhandled', new Message('nobody'));
  await sender.sendOutputEvent('first', new Message('after'));
  await within(10000, 'the later message', (async () => { while (seen.length < 1 || errors.length < 1) await sleep(20); })());
  assert.deepEqual(seen, ['after']);
  assert.deepEqual([errors[0].kind, errors[0].family, errors[0].name], ['NO_HANDLER', 'input', 'unhandled']);
  const view = await waitInspect(hub, 'ordered', 'two PUBACKs', (v) => v.acks_in_order - before.acks_in_order >= 2);
  assertAcksInOrder(view);
  assert.equal(view.redelivered, before.redelivered);
  await ordered.close();
});

test('S18: with nobody listening, a background error is a process warning, not a crash', async () => {
  const ordered = await connect(hub, 'ordered');
  const warnings = [];
  const onWarning = (w) => { if (/NO_HANDLER/.test(w.message)) warnings.push(w); };
  process.on('warning', onWarning);
  try {
    const seen = [];
    ordered.onInput('first', (m) => { seen.push(m.toString()); });
    await ordered.open();
    await sender.sendOutputEvent('unhandled', new Message('nobody 1'));
    await sender.sendOutputEvent('unhandled', new Message('nobody 2'));
    await sender.sendOutputEvent('first', new Message('still here'));
    await within(10000, 'the later message and a warning', (async () => { while (seen.length < 1 || warnings.length < 1) await sleep(20); })());
    await sleep(200);
    assert.equal(warnings.length, 1, 'once per kind and input');
    assert.equal(warnings[0].name, 'EdgeModuleWarning');
  } finally {
    process.off('warning', onWarning);
    await ordered.close();
  }
});
