'use strict';
// Small helpers shared by the test files.
const { ModuleClient } = require('edgemodule');

/** Rejects if `promise` does not settle within `ms`. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Quick reconnects and short timeouts for tests. */
const FAST = {
  operationTimeoutMs: 15000,
  retry: { initialDelayMs: 50, maxDelayMs: 500 },
};

/** A connected client for `module` built from the hub's IoT Edge environment. */
async function connect(hub, module, options = {}) {
  const env = await hub.env(module);
  const client = await ModuleClient.fromEnvironment({ ...FAST, ...options, env });
  await within(20000, `${module} connects`, client.open());
  return client;
}

/** Resolves with the first event `event` of `emitter` whose arguments satisfy `pred`. */
function waitFor(emitter, event, pred = () => true, ms = 15000) {
  return within(ms, `event ${event}`, new Promise((resolve) => {
    const listener = (...args) => {
      if (pred(...args)) {
        emitter.off(event, listener);
        resolve(args);
      }
    };
    emitter.on(event, listener);
  }));
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

module.exports = { within, connect, waitFor, sleep, FAST };
