'use strict';
// MethodRequest / MethodResponse: what an onMethod handler receives, shaped like
// azure-iot-device's DeviceMethodRequest / DeviceMethodResponse.
const { call } = require('./errors');

class MethodRequest {
  /** @internal */
  constructor(native) {
    this.methodName = native.methodName;
    this.requestId = native.requestId;
    /** The JSON payload (null when the caller sent none). */
    this.payload = native.payload;
  }

  /** The payload as JSON text in a Buffer (azure-iot-device's `body`). */
  get body() {
    return Buffer.from(JSON.stringify(this.payload ?? null), 'utf8');
  }
}

class MethodResponse {
  #native;

  /** @internal */
  constructor(native) {
    this.#native = native;
    this.requestId = native.requestId;
    this.isResponseComplete = false;
    this.status = null;
    this.payload = null;
  }

  /**
   * Answers the call with `status` and a JSON-serialisable `payload`. Returns a Promise;
   * an optional callback `done(err)` is also called (azure-iot-device style).
   */
  send(status, payload, done) {
    if (typeof payload === 'function' && done === undefined) {
      done = payload;
      payload = null;
    }
    const p = (async () => {
      if (this.isResponseComplete) {
        throw new Error('this response was already sent; a method call is answered once');
      }
      if (typeof status !== 'number' || !Number.isInteger(status)) {
        throw new TypeError(`status must be an integer, not ${status}`);
      }
      this.isResponseComplete = true;
      this.status = status;
      this.payload = payload === undefined ? null : payload;
      await call(() => this.#native.respond(status, this.payload));
    })();
    if (typeof done === 'function') {
      p.then(() => done(), (e) => done(e));
      return undefined;
    }
    return p;
  }
}

module.exports = { MethodRequest, MethodResponse };
