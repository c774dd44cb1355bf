'use strict';
// S22 SAS renewal with a short TTL loses nothing and shows no failure; S23 retry give-up
// ends with CONNECTION / retryExpired and fails pending work once; S24 user topics
// (one at a time, UNSUBSCRIBE, a denied publish is UNAUTHORIZED); S25 the core's log records
// reach the `logger` option on a hub restart, and DEBUG / NODE_DEBUG print them.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Message, ModuleClient, ConnectionError, UnauthorizedError } = require('edgemodule');
const { startHub } = require('./helpers/hub');
const { within, connect, sleep, waitFor, FAST } = require('./helpers/util');
const { inspect, waitInspect } = require('./helpers/inspect');
const { startModule } = require('./helpers/child');

let hub;
test.before(async () => { hub = await startHub(); });
test.after(async () => { await hub.dispose(); });

/** A logger object (the shape console and pino have) that keeps every record it gets. */
function capture() {
  const records = [];
  const log = (level) => (line, record) => records.push({ level, line, ...(record || {}) });
  return { records, logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } };
}

test('S22: with a 2 s token the client renews several times while sending; nothing lost, no failure shown', async () => {
  const TOTAL = 40;
  const receiver = await connect(hub, 'receiver');
  const received = new Set();
  receiver.onInput('input1', (m) => { received.add(m.messageId); });
  await receiver.open();
  const { records, logger } = capture();
  const sender = await connect(hub, 'sender', { sasTtlSecs: 2, logger });
  const states = [];
  sender.on('connectionStatus', (s) => states.push(s.status));
  for (let i = 0; i < TOTAL; i++) {
    const m = new Message(`r${i}`);
    m.messageId = `r${String(i).padStart(3, '0')}`;
    await sender.sendOutputEvent('output1', m);
    await sleep(125);
  }
  await within(30000, 'every message received', (async () => { while (received.size < TOTAL) await sleep(20); })());
  const renewals = () => records.filter((r) => /renewing the SAS token/.test(r.line) && r.module === 'sender').length;
  await within(10000, 'two renewals logged', (async () => { while (renewals() < 2) await sleep(50); })());
  assert.deepEqual(states.filter((s) => s !== 'connected'), [], `renewals show no failure: ${states}`);
  assert.equal(sender.connectionStatus.status, 'connected');
  await Promise.all([sender.close(), receiver.close()]);
});

test('S23: with the hub gone and a short give-up time, the client stops with CONNECTION / retryExpired; pending sends fail once', async () => {
  const own = await startHub();
  try {
    const sender = await connect(own, 'sender', { retry: { initialDelayMs: 50, maxDelayMs: 200, giveUpAfterMs: 1500 } });
    const statuses = [];
    sender.on('connectionStatus', (s) => statuses.push(s));
    const errors = [];
    sender.on('error', (e) => errors.push(e));
    await own.stop();
    await waitFor(sender, 'connectionStatus', (s) => s.status !== 'connected');
    const settled = [];
    const sends = [0, 1, 2].map((i) => sender.sendOutputEvent('up', new Message(`m${i}`)).then(
      () => settled.push(['ok', i]), (e) => { settled.push(['failed', i]); return e; }));
    const outcomes = await within(20000, 'every send settles', Promise.all(sends));
    for (const e of outcomes) assert.ok(e instanceof ConnectionError && e.transient, `${e}`);
    await sleep(300);
    assert.equal(settled.length, 3, 'each settled once');
    assert.deepEqual(sender.connectionStatus, { status: 'disconnected', reason: 'retryExpired' });
    assert.deepEqual(statuses.at(-1), { status: 'disconnected', reason: 'retryExpired' });
    assert.ok(errors.some((e) => e instanceof ConnectionError), "an 'error' event once retrying stopped");
    await assert.rejects(sender.sendOutputEvent('up', new Message('later')), ConnectionError);
    await sender.close();
  } finally {
    await own.dispose();
  }
});

