'use strict';
// MethodRequest / MethodResponse: what an onMethod handler receives, shaped like
// azure-iot-device's DeviceMethodRequest / DeviceMethodResponse. `response.send()` hands
// the answer to the core, which sends it (in order with everything else it acknowledges);
// a handler that fails before answering gets the core's one failure reply.

class MethodRequest {
  /** @internal */
  constructor(call) {
    this.methodName = call.methodName;
    this.requestId = call.requestId;
    /** The JSON payload (null when the caller sent none). */
    this.payload = call.payload;
  }

  /** The payload as JSON text in a Buffer (azure-iot-device's `body`). */
  get body() {
    return Buffer.from(JSON.stringify(this.payload ?? null), 'utf8');
  }
}

class MethodResponse {
  #answer;

  /**
   * @internal
   * @param call the native call
   * @param answer receives `{status, payload}` once
   */
  constructor(call, answer) {
    this.#answer = answer;
    this.requestId = call.requestId;
    this.isResponseComplete = false;
    this.status = null;
    this.payload = null;
  }

  /**
   * Answers the call with `status` and a JSON-serialisable `payload`. Returns a Promise that
   * resolves once the core has the answer; an optional callback `done(err)` is also called
   * (azure-iot-device style).
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
      this.#answer({ status, payload: this.payload });
    })();
    if (typeof done === 'function') {
      p.then(() => done(), (e) => done(e));
      return undefined;
    }
    return p;
  }
}

module.exports = { MethodRequest, MethodResponse };
