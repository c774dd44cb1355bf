'use strict';
// S12 a handler that throws → the core's failure reply / message redelivered, client keeps
// running; S13 close with work in flight → each op completes or fails with CLOSED, no
// callback after close.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Message, ClosedError } = require('edgemodule');
const { startHub } = require('./helpers/hub');
const { within, connect, sleep } = require('./helpers/util');

let hub;
test.before(async () => { hub = await startHub(); });
test.after(async () => { await hub.dispose(); });

test('S12: throwing or rejecting method handlers get the core\'s failure reply; the client keeps running', async () => {
  const receiver = await connect(hub, 'receiver');
  const failures = [];
  receiver.on('backgroundError', (e) => failures.push(e));
  receiver.onMethod('sync', () => { throw new Error('sync failure'); });
  receiver.onMethod('async', async () => { throw new Error('async failure'); });
  receiver.onMethod('fine', (req, res) => res.send(200, { ok: true }));
  // Methods are subscribed once a handler exists; open() resolves once that is done.
  await receiver.open();
  const reply = { error: 'HANDLER_FAILED', message: 'the method handler failed' };
  assert.deepEqual(await hub.invoke('receiver', 'sync', null), { status: 500, payload: reply });
  assert.deepEqual(await hub.invoke('receiver', 'async', null), { status: 500, payload: reply });
  assert.deepEqual(await hub.invoke('receiver', 'fine', null), { status: 200, payload: { ok: true } });
  await within(5000, 'two background errors', (async () => { while (failures.length < 2) await sleep(20); })());
  assert.deepEqual(failures.map((f) => [f.kind, f.family, f.name]),
    [['HANDLER_FAILED', 'method', 'sync'], ['HANDLER_FAILED', 'method', 'async']]);
  assert.match(failures[0].message, /sync failure/);
  await receiver.close();
});

test('S12: a message whose handler throws or rejects is delivered again (at-least-once)', async () => {
  const receiver = await connect(hub, 'receiver', { redeliveryDelayMs: 100 });
  const sender = await connect(hub, 'sender');
  const attempts = [];
  const done = new Promise((resolve) => receiver.onInput('input1', async (m) => {
    attempts.push(m.toString());
    if (attempts.length === 1) throw new Error('first attempt fails');
    if (attempts.length === 2) await Promise.reject(new Error('second attempt rejects'));
    resolve();
  }));
  await sender.sendOutputEvent('output1', new Message('retry me'));
  await within(10000, 'third delivery', done);
  assert.deepEqual(attempts, ['retry me', 'retry me', 'retry me']);
  await sleep(500);
  assert.equal(attempts.length, 3, 'acknowledged after success: not delivered again');
  await sender.sendOutputEvent('output1', new Message('next'));
  await Promise.all([receiver.close(), sender.close()]);
});

test('S13: close with sends in flight: each resolves or fails with ClosedError; nothing after close', async (t) => {
  const receiver = await connect(hub, 'receiver');
  const sender = await connect(hub, 'sender');
  let afterClose = 0;
  let closed = false;
  receiver.onInput('input1', () => { if (closed) afterClose++; });
  receiver.on('inputMessage', () => { if (closed) afterClose++; });
  receiver.onMethod('m', (q, r) => { if (closed) afterClose++; r.send(200); });
  const sends = Array.from({ length: 200 }, (_, i) => sender.sendOutputEvent('output1', new Message(`x${i}`)));
  const settled = Promise.allSettled(sends);
  await sleep(5);
  await Promise.all([sender.close(), receiver.close()]);
  closed = true;
  const outcomes = await within(10000, 'every send settles', settled);
  t.diagnostic(`${outcomes.filter((o) => o.status === 'fulfilled').length} of 200 sends completed before close`);
  for (const o of outcomes) {
    if (o.status === 'rejected') assert.ok(o.reason instanceof ClosedError, `${o.reason}`);
  }
  await assert.rejects(sender.sendOutputEvent('output1', new Message('late')), ClosedError);
  await assert.rejects(sender.getTwin(), ClosedError);
  assert.throws(() => sender.onInput('input1', () => {}), ClosedError);
  await sender.close(); // idempotent
  await sleep(300);
  assert.equal(afterClose, 0);
});
