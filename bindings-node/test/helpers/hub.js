'use strict';
// Runs edgemodule-hub for one test file: a temporary state directory, free 127.0.0.1 ports,
// the operator's CLI (env, twin, invoke, monitor), and restarts on the same ports.
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = process.env.EDGEMODULE_ROOT || path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.EDGEMODULE_HUB_BIN || path.join(ROOT, 'target', 'debug', 'edgemodule-hub');
const MANIFEST = path.join(__dirname, '..', 'fixtures', 'deployment.json');

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

// `state` is the hub's state directory: the CLI reads the admin token from it.
function run(args, state, timeoutMs = 60000) {
  const env = { ...process.env, EDGEMODULE_HUB_STATE: state };
  return new Promise((resolve, reject) => {
    execFile(BIN, args, { encoding: 'utf8', timeout: timeoutMs, env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`edgemodule-hub ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

class Hub {
  constructor(state, ports) {
    this.state = state;
    this.ports = ports;
    this.proc = null;
    this.log = path.join(state, 'hub.log');
  }

  get admin() {
    return `127.0.0.1:${this.ports.admin}`;
  }

  async start(ports = this.ports) {
    const log = fs.openSync(this.log, 'a');
    const proc = spawn(BIN, ['serve', '--manifest', MANIFEST, '--state', this.state,
      '--bind-address', '127.0.0.1',
      '--mqtt-port', String(ports.mqtt), '--https-port', String(ports.https),
      '--admin-port', String(ports.admin), '--log-level', process.env.EDGEMODULE_HUB_LOG || 'warn'],
    { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const deadline = Date.now() + 30000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`edgemodule-hub exited early (${proc.exitCode}); see ${this.log}`);
      if (await canConnect(ports.mqtt) && await canConnect(ports.admin)) break;
      if (Date.now() > deadline) throw new Error(`edgemodule-hub did not listen on ${ports.mqtt}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (ports === this.ports) this.proc = proc;
    return proc;
  }

  async stopProcess(proc) {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the hub; its state stays. */
  async stop() {
    await this.stopProcess(this.proc);
    this.proc = null;
  }

  /** Stops and starts the hub on the same ports with the same state. */
  async restart() {
    await this.stop();
    await this.start();
  }

  /** Runs `fn(admin)` against the same state served on other ports, then stops that hub. */
  async elsewhere(fn) {
    const ports = { mqtt: await freePort(), https: await freePort(), admin: await freePort() };
    const proc = await this.start(ports);
    try {
      return await fn(`127.0.0.1:${ports.admin}`);
    } finally {
      await this.stopProcess(proc);
    }
  }

  /** The module's environment: form 'workload' (IOTEDGE_*) or 'connection-string'. */
  async env(module, form = 'workload') {
    const out = await run(['env', module, '--format', 'dotenv', '--form', form, '--admin', this.admin], this.state);
    const env = {};
    for (const line of out.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0 && !line.startsWith('#')) env[line.slice(0, i)] = line.slice(i + 1);
    }
    return env;
  }

  async twin(module, desired, admin = this.admin) {
    const args = ['twin', module];
    if (desired !== undefined) args.push('--desired', JSON.stringify(desired));
    return JSON.parse(await run([...args, '--admin', admin], this.state));
  }

  async invoke(module, method, payload, timeoutSecs = 10) {
    const args = ['invoke', module, method];
    if (payload !== undefined) args.push(JSON.stringify(payload));
    return JSON.parse(await run([...args, '--timeout', String(timeoutSecs), '--admin', this.admin], this.state));
  }

  /** Messages that reached $upstream so far. */
  async upstream() {
    const out = await run(['monitor', '--no-follow', '--admin', this.admin], this.state);
    return out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  async dispose() {
    await this.stop();
    if (!process.env.EDGEMODULE_KEEP_HUB_STATE) fs.rmSync(this.state, { recursive: true, force: true });
  }
}

async function startHub() {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'edgemodule-node-'));
  const hub = new Hub(state, { mqtt: await freePort(), https: await freePort(), admin: await freePort() });
  await hub.start();
  return hub;
}

module.exports = { startHub, ROOT, BIN };
