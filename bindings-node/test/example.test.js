'use strict';
// examples/node/filter: forwards readings above the desired TemperatureThreshold (default
// 25), reports the threshold, answers reset.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Message } = require('edgemodule');
const { startHub, ROOT } = require('./helpers/hub');
const { connect, within, sleep } = require('./helpers/util');
const { startModule } = require('./helpers/child');

let hub;
test.before(async () => { hub = await startHub(); });
test.after(async () => { await hub.dispose(); });

test('the Node filter example filters, reports and answers reset', async () => {
  const receiver = await connect(hub, 'receiver');
  const sender = await connect(hub, 'sender');
  const module = startModule(path.join(ROOT, 'examples', 'node', 'filter', 'index.js'), await hub.env('filter'));
  try {
    await module.waitForOutput(/filter: connected/);
    assert.equal((await hub.twin('filter')).reported.TemperatureThreshold, 25);
    const got = [];
    receiver.onInput('filtered', (m) => { got.push(m.json().temperature); });
    for (const temperature of [20, 26, 25, 40]) {
      await sender.sendOutputEvent('readings', Message.json({ temperature }));
    }
    await within(10000, 'two alerts', (async () => { while (got.length < 2) await sleep(50); })());
    assert.deepEqual(got, [26, 40]);

    await hub.twin('filter', { TemperatureThreshold: 30 });
    await module.waitForOutput(/filter: threshold now 30/);
    assert.equal((await hub.twin('filter')).reported.TemperatureThreshold, 30);
    await sender.sendOutputEvent('readings', Message.json({ temperature: 29 }));
    await sender.sendOutputEvent('readings', Message.json({ temperature: 31 }));
    await within(10000, 'third alert', (async () => { while (got.length < 3) await sleep(50); })());
    assert.deepEqual(got, [26, 40, 31]);

    assert.deepEqual(await hub.invoke('filter', 'reset'), { status: 200, payload: { reset: true, forwarded: 3, threshold: 30 } });
  } finally {
    await module.stop();
    await Promise.all([receiver.close(), sender.close()]);
  }
  assert.match(module.output, /stopped/);
});
