'use strict';
// Runs a module script as a child process with a module environment from the hub, and
// collects its output.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** A NODE_PATH directory in which require('edgemodule') finds the package under test. */
function nodePathForPackage() {
  const root = path.dirname(require.resolve('edgemodule/package.json'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgemodule-nodepath-'));
  fs.symlinkSync(root, path.join(dir, 'edgemodule'), 'dir');
  return dir;
}

function startModule(script, env) {
  const nodePath = nodePathForPackage();
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, NODE_PATH: nodePath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { out: '' };
  child.stdout.on('data', (d) => { state.out += d; });
  child.stderr.on('data', (d) => { state.out += d; });
  return {
    child,
    get output() { return state.out; },
    async waitForOutput(pattern, ms = 20000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(state.out)) {
        if (child.exitCode !== null) throw new Error(`module exited (${child.exitCode}):\n${state.out}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms:\n${state.out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(nodePath, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

module.exports = { startModule };
