'use strict';
// Running the application's functions for the core's handlers: every listener runs (even
// after one throws), and the handler's outcome is the first failure's message, or null.

/**
 * Runs every listener with `args`, awaits them all, then throws the first failure. When no
 * listener returned a Promise, it finishes synchronously (returns undefined or throws).
 */
function runAll(thisArg, listeners, args) {
  /** @type {unknown[] | null} */
  let pending = null;
  let thrown = null;
  for (const listener of listeners) {
    try {
      const r = listener.apply(thisArg, args);
      if (r && typeof r.then === 'function') (pending ??= []).push(r);
    } catch (e) {
      thrown ??= { error: e };
    }
  }
  if (pending === null) {
    if (thrown) throw thrown.error;
    return undefined;
  }
  return Promise.allSettled(pending).then((results) => {
    if (thrown) throw thrown.error;
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });
}

/** What the core is told when a handler failed: the failure's message. */
function failureMessage(error) {
  if (error instanceof Error) return error.message || error.name || 'Error';
  return String(error);
}

module.exports = { runAll, failureMessage };
