'use strict';
// Starts edgemodule-hub on the standard ports (8883 MQTT, 443 HTTPS) for the official SDK,
// and wraps the CLI calls the tests make as the operator.
const { spawn, execFile } = require('node:child_process');
const { promisify } = require('node:util');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.EDGEMODULE_HUB_BIN || path.join(ROOT, 'target', 'debug', 'edgemodule-hub');
const MANIFEST = path.join(ROOT, 'tests', 'interop', 'deployment.json');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

async function waitForPort(port, proc, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`edgemodule-hub exited early with ${proc.exitCode}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`edgemodule-hub did not listen on ${port}`);
}

async function startHub() {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'edgemodule-interop-'));
  const adminPort = await freePort();
  const log = fs.openSync(path.join(state, 'hub.log'), 'w');
  const proc = spawn(BIN, ['serve', '--manifest', MANIFEST, '--state', state,
    '--mqtt-port', '8883', '--https-port', '443', '--admin-port', String(adminPort)],
  { stdio: ['ignore', log, log] });
  await waitForPort(8883, proc);
  await waitForPort(adminPort, proc);
  const admin = `127.0.0.1:${adminPort}`;
  // Asynchronous on purpose: a synchronous child process would freeze the SDK clients that
  // share this event loop while the hub waits for them (methods, desired patches).
  // The admin API needs the token in the hub's state directory.
  const env = { ...process.env, EDGEMODULE_HUB_STATE: state };
  const cli = async (...args) => (await promisify(execFile)(BIN, [...args, '--admin', admin], { encoding: 'utf8', timeout: 60000, env })).stdout;
  return {
    cli,
    async moduleEnv(module) {
      const env = {};
      for (const line of (await cli('env', module, '--format', 'dotenv')).split('\n')) {
        const i = line.indexOf('=');
        if (i > 0 && !line.startsWith('#')) env[line.slice(0, i)] = line.slice(i + 1);
      }
      return env;
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      fs.closeSync(log);
      fs.rmSync(state, { recursive: true, force: true });
    },
  };
}

module.exports = { startHub };
