'use strict';
// S01 connect from the IoT Edge environment; S02 from EdgeHubConnectionString +
// EdgeModuleCACertificateFile.
const test = require('node:test');
const assert = require('node:assert/strict');
const { ModuleClient, ConfigError, EdgeModuleError } = require('edgemodule');
const { startHub } = require('./helpers/hub');
const { within, FAST } = require('./helpers/util');

let hub;
test.before(async () => { hub = await startHub(); });
test.after(async () => { await hub.dispose(); });

test('S01: fromEnvironment with IOTEDGE_* and the workload API connects', async () => {
  const env = await hub.env('receiver', 'workload');
  assert.ok(env.IOTEDGE_WORKLOADURI.startsWith('unix://'));
  const client = await ModuleClient.fromEnvironment({ ...FAST, env });
  const statuses = [];
  client.on('connectionStatus', (s) => statuses.push(s));
  const connected = new Promise((resolve) => client.once('connect', resolve));
  await within(20000, 'open', client.open());
  await within(5000, "'connect' event", connected);
  assert.equal(client.deviceId, 'edge-device');
  assert.equal(client.moduleId, 'receiver');
  assert.deepEqual(client.connectionStatus, { status: 'connected', reason: 'ok' });
  assert.deepEqual(statuses[0], { status: 'connected', reason: 'ok' });
  const twin = await client.getTwin();
  assert.equal(twin.properties.desired.threshold, 30);
  await client.close();
  assert.deepEqual(client.connectionStatus, { status: 'closed', reason: 'clientClose' });
  assert.deepEqual(statuses.at(-1), { status: 'closed', reason: 'clientClose' });
});

test('S01: a missing variable is a ConfigError naming it', async () => {
  const env = await hub.env('receiver', 'workload');
  delete env.IOTEDGE_MODULEID;
  await assert.rejects(ModuleClient.fromEnvironment({ env }), (e) => {
    assert.ok(e instanceof ConfigError && e instanceof EdgeModuleError);
    assert.equal(e.code, 'CONFIG');
    assert.equal(e.errno, 2);
    assert.match(e.message, /IOTEDGE_MODULEID/);
    return true;
  });
});

test('S02: fromEnvironment with EdgeHubConnectionString + EdgeModuleCACertificateFile', async () => {
  const env = await hub.env('sender', 'connection-string');
  assert.ok(env.EdgeHubConnectionString && env.EdgeModuleCACertificateFile);
  assert.equal(env.IOTEDGE_MODULEID, undefined);
  const client = await ModuleClient.fromEnvironment({ ...FAST, env });
  await within(20000, 'open', client.open());
  assert.equal(client.moduleId, 'sender');
  await client.close();
});

test('S02: fromConnectionString with the CA from options or EdgeModuleCACertificateFile', async () => {
  const env = await hub.env('sender', 'connection-string');
  const ports = { mqttPort: Number(env.EDGEMODULE_MQTT_PORT), httpsPort: Number(env.EDGEMODULE_HTTPS_PORT) };
  const a = await ModuleClient.fromConnectionString(env.EdgeHubConnectionString,
    { ...FAST, ...ports, caFile: env.EdgeModuleCACertificateFile });
  await within(20000, 'open (caFile)', a.open());
  await a.close();

  process.env.EdgeModuleCACertificateFile = env.EdgeModuleCACertificateFile;
  try {
    const b = await ModuleClient.fromConnectionString(env.EdgeHubConnectionString, { ...FAST, ...ports });
    await within(20000, 'open (environment CA)', b.open());
    await b.close();
  } finally {
    delete process.env.EdgeModuleCACertificateFile;
  }
  await assert.rejects(ModuleClient.fromConnectionString(env.EdgeHubConnectionString, ports),
    (e) => e instanceof ConfigError && /trust bundle/.test(e.message));
  await assert.rejects(ModuleClient.fromConnectionString('HostName=h;DeviceId=d', { ca: 'x' }),
    (e) => e.code === 'CONFIG');
});
