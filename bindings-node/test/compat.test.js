'use strict';
// edgemodule/compat: an azure-iot-device style module runs unchanged but for its require
// lines; plus the callback/Promise shapes azure-iot-device users rely on.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const compat = require('edgemodule/compat');
const { startHub } = require('./helpers/hub');
const { connect, within } = require('./helpers/util');
const { startModule } = require('./helpers/child');

let hub;
let dir;
test.before(async () => {
  hub = await startHub();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgemodule-compat-'));
});
test.after(async () => {
  await hub.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an azure-iot-device sample runs with only its requires changed', async () => {
  const original = fs.readFileSync(path.join(__dirname, 'fixtures', 'azure_style_module.js'), 'utf8');
  const ported = original
    .replace(/require\('azure-iot-device-mqtt'\)/g, "require('edgemodule/compat')")
    .replace(/require\('azure-iot-device'\)/g, "require('edgemodule/compat')");
  const changed = original.split('\n').filter((line, i) => line !== ported.split('\n')[i]);
  assert.equal(changed.length, 3, 'exactly the three require lines differ');
  assert.ok(changed.every((line) => /require\('azure-iot-device(-mqtt)?'\)/.test(line)));
  const script = path.join(dir, 'module.js');
  fs.writeFileSync(script, ported);

  const receiver = await connect(hub, 'receiver');
  const sender = await connect(hub, 'sender');
  const module = startModule(script, await hub.env('filter'));
  try {
    await module.waitForOutput(/reported started/);
    const got = new Promise((resolve) => receiver.onInput('filtered', resolve));
    await sender.sendOutputEvent('readings', new compat.Message('{"temperature":30}'));
    const piped = await within(10000, 'piped message', got);
    assert.equal(piped.toString(), '{"temperature":30}');
    assert.equal(piped.properties.getValue('piped'), 'yes');
    assert.equal(piped.connectionModuleId, 'filter');
    await module.waitForOutput(/Sending received message status: MessageEnqueued/);
    await module.waitForOutput(/Receiving message status: MessageCompleted/);

    assert.deepEqual(await hub.invoke('filter', 'reset', { why: 'test' }),
      { status: 200, payload: { reset: true, echo: { why: 'test' } } });
    assert.equal((await hub.twin('filter')).reported.started, true);
    await hub.twin('filter', { mode: 'strict' });
    await module.waitForOutput(/desired change: .*"mode":"strict"/);
  } finally {
    await module.stop();
    await Promise.all([receiver.close(), sender.close()]);
  }
});

test('compat shapes: sync fromConnectionString + setOptions, callbacks and Promises, results', async () => {
  const env = await hub.env('receiver', 'connection-string');
  process.env.EDGEMODULE_MQTT_PORT = env.EDGEMODULE_MQTT_PORT;
  const client = compat.ModuleClient.fromConnectionString(env.EdgeHubConnectionString, compat.Mqtt);
  try {
    assert.ok(client instanceof compat.ModuleClient);
    await client.setOptions({ ca: fs.readFileSync(env.EdgeModuleCACertificateFile, 'utf8') });
    const opened = await new Promise((resolve, reject) => client.open((err, res) => (err ? reject(err) : resolve(res))));
    assert.equal(opened.constructor.name, 'Connected');
    const twin = await new Promise((resolve, reject) => client.getTwin((err, t) => (err ? reject(err) : resolve(t))));
    assert.equal(twin.properties.desired.threshold, 30);
    const enqueued = await client.sendEvent(new compat.Message('hello'));
    assert.ok(enqueued instanceof compat.results.MessageEnqueued);
    const batch = await client.sendOutputEventBatch('out', [new compat.Message('a'), new compat.Message('b')]);
    assert.ok(batch instanceof compat.results.MessageEnqueued);
    const closed = await client.close();
    assert.ok(closed instanceof compat.results.Disconnected);
  } finally {
    delete process.env.EDGEMODULE_MQTT_PORT;
    await client.close();
  }
  assert.throws(() => compat.ModuleClient.fromConnectionString('', compat.Mqtt), ReferenceError);
  assert.throws(() => compat.ModuleClient.fromConnectionString('HostName=x', function Amqp() {}), (e) => e.code === 'CONFIG');
  const m = new compat.Message(Buffer.from('x'));
  assert.equal(m.properties.add('iothub-to', 'no'), false);
  assert.equal(compat.Message.isBufferConvertible('s'), true);
});
