'use strict';
// S09 oversized message → typed error, client still usable; S10 bad credentials → typed
// error, no hang (the error table itself: vectors.test.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const edgemodule = require('edgemodule');
const { Message, ModuleClient, MessageTooLargeError, UnauthorizedError, EdgeModuleError } = edgemodule;
const { startHub } = require('./helpers/hub');
const { within, connect, FAST } = require('./helpers/util');

let hub;
test.before(async () => { hub = await startHub(); });
test.after(async () => { await hub.dispose(); });

test('S09: an oversized message is a MessageTooLargeError and the client stays usable', async () => {
  const receiver = await connect(hub, 'receiver');
  const sender = await connect(hub, 'sender');
  const got = new Promise((resolve) => receiver.onInput('input1', resolve));
  await assert.rejects(sender.sendOutputEvent('output1', new Message(Buffer.alloc(300 * 1024))), (e) => {
    assert.ok(e instanceof MessageTooLargeError && e instanceof EdgeModuleError);
    assert.equal(e.code, 'MESSAGE_TOO_LARGE');
    assert.equal(e.errno, 7);
    assert.equal(e.transient, false);
    return true;
  });
  await assert.rejects(sender.sendOutputEventBatch('output1', [new Message('ok'), new Message(Buffer.alloc(300 * 1024))]),
    MessageTooLargeError);
  await sender.sendOutputEvent('output1', new Message('still works'));
  assert.equal((await within(10000, 'delivery', got)).toString(), 'still works');
  await Promise.all([sender.close(), receiver.close()]);
});

test('S10: bad credentials → UnauthorizedError quickly, status says badCredential', async () => {
  const env = await hub.env('sender', 'connection-string');
  const wrongKey = env.EdgeHubConnectionString.replace(/SharedAccessKey=[^;]*/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`);
  const client = await ModuleClient.fromConnectionString(wrongKey, {
    ...FAST,
    caFile: env.EdgeModuleCACertificateFile,
    mqttPort: Number(env.EDGEMODULE_MQTT_PORT),
  });
  const statuses = [];
  client.on('connectionStatus', (s) => statuses.push(s));
  const errors = [];
  client.on('error', (e) => errors.push(e));
  const started = Date.now();
  await assert.rejects(within(10000, 'open', client.open()), (e) => {
    assert.ok(e instanceof UnauthorizedError, `${e.name}: ${e.message}`);
    assert.equal(e.code, 'UNAUTHORIZED');
    return true;
  });
  assert.ok(Date.now() - started < 5000, 'no hang');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(statuses.at(-1), { status: 'disconnected', reason: 'badCredential' });
  assert.ok(errors.some((e) => e instanceof UnauthorizedError));
  await client.close();
});
