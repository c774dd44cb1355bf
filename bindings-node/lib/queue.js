'use strict';
// A small async queue behind the async iterators (client.inputs(), subscriptions).
// Pending reads are plain Promises: they never keep the process alive by themselves.

class AsyncQueue {
  #items = [];
  #waiters = [];
  #ended = false;
  #onDiscard;

  /** @param {(item: any) => void} onDiscard called for each item left unread when the queue ends */
  constructor(onDiscard = () => {}) {
    this.#onDiscard = onDiscard;
  }

  get ended() {
    return this.#ended;
  }

  push(item) {
    if (this.#ended) {
      this.#onDiscard(item);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value: item, done: false });
    else this.#items.push(item);
  }

  next() {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift(), done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  end() {
    if (this.#ended) return;
    this.#ended = true;
    for (const item of this.#items.splice(0)) this.#onDiscard(item);
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }
}

module.exports = { AsyncQueue };
