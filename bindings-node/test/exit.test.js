'use strict';
// Listeners never keep the process alive: after close() (or unref()) the process ends by
// itself; an open, ref'd client keeps it alive like a socket.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { startHub } = require('./helpers/hub');

let hub;
test.before(async () => { hub = await startHub(); });
test.after(async () => { await hub.dispose(); });

function runChild(mode, env, waitMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'exit_child.js'), mode],
      { env: { ...process.env, EXIT_CHILD_ENV: JSON.stringify(env) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, waitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, ms: Date.now() - started });
    });
  });
}

test('the process exits promptly after close() with listeners registered', async () => {
  const r = await runChild('close', await hub.env('receiver'), 15000);
  assert.match(r.out, /done/);
  assert.equal(r.signal, null, `killed: ${r.out}`);
  assert.equal(r.code, 0, r.out);
});

test('an unref()ed open client does not keep the process alive', async () => {
  const r = await runChild('unref', await hub.env('receiver'), 15000);
  assert.match(r.out, /done/);
  assert.equal(r.signal, null, `killed: ${r.out}`);
  assert.equal(r.code, 0, r.out);
});

test('an open client keeps the process alive until closed', async () => {
  const r = await runChild('open', await hub.env('receiver'), 3000);
  assert.match(r.out, /done/);
  assert.equal(r.signal, 'SIGKILL', 'still running when killed');
});