test('S24: user topics: one message at a time, acknowledged after the listener; unsubscribe; a denied publish is UNAUTHORIZED', async () => {
  const receiver = await connect(hub, 'receiver');
  const sender = await connect(hub, 'sender');
  try {
    const seen = [];
    let running = 0;
    const sub = await receiver.subscribe('alerts/#', async (payload, topic) => {
      running++;
      assert.equal(running, 1, 'one message at a time');
      await sleep(100);
      running--;
      seen.push([payload.toString(), topic]);
    });
    assert.ok((await inspect(hub, 'receiver')).subscriptions.includes('alerts/#'));
    await sender.publish('alerts/temperature', 'hot', { qos: 1 });
    await sender.publish('alerts/humidity', 'wet', { qos: 1 });
    await within(10000, 'both messages', (async () => { while (seen.length < 2) await sleep(20); })());
    assert.deepEqual(seen, [['hot', 'alerts/temperature'], ['wet', 'alerts/humidity']]);
    await sub.unsubscribe();
    assert.ok(sub.closed);
    await waitInspect(hub, 'receiver', 'UNSUBSCRIBE', (v) => !v.subscriptions.includes('alerts/#'));
    await sender.publish('alerts/late', 'late', { qos: 1 });
    await sleep(500);
    assert.equal(seen.length, 2, 'nothing after unsubscribe');
    await assert.rejects(sender.publish('alerts/denied/x', 'no', { qos: 1 }),
      (e) => e instanceof UnauthorizedError && e.code === 'UNAUTHORIZED');
    await sender.publish('alerts/after-denial', 'fine', { qos: 1 });
  } finally {
    await Promise.all([sender.close(), receiver.close()]);
  }
});

test('S25: the core\'s records reach the logger option on a hub restart (levels, structured fields)', async () => {
  const { records, logger } = capture();
  const receiver = await connect(hub, 'receiver', { logger, logLevel: 'info' });
  try {
    // Records travel on their own channel: the one of the first connection may arrive just
    // after open() resolved.
    const connectedLogged = () => records.some((r) => r.line.includes(' connected') && r.module === 'receiver');
    await within(5000, "the first connection's record", (async () => {
      while (!connectedLogged()) await sleep(20);
    })());
    await hub.restart();
    await waitFor(receiver, 'connectionStatus', (s) => s.status === 'connected', 30000);
    await within(10000, 'the reconnect records', (async () => {
      while (!records.some((r) => r.area === 'connection' && /reconnecting/.test(r.line) && r.module === 'receiver')) await sleep(50);
    })());
    const lost = records.find((r) => /connection lost/.test(r.line));
    assert.ok(lost, 'connection lost logged');
    assert.equal(lost.level, 'warn');
    assert.equal(lost.module, 'receiver');
    assert.ok(lost.reason, 'with its reason');
    const again = records.find((r) => /reconnecting/.test(r.line));
    assert.equal(again.level, 'info');
    assert.match(again.line, /^edgemodule:connection reconnecting .*module=receiver.*attempt=\d+/);
    assert.ok(records.every((r) => r.level !== 'debug'), 'nothing above the chosen level');
  } finally {
    await receiver.close();
  }
});

test('S25: DEBUG=edgemodule* and NODE_DEBUG=edgemodule print the core\'s records; process.env is read at creation', async () => {
  const env = await hub.env('receiver');
  for (const debug of [{ DEBUG: 'edgemodule*' }, { NODE_DEBUG: 'edgemodule' }]) {
    const child = startModule(path.join(__dirname, 'fixtures', 'debug_child.js'), { ...env, ...debug });
    try {
      await child.waitForOutput(/connected\n/);
      await child.waitForOutput(/DEBUG|INFO/);
      assert.match(child.output, /INFO edgemodule:connection connected .*module=receiver/, JSON.stringify(debug));
    } finally {
      await child.stop();
    }
  }
  const quiet = startModule(path.join(__dirname, 'fixtures', 'debug_child.js'), { ...env, DEBUG: '', NODE_DEBUG: '' });
  try {
    await quiet.waitForOutput(/connected\n/);
    assert.doesNotMatch(quiet.output, /edgemodule:connection/);
  } finally {
    await quiet.stop();
  }
});

test('S01: fromEnvironment() reads process.env as it is when called', async () => {
  const env = await hub.env('receiver');
  const saved = { ...process.env };
  try {
    Object.assign(process.env, env);
    const client = await ModuleClient.fromEnvironment(FAST);
    await within(20000, 'open', client.open());
    assert.equal(client.moduleId, 'receiver');
    await client.close();
    // A change made after the addon loaded (and after the first client) is seen by the next one.
    process.env.IOTEDGE_MODULEID = 'sender';
    const other = await ModuleClient.fromEnvironment(FAST);
    assert.equal(other.moduleId, 'sender');
    await other.close();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
});
