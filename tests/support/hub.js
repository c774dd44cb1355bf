'use strict';
// One edgemodule-hub process for Node tests (the binding's suite and the interop suite).
//
// The launcher contract (tests/conformance/README.md): start with --bind-address 127.0.0.1
// and ports 0 unless told otherwise, wait for the `edgemodule-hub ready:` line on stdout and
// take the real addresses from it (no polling for free ports), restart on the addresses of
// the first start (S11), and give every CLI call `--admin ADDR` and
// EDGEMODULE_HUB_STATE=<state dir>. The manifest is tests/conformance/deployment.json.
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.EDGEMODULE_HUB_BIN || path.join(ROOT, 'target', 'debug', 'edgemodule-hub');
const MANIFEST = path.join(ROOT, 'tests', 'conformance', 'deployment.json');
const READY = 'edgemodule-hub ready:';
const START_TIMEOUT_MS = 30000;

/** The key=value pairs of a ready line; unknown keys are kept too. */
function parseReady(line) {
  if (!line.startsWith(READY)) throw new Error(`not a ready line: ${line}`);
  const pairs = {};
  for (const word of line.slice(READY.length).trim().split(/\s+/)) {
    const i = word.indexOf('=');
    if (i > 0) pairs[word.slice(0, i)] = word.slice(i + 1);
  }
  return pairs;
}

function portOf(address) {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

function tail(file, size = 4000) {
  try {
    return fs.readFileSync(file, 'utf8').slice(-size);
  } catch {
    return '';
  }
}

/** Waits for the ready line on the child's stdout; rejects when it exits or stays silent. */
function waitReady(proc, log) {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: proc.stdout });
    const fail = (why) => {
      clearTimeout(timer);
      proc.off('exit', onExit);
      reject(new Error(`edgemodule-hub ${why}; see ${log}:\n${tail(log)}`));
    };
    const onExit = (code, signal) => fail(`exited (${code ?? signal}) before it was ready`);
    const timer = setTimeout(() => fail(`printed no ready line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    proc.once('exit', onExit);
    lines.on('line', (line) => {
      if (!line.startsWith(READY)) return;
      clearTimeout(timer);
      proc.off('exit', onExit);
      // The interface keeps reading: the hub can never block on a full stdout pipe.
      resolve(parseReady(line));
    });
  });
}

class Hub {
  /**
   * @param {string} state  state directory (created if missing)
   * @param {object} [options]  mqttPort, httpsPort, adminPort (default 0: the hub picks),
   *   bindAddress (127.0.0.1), manifest, logLevel; after the first start the ports are the
   *   real ones, so a later start() comes back on the same addresses.
   */
  constructor(state, options = {}) {
    this.state = path.resolve(state);
    this.manifest = options.manifest || MANIFEST;
    this.bindAddress = options.bindAddress || '127.0.0.1';
    this.ports = { mqtt: options.mqttPort || 0, https: options.httpsPort || 0, admin: options.adminPort || 0 };
    this.logLevel = options.logLevel || process.env.EDGEMODULE_HUB_LOG || 'info';
    this.log = path.join(this.state, 'hub.log');
    this.ready = null;
    this.proc = null;
  }

  get admin() {
    return this.ready.admin;
  }

  async start() {
    fs.mkdirSync(this.state, { recursive: true });
    const log = fs.openSync(this.log, 'a');
    const proc = spawn(BIN, ['serve', '--manifest', this.manifest, '--state', this.state,
      '--bind-address', this.bindAddress,
      '--mqtt-port', String(this.ports.mqtt), '--https-port', String(this.ports.https),
      '--admin-port', String(this.ports.admin), '--log-level', this.logLevel],
    { stdio: ['ignore', 'pipe', log] });
    fs.closeSync(log);
    this.proc = proc;
    try {
      this.ready = await waitReady(proc, this.log);
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.ports = { mqtt: portOf(this.ready.mqtt), https: portOf(this.ready.https), admin: portOf(this.ready.admin) };
    return this;
  }

  /** Stops the hub (SIGTERM, SIGKILL after 10 s); its state stays. */
  async stop() {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops and starts the hub on the same addresses with the same state (S11). */
  async restart() {
    await this.stop();
    await this.start();
  }

  /** Runs `fn(admin)` against the same state served on other ports, then stops that hub. */
  async elsewhere(fn) {
    const other = new Hub(this.state, { manifest: this.manifest, bindAddress: this.bindAddress, logLevel: this.logLevel });
    await other.start();
    try {
      return await fn(other.admin);
    } finally {
      await other.stop();
    }
  }

  /** `edgemodule-hub ARGS --admin ADDR` with EDGEMODULE_HUB_STATE; its stdout. Asynchronous on
   * purpose: clients sharing this event loop must keep running while the hub waits for them. */
  cli(args, admin = this.admin, timeoutMs = 60000) {
    const env = { ...process.env, EDGEMODULE_HUB_STATE: this.state };
    return new Promise((resolve, reject) => {
      execFile(BIN, [...args, '--admin', admin], { encoding: 'utf8', timeout: timeoutMs, env }, (error, stdout, stderr) => {
        if (error) reject(new Error(`edgemodule-hub ${args.join(' ')} failed: ${stderr || error.message}`));
        else resolve(stdout);
      });
    });
  }

  /** The module's environment: form 'workload' (IOTEDGE_*), 'connection-string' or 'both'. */
  async env(module, form = 'workload') {
    const out = await this.cli(['env', module, '--format', 'dotenv', '--form', form]);
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
    return JSON.parse(await this.cli(args, admin));
  }

  async invoke(module, method, payload, timeoutSecs = 10, extra = []) {
    const args = ['invoke', module, method];
    if (payload !== undefined) args.push(JSON.stringify(payload));
    return JSON.parse(await this.cli([...args, '--timeout', String(timeoutSecs), ...extra]));
  }

  /** Messages that reached $upstream so far. */
  async upstream() {
    const out = await this.cli(['monitor', '--no-follow']);
    return out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  /** Stops the hub and removes its state (kept with EDGEMODULE_KEEP_HUB_STATE=1). */
  async dispose() {
    await this.stop();
    if (!process.env.EDGEMODULE_KEEP_HUB_STATE) fs.rmSync(this.state, { recursive: true, force: true });
  }
}

/** A started hub in a fresh temporary state directory; `options` as for Hub. */
async function startHub(options = {}) {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), options.prefix || 'edgemodule-hub-'));
  return new Hub(state, options).start();
}

module.exports = { Hub, startHub, parseReady, ROOT, BIN, MANIFEST };
