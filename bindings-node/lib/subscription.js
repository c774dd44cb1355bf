'use strict';
// Subscription: messages on a user-topic filter, as 'message' events (payload, topic) and as
// an async iterator of { topic, payload }. The core calls the subscription's handler one
// message at a time and acknowledges it once the 'message' listeners are done (a listener
// that throws or rejects is a failed attempt: the core retries, then reports it).
const { EventEmitter } = require('node:events');
const { AsyncQueue } = require('./queue');
const { call } = require('./errors');
const { runAll } = require('./run');

class Subscription extends EventEmitter {
  /** @type {import('../native').NativeSubscription | null} */
  #native = null;
  #queues = new Set();
  #closed = false;
  #onClose;

  /** @internal */
  constructor(filter, onClose) {
    super();
    /** The topic filter. */
    this.filter = filter;
    this.#onClose = onClose;
  }

  /** @internal */
  _attach(nativeSubscription) {
    this.#native = nativeSubscription;
    if (this.#closed) nativeSubscription.close();
  }

  /** @internal one message from the core; settles when every listener is done */
  async _deliver(message) {
    if (this.#closed) return;
    const { topic, payload } = message;
    for (const queue of this.#queues) queue.push({ topic, payload });
    await runAll(this, this.listeners('message'), [payload, topic]);
  }

  /** True once closed (by close(), unsubscribe() or by closing the client). */
  get closed() {
    return this.#closed;
  }

  #end() {
    if (this.#closed) return false;
    this.#closed = true;
    for (const queue of this.#queues) queue.end();
    this.#queues.clear();
    this.#onClose(this);
    return true;
  }

  /** Stops delivery and unsubscribes (UNSUBSCRIBE, unless another subscription keeps the filter) without waiting. */
  close() {
    if (this.#end()) this.#native?.close();
  }

  /** Stops delivery and unsubscribes; resolves once the hub confirmed. */
  async unsubscribe() {
    const n = this.#native;
    this.#end();
    if (n) {
      await call(() => n.unsubscribe());
    }
  }

  /** `for await (const { topic, payload } of subscription)` */
  [Symbol.asyncIterator]() {
    const queue = new AsyncQueue();
    if (this.#closed) queue.end();
    else this.#queues.add(queue);
    return {
      next: () => queue.next(),
      return: async () => {
        queue.end();
        this.#queues.delete(queue);
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() { return this; },
    };
  }
}

module.exports = { Subscription };
