'use strict';
// Subscription: messages on a user-topic filter, as 'message' events (payload, topic) and as
// an async iterator of { topic, payload }.
const { EventEmitter } = require('node:events');
const { AsyncQueue } = require('./queue');

class Subscription extends EventEmitter {
  /** @type {import('../native').NativeListener | null} */
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
  _attach(nativeListener) {
    this.#native = nativeListener;
    if (this.#closed) nativeListener.close();
  }

  /** @internal */
  _deliver(message) {
    if (this.#closed) return;
    const { topic, payload } = message;
    for (const queue of this.#queues) queue.push({ topic, payload });
    for (const listener of this.listeners('message')) {
      try {
        const r = listener.call(this, payload, topic);
        if (r && typeof r.then === 'function') r.then(undefined, (e) => this.#failed(e));
      } catch (e) {
        this.#failed(e);
      }
    }
  }

  #failed(error) {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(`a subscription listener for ${this.filter} failed: ${error && error.stack ? error.stack : error}`, 'EdgeModuleWarning');
  }

  /** True once closed (by close() or by closing the client). */
  get closed() {
    return this.#closed;
  }

  /** Stops delivery (the MQTT subscription ends when the client closes). */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#native) this.#native.close();
    for (const queue of this.#queues) queue.end();
    this.#queues.clear();
    this.#onClose(this);
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
