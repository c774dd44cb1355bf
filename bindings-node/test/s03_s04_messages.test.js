'use strict';
// S03 output routed to another module's input with body and every property intact (plus a
// real batch and telemetry); S04 per-input and default handlers, and async iterators.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Message, InvalidArgumentError } = require('edgemodule');
const { startHub } = require('./helpers/hub');
const { within, connect, sleep } = require('./helpers/util');

let hub;
let sender;
let receiver;
test.before(async () => {
  hub = await startHub();
  receiver = await connect(hub, 'receiver');
  sender = await connect(hub, 'sender');
});
test.after(async () => {
  await sender.close();
  await receiver.close();
  await hub.dispose();
});

test('S03: body and every property arrive intact', async () => {
  const body = Buffer.from([0, 1, 2, 250, 255, ...Buffer.from(' héllo / wörld & = % ')]);
  const sent = new Message(body);
  sent.properties.add('temperature', '21.5');
  sent.properties.add('with space & symbols=/?', 'vålue & more=%');
  sent.properties.set('empty', '');
  sent.messageId = 'mid-1';
  sent.correlationId = 'cid-1';
  sent.userId = 'user-1';
  sent.contentType = 'application/octet-stream';
  sent.contentEncoding = 'binary';
  sent.creationTimeUtc = new Date('2026-01-02T03:04:05.678Z');
  sent.expiryTimeUtc = '2036-01-01T00:00:00.000Z';
  sent.messageSchema = 'schema-1';
  sent.componentName = 'thermostat1';
  sent.interfaceId = 'urn:example:1';

  const received = new Promise((resolve) => receiver.onInput('input1', resolve));
  await sender.sendOutputEvent('output1', sent);
  const got = await within(10000, 'delivery', received);
  assert.ok(got instanceof Message);
  assert.deepEqual(got.getBytes(), body);
  assert.deepEqual(got.body, body);
  assert.equal(got.inputName, 'input1');
  assert.equal(got.properties.getValue('temperature'), '21.5');
  assert.equal(got.properties.getValue('with space & symbols=/?'), 'vålue & more=%');
  assert.equal(got.properties.get('empty'), '');
  assert.equal(got.properties.count(), 3);
  assert.equal(got.messageId, 'mid-1');
  assert.equal(got.correlationId, 'cid-1');
  assert.equal(got.userId, 'user-1');
  assert.equal(got.contentType, 'application/octet-stream');
  assert.equal(got.contentEncoding, 'binary');
  assert.equal(got.creationTimeUtc, '2026-01-02T03:04:05.678Z');
  assert.equal(got.expiryTimeUtc, '2036-01-01T00:00:00.000Z');
  assert.equal(got.messageSchema, 'schema-1');
  assert.equal(got.componentName, 'thermostat1');
  // edgeHub does not forward $.ifid to modules (protocol.md §4.3); the hub behaves the same.
  assert.equal(got.interfaceId, undefined);
  assert.equal(got.connectionDeviceId, 'edge-device');
  assert.equal(got.connectionModuleId, 'sender');
  receiver.offInput('input1');
});

test('S03: sendOutputEventBatch really sends every message, in order', async () => {
  const seen = [];
  const types = [];
  const all = new Promise((resolve) => receiver.onInput('input2', (m) => {
    seen.push(m.json().n);
    types.push(m.contentType);
    if (seen.length === 25) resolve();
  }));
  // Odd ones are only a body (they cross to the addon as a bare Buffer), even ones set
  // system properties.
  const batch = Array.from({ length: 25 }, (_, n) => (n % 2 ? new Message(JSON.stringify({ n })) : Message.json({ n })));
  await sender.sendOutputEventBatch('output2', batch);
  await within(10000, 'batch delivery', all);
  assert.deepEqual(seen, Array.from({ length: 25 }, (_, n) => n));
  assert.deepEqual(types, Array.from({ length: 25 }, (_, n) => (n % 2 ? undefined : 'application/json')));
  receiver.offInput('input2');
});

test('S03: sendEvent reaches $upstream', async () => {
  const m = Message.json({ hello: 'upstream' });
  m.messageId = 'telemetry-1';
  await sender.sendEvent(m);
  await sender.sendEventBatch([new Message('b1'), new Message('b2')]);
  let found;
  for (let i = 0; i < 50 && !found; i++) {
    found = (await hub.upstream()).find((u) => JSON.stringify(u).includes('telemetry-1'));
    if (!found) await sleep(100);
  }
  assert.ok(found, 'the telemetry message reached $upstream');
});

test('S04: per-input handlers win; the rest go to inputMessage listeners', async () => {
  const perInput = [];
  const byDefault = [];
  receiver.onInput('input1', (m) => { perInput.push(m.toString()); });
  const two = new Promise((resolve) => {
    receiver.on('inputMessage', function listener(inputName, m) {
      byDefault.push([inputName, m.toString()]);
      if (byDefault.length === 2) {
        receiver.off('inputMessage', listener);
        resolve();
      }
    });
  });
  await sender.sendOutputEvent('output1', new Message('a'));
  await sender.sendOutputEvent('output2', new Message('b'));
  await sender.sendOutputEvent('output3', new Message('c'));
  await within(10000, 'default deliveries', two);
  assert.deepEqual(perInput, ['a']);
  assert.deepEqual(byDefault.sort(), [['input2', 'b'], ['input3', 'c']]);
  receiver.offInput('input1');
});

test('S04: for await over client.inputs(name) acks each message as the loop moves on', async () => {
  const iterator = receiver.inputs('input3');
  for (const n of [1, 2, 3]) await sender.sendOutputEvent('output3', Message.json({ n }));
  const got = [];
  for await (const m of iterator) {
    got.push(m.json().n);
    if (got.length === 3) break;
  }
  assert.deepEqual(got, [1, 2, 3]);
  // The third was abandoned by `break` (not acked): it comes back to the next consumer.
  const again = await within(10000, 'redelivery of the abandoned message',
    new Promise((resolve) => receiver.onInput('input3', resolve)));
  assert.equal(again.json().n, 3);
  receiver.offInput('input3');
});

test('argument errors are InvalidArgumentError', async () => {
  await assert.rejects(sender.sendOutputEvent('', new Message('x')), InvalidArgumentError);
  await assert.rejects(sender.sendOutputEvent('output1', 'not a Message'), InvalidArgumentError);
  assert.throws(() => receiver.onInput('input1', 42), InvalidArgumentError);
  await assert.rejects(sender.publish('alerts/x', 'p', { qos: 2 }), InvalidArgumentError);
  await assert.rejects(sender.publish('$iothub/x', 'p'), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => new Message({ not: 'bytes' }), TypeError);
});
