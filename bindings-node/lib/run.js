'use strict';
// Running the application's functions for the core's handlers: every listener runs (even
// after one throws), and the handler's outcome is the first failure's message, or null.

/** Runs every listener with `args`, awaits them all, then throws the first failure. */
async function runAll(thisArg, listeners, args) {
  const pending = [];
  let thrown = null;
  for (const listener of listeners) {
    try {
      pending.push(listener.apply(thisArg, args));
    } catch (e) {
      thrown ??= { error: e };
    }
  }
  const results = await Promise.allSettled(pending);
  if (thrown) throw thrown.error;
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/** What the core is told when a handler failed: the failure's message. */
function failureMessage(error) {
  if (error instanceof Error) return error.message || error.name || 'Error';
  return String(error);
}

module.exports = { runAll, failureMessage };
