'use strict';
// ModuleClient: the public, EventEmitter-based client over the native addon.
//
// Lifetime: an open client keeps the process alive the way an open socket does (one ref'd
// timer, released by close() or unref()); listeners never do (the native side uses weak
// ThreadsafeFunctions). After close() nothing is delivered and nothing keeps the process
// alive.
//
// At-least-once: an input message is acknowledged when its handler returns (or its Promise
// resolves); if the handler throws or rejects the message is abandoned and delivered again.
// A method handler that throws or rejects answers 500.
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const native = require('./native');
const {
  call, callSync, ClosedError, ConnectionError, InvalidArgumentError, UnauthorizedError,
} = require('./errors');
const { Message } = require('./message');
const { Twin } = require('./twin');
const { MethodRequest, MethodResponse } = require('./methods');
const { Subscription } = require('./subscription');
const { AsyncQueue } = require('./queue');

/** @typedef {import('../native').NativeClient} NativeClient */

const KEEP_ALIVE_MS = 2 ** 31 - 1;
const DEFAULT = Symbol('default');

function invalid(message) {
  return new InvalidArgumentError(message);
}

function checkName(value, what) {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(`${what} must be a non-empty string`);
  }
}

function checkFunction(value, what) {
  if (typeof value !== 'function') throw invalid(`${what} must be a function`);
}

function optionalNumber(options, name) {
  const v = options[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw invalid(`option ${name} must be a non-negative number`);
  }
  return Math.round(v);
}

/** Maps the public options onto the native ones. */
function nativeOptions(options, { readCaFromEnvironment = false } = {}) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw invalid('options must be an object');
  /** @type {import('../native').NativeClientOptions} */
  const out = {};
  if (options.env !== undefined) {
    if (typeof options.env !== 'object' || options.env === null) throw invalid('option env must be an object');
    out.env = {};
    for (const [k, v] of Object.entries(options.env)) if (v !== undefined && v !== null) out.env[k] = String(v);
  }
  let pem = options.trustBundlePem ?? options.ca;
  if (pem === undefined && options.caFile) pem = fs.readFileSync(options.caFile, 'utf8');
  if (pem === undefined && readCaFromEnvironment && process.env.EdgeModuleCACertificateFile) {
    pem = fs.readFileSync(process.env.EdgeModuleCACertificateFile, 'utf8');
  }
  if (pem !== undefined) out.trustBundlePem = Buffer.isBuffer(pem) ? pem.toString('utf8') : String(pem);
  const numbers = {
    mqttPort: 'mqttPort', httpsPort: 'httpsPort', operationTimeoutMs: 'operationTimeoutMs',
    keepAliveSecs: 'keepAliveSecs', sasTtlSecs: 'sasTtlSecs', maxInflight: 'maxInflight',
    redeliveryDelayMs: 'redeliveryDelayMs',
  };
  for (const [from, to] of Object.entries(numbers)) {
    const v = optionalNumber(options, from);
    if (v !== undefined) out[to] = v;
  }
  if (readCaFromEnvironment) {
    // Connection strings carry no port: honour the hub's overrides as fromEnvironment does.
    for (const [name, key] of [['EDGEMODULE_MQTT_PORT', 'mqttPort'], ['EDGEMODULE_HTTPS_PORT', 'httpsPort']]) {
      const value = Number(process.env[name]);
      if (out[key] === undefined && Number.isInteger(value) && value > 0) out[key] = value;
    }
  }
  if (options.productInfo !== undefined) out.productInfo = String(options.productInfo);
  if (options.modelId !== undefined) out.modelId = String(options.modelId);
  if (options.retry !== undefined && options.retry !== null) {
    const r = options.retry;
    out.retry = {};
    for (const k of ['initialDelayMs', 'maxDelayMs', 'giveUpAfterMs']) {
      const v = optionalNumber(r, k);
      if (v !== undefined) out.retry[k] = v;
    }
    for (const k of ['multiplier', 'jitter']) {
      if (r[k] !== undefined) out.retry[k] = Number(r[k]);
    }
  }
  return out;
}

function secondsToMs(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${name} must be a non-negative number of seconds`);
  }
  return Math.round(value * 1000);
}

class ModuleClient extends EventEmitter {
  #factory;
  /** @type {NativeClient | null} */
  #native = null;
  #closed = false;
  /** @type {Promise<void> | null} */
  #closing = null;
  /** @type {NodeJS.Timeout | null} */
  #keepAlive = null;
  #ref = true;
  #status = { status: 'disconnected', reason: 'ok' };
  // Native listeners by key: 'status', 'desired', 'inputs:<name>', DEFAULT inputs, 'methods:<name>', …
  #listeners = new Map();
  // What consumes each input: { handler } or { queue }.
  #inputs = new Map();
  #methods = new Map();
  /** @type {Twin | null} */
  #twin = null;
  #subscriptions = new Set();

  /**
   * @internal Use ModuleClient.fromEnvironment() or ModuleClient.fromConnectionString().
   * @param factory returns the native client (called once, when first needed)
   */
  constructor(factory) {
    super();
    if (typeof factory !== 'function') {
      throw new TypeError('use ModuleClient.fromEnvironment() or ModuleClient.fromConnectionString() to create a client');
    }
    this.#factory = factory;
    this.#installHooks();
  }

  /**
   * A client for the module IoT Edge started: `IOTEDGE_*` variables (signing and trust via
   * the workload API) or `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`.
   */
  static async fromEnvironment(options) {
    const opts = nativeOptions(options);
    const client = await call(() => native.createFromEnvironment(opts));
    return new this(() => client);
  }

  /**
   * A client for a module connection string. The gateway's CA comes from `options.ca` /
   * `options.trustBundlePem` / `options.caFile`, else from `EdgeModuleCACertificateFile`.
   */
  static async fromConnectionString(connectionString, options) {
    checkName(connectionString, 'the connection string');
    const opts = nativeOptions(options, { readCaFromEnvironment: true });
    const client = callSync(() => native.createFromConnectionString(connectionString, opts));
    return new this(() => client);
  }

  // ---------------------------------------------------------------- plumbing

  /** @internal The native client, created on first use. */
  _native() {
    if (this.#closed) throw new ClosedError('the client is closed; create a new client to continue');
    if (!this.#native) {
      this.#native = /** @type {NativeClient} */ (callSync(this.#factory));
      this.#attachAll();
    }
    return this.#native;
  }

  /** @internal For subclasses that create the native client lazily. */
  _hasNative() {
    return this.#native !== null;
  }

  #op() {
    const n = this._native();
    this.#startKeepAlive();
    return n;
  }

  #startKeepAlive() {
    if (this.#keepAlive || this.#closed) return;
    // The callback refers to the client so an open client is not garbage-collected.
    this.#keepAlive = setInterval(() => this.#status, KEEP_ALIVE_MS);
    if (!this.#ref) this.#keepAlive.unref();
  }

  #installHooks() {
    this.on('newListener', (event) => {
      if (event === 'inputMessage') process.nextTick(() => this.#syncDefaultInputs());
      if (event === 'desired') process.nextTick(() => this.#syncDesired());
    });
    this.on('removeListener', (event) => {
      if (event === 'inputMessage') this.#syncDefaultInputs();
    });
  }

  removeAllListeners(event) {
    super.removeAllListeners(event);
    if (event === undefined || event === 'newListener' || event === 'removeListener') {
      super.removeAllListeners('newListener');
      super.removeAllListeners('removeListener');
      this.#installHooks();
    }
    this.#syncDefaultInputs();
    return this;
  }

  #listen(key, start) {
    this.#listeners.get(key)?.close();
    this.#listeners.set(key, callSync(start));
  }

  #unlisten(key) {
    this.#listeners.get(key)?.close();
    this.#listeners.delete(key);
  }

  /** Registers every native listener the current handlers need (after the native client appears). */
  #attachAll() {
    const n = /** @type {NativeClient} */ (this.#native);
    this.#listen('status', () => n.listenStatus((s) => this.#onStatus(s)));
    for (const name of this.#inputs.keys()) this.#attachInput(name);
    for (const name of this.#methods.keys()) this.#attachMethod(name);
    this.#syncDefaultInputs();
    this.#syncDesired();
  }

  #attachInput(name) {
    if (!this.#native) return;
    const n = this.#native;
    const key = name === DEFAULT ? DEFAULT : `inputs:${name}`;
    this.#listen(key, () => n.listenInputs(name === DEFAULT ? null : name, (m) => this.#onInput(name, m)));
  }

  #attachMethod(name) {
    if (!this.#native) return;
    const n = this.#native;
    const key = `methods:${name === DEFAULT ? '*' : name}`;
    this.#listen(key, () => n.listenMethods(name === DEFAULT ? null : name, (r) => this.#onMethod(name, r)));
  }

  #syncDefaultInputs() {
    if (!this.#native || this.#closed) return;
    const wanted = this.listenerCount('inputMessage') > 0;
    const has = this.#listeners.has(DEFAULT);
    if (wanted && !has) this.#attachInput(DEFAULT);
    if (!wanted && has) this.#unlisten(DEFAULT);
  }

  #syncDesired() {
    if (!this.#native || this.#closed || this.#listeners.has('desired')) return;
    if (this.#twin === null && this.listenerCount('desired') === 0) return;
    const n = this.#native;
    this.#listen('desired', () => n.listenDesired((p) => this.#onDesired(p)));
  }

  /** Runs user listeners; a throw or rejection is reported, never propagated. */
  #runListeners(listeners, args, where) {
    for (const listener of listeners) {
      try {
        const r = listener.apply(this, args);
        if (r && typeof r.then === 'function') r.then(undefined, (e) => this.#handlerFailed(e, where));
      } catch (e) {
        this.#handlerFailed(e, where);
      }
    }
  }

  #handlerFailed(error, where) {
    if (this.listenerCount('error') > 0) {
      try {
        this.emit('error', error);
        return;
      } catch {
        // an 'error' listener that throws must not take the client down either
      }
    }
    process.emitWarning(`edgemodule: ${where} failed: ${error && error.stack ? error.stack : error}`, 'EdgeModuleWarning');
  }

  // ---------------------------------------------------------------- events from native

  #onStatus(s) {
    if (this.#closed && this.#status.status === 'closed') return;
    const previous = this.#status;
    const current = { status: s.status, reason: s.reason };
    if (previous.status === current.status && previous.reason === current.reason) return;
    this.#status = current;
    this.#runListeners(this.listeners('connectionStatus'), [{ ...current }], "a 'connectionStatus' listener");
    if (current.status === 'connected' && previous.status !== 'connected') {
      this.#runListeners(this.listeners('connect'), [], "a 'connect' listener");
    }
    if (previous.status === 'connected' && current.status !== 'connected') {
      this.#runListeners(this.listeners('disconnect'), [{ ...current }], "a 'disconnect' listener");
    }
    if (current.status === 'disconnected' && this.listenerCount('error') > 0) {
      const error = current.reason === 'badCredential'
        ? new UnauthorizedError('the hub refused the module credentials; the client stopped retrying')
        : new ConnectionError(`the client stopped retrying (${current.reason})`);
      this.#runListeners(this.listeners('error'), [error], "an 'error' listener");
    }
  }

  #onInput(name, nativeMessage) {
    if (this.#closed) return;
    const receipt = {
      ack: () => callSync(() => nativeMessage.ack()),
      abandon: () => nativeMessage.abandon(),
    };
    let message;
    try {
      message = Message._fromNative(nativeMessage.message(), receipt);
    } catch (e) {
      nativeMessage.abandon();
      this.#handlerFailed(e, 'decoding an input message');
      return;
    }
    const inputName = nativeMessage.inputName;
    if (name === DEFAULT) {
      this.#dispatch(message, this.listeners('inputMessage'), [inputName, message], `an 'inputMessage' listener (input ${inputName})`);
      return;
    }
    const consumer = this.#inputs.get(name);
    if (!consumer) {
      message.abandon();
    } else if (consumer.queue) {
      consumer.queue.push(message);
    } else {
      this.#dispatch(message, [consumer.handler], [message], `the handler of input ${inputName}`);
    }
  }

  /** Runs the handlers of one message, then acknowledges it (or abandons it on failure). */
  #dispatch(message, handlers, args, where) {
    if (handlers.length === 0) {
      message.abandon();
      return;
    }
    const pending = [];
    let failure = null;
    for (const handler of handlers) {
      try {
        const r = handler.apply(this, args);
        if (r && typeof r.then === 'function') pending.push(r);
      } catch (e) {
        failure ??= { error: e };
      }
    }
    const settle = (failed) => {
      if (failed) {
        message.abandon();
        this.#handlerFailed(failed.error, where);
        return;
      }
      try {
        message.ack();
      } catch (e) {
        if (!(e instanceof ClosedError)) this.#handlerFailed(e, `acknowledging a message after ${where}`);
      }
    };
    if (failure || pending.length === 0) settle(failure);
    else Promise.all(pending).then(() => settle(null), (error) => settle({ error }));
  }

  #onMethod(name, nativeRequest) {
    if (this.#closed) return;
    const handler = this.#methods.get(name);
    const request = new MethodRequest(nativeRequest);
    const response = new MethodResponse(nativeRequest);
    const fail = (error) => {
      this.#handlerFailed(error, `the handler of method ${request.methodName}`);
      if (!response.isResponseComplete) {
        const reason = error && error.message ? error.message : String(error);
        response.send(500, { message: `the handler of method ${JSON.stringify(request.methodName)} failed: ${reason}` })
          ?.catch(() => {});
      }
    };
    if (!handler) {
      fail(new Error('no handler is registered'));
      return;
    }
    try {
      const r = handler.call(this, request, response);
      if (r && typeof r.then === 'function') r.then(undefined, fail);
    } catch (e) {
      fail(e);
    }
  }

  #onDesired(nativePatch) {
    if (this.#closed) return;
    const { patch } = nativePatch;
    if (this.#twin) this.#twin._onDesiredPatch(patch);
    this.#runListeners(this.listeners('desired'), [patch], "a 'desired' listener");
  }

  // ---------------------------------------------------------------- public API

  /** The device id. */
  get deviceId() {
    return this._native().deviceId;
  }

  /** The module id. */
  get moduleId() {
    return this._native().moduleId;
  }

  /** The last connection status `{ status, reason }`. */
  get connectionStatus() {
    return { ...this.#status };
  }

  /** True once close() was called. */
  get closed() {
    return this.#closed;
  }

  /** Lets the process exit while the client is open (like socket.unref()). */
  unref() {
    this.#ref = false;
    this.#keepAlive?.unref();
    return this;
  }

  /** Keeps the process alive while the client is open (the default). */
  ref() {
    this.#ref = true;
    this.#keepAlive?.ref();
    return this;
  }

  /** Connects; resolves once connected and subscribed. The client reconnects by itself afterwards. */
  async open() {
    const n = this.#op();
    await call(() => n.connect());
  }

  /**
   * Closes the client: operations in flight fail with ClosedError, no handler is called
   * afterwards, and nothing keeps the process alive. Idempotent.
   */
  close() {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    const n = this.#native;
    this.#closing = (async () => {
      try {
        if (n) await call(() => n.close());
      } finally {
        for (const listener of this.#listeners.values()) listener.close();
        this.#listeners.clear();
        for (const consumer of this.#inputs.values()) consumer.queue?.end();
        this.#inputs.clear();
        this.#methods.clear();
        for (const sub of [...this.#subscriptions]) sub.close();
        if (this.#keepAlive) clearInterval(this.#keepAlive);
        this.#keepAlive = null;
        if (this.#status.status !== 'closed') {
          const previous = this.#status;
          this.#status = { status: 'closed', reason: 'clientClose' };
          this.#runListeners(this.listeners('connectionStatus'), [{ ...this.#status }], "a 'connectionStatus' listener");
          if (previous.status === 'connected') {
            this.#runListeners(this.listeners('disconnect'), [{ ...this.#status }], "a 'disconnect' listener");
          }
        }
      }
    })();
    return this.#closing;
  }

  /** Sends `message` to output `outputName` (routed by the hub); resolves on the hub's acknowledgement. */
  async sendOutputEvent(outputName, message) {
    checkName(outputName, 'the output name');
    const body = Message._toNative(message);
    const n = this.#op();
    await call(() => n.sendOutput(outputName, body));
  }

  /** Sends every message to `outputName`, pipelined; resolves once the hub acknowledged all of them. */
  async sendOutputEventBatch(outputName, messages) {
    checkName(outputName, 'the output name');
    if (!Array.isArray(messages)) throw invalid('messages must be an array of Message');
    const bodies = messages.map((m) => Message._toNative(m));
    const n = this.#op();
    await call(() => n.sendOutputBatch(outputName, bodies));
  }

  /** Sends `message` as module telemetry (no output name). */
  async sendEvent(message) {
    const body = Message._toNative(message);
    const n = this.#op();
    await call(() => n.sendEvent(body));
  }

  /** Sends every message as telemetry, pipelined. */
  async sendEventBatch(messages) {
    if (!Array.isArray(messages)) throw invalid('messages must be an array of Message');
    const bodies = messages.map((m) => Message._toNative(m));
    const n = this.#op();
    await Promise.all(bodies.map((b) => call(() => n.sendEvent(b))));
  }

  /**
   * Handles messages of input `name` with `handler(message)`. The message is acknowledged
   * when the handler returns (or its Promise resolves) and delivered again if it throws
   * (or rejects). Replaces an earlier handler or iterator for the same input.
   */
  onInput(name, handler) {
    checkName(name, 'the input name');
    checkFunction(handler, 'the input handler');
    if (this.#closed) throw new ClosedError('the client is closed');
    this.#inputs.get(name)?.queue?.end();
    this.#inputs.set(name, { handler });
    this.#attachInput(name);
    return this;
  }

  /** Stops handling input `name` (its messages go to 'inputMessage' listeners, or wait). */
  offInput(name) {
    this.#inputs.get(name)?.queue?.end();
    this.#inputs.delete(name);
    this.#unlisten(`inputs:${name}`);
    return this;
  }

  /**
   * The messages of input `name` as an async iterator. A message is acknowledged when the
   * loop asks for the next one; leaving the loop (break, throw, return) abandons the current
   * message unless you called `message.ack()`. Replaces an earlier handler for the input.
   */
  inputs(name) {
    checkName(name, 'the input name');
    if (this.#closed) throw new ClosedError('the client is closed');
    this.#inputs.get(name)?.queue?.end();
    const queue = new AsyncQueue((m) => m.abandon());
    this.#inputs.set(name, { queue });
    this.#attachInput(name);
    let current = null;
    const finish = () => {
      if (current && !current.settled) current.abandon();
      current = null;
      queue.end();
      if (this.#inputs.get(name)?.queue === queue) this.offInput(name);
    };
    return {
      next: async () => {
        if (current && !current.settled) {
          try {
            current.ack();
          } catch (e) {
            if (!(e instanceof ClosedError)) throw e;
          }
        }
        current = null;
        const item = await queue.next();
        if (!item.done) current = item.value;
        return item;
      },
      return: async () => {
        finish();
        return { value: undefined, done: true };
      },
      throw: async (error) => {
        finish();
        throw error;
      },
      [Symbol.asyncIterator]() { return this; },
    };
  }

  /**
   * Handles direct method `name` with `handler(request, response)`; answer with
   * `response.send(status, payload)`. A handler that throws or rejects answers 500.
   * `onMethod(handler)` sets the default handler (methods without their own).
   */
  onMethod(name, handler) {
    if (typeof name === 'function' && handler === undefined) return this.onDefaultMethod(name);
    checkName(name, 'the method name');
    checkFunction(handler, 'the method handler');
    if (this.#closed) throw new ClosedError('the client is closed');
    this.#methods.set(name, handler);
    this.#attachMethod(name);
    return this;
  }

  /** Handles every direct method that has no handler of its own. */
  onDefaultMethod(handler) {
    checkFunction(handler, 'the method handler');
    if (this.#closed) throw new ClosedError('the client is closed');
    this.#methods.set(DEFAULT, handler);
    this.#attachMethod(DEFAULT);
    return this;
  }

  /** Removes the handler of method `name` (the default handler, when name is omitted). */
  offMethod(name) {
    const key = name === undefined ? DEFAULT : name;
    this.#methods.delete(key);
    this.#unlisten(`methods:${key === DEFAULT ? '*' : key}`);
    return this;
  }

  /**
   * The module twin: `twin.properties.desired`, `twin.properties.reported.update(patch)`,
   * `twin.on('properties.desired', patch => …)`. Every call returns the same Twin, refreshed.
   */
  async getTwin() {
    const n = this.#op();
    if (this.#twin === null) {
      this.#listen('desired', () => n.listenDesired((p) => this.#onDesired(p)));
    }
    const fresh = await call(() => n.getTwin());
    if (this.#twin === null) {
      this.#twin = new Twin(fresh, (patch) => this.updateReported(patch));
    } else {
      this.#twin._refresh(fresh);
    }
    return this.#twin;
  }

  /** Merges `patch` into the reported properties (null removes a property). */
  async updateReported(patch) {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      throw invalid('the reported patch must be an object');
    }
    const n = this.#op();
    await call(() => n.patchReported(patch));
  }

  /**
   * Calls a direct method on another module (or on a device when moduleId is omitted):
   * `invokeMethod(deviceId, moduleId, { methodName, payload, responseTimeoutInSeconds,
   * connectTimeoutInSeconds })` → `{ status, payload }`.
   */
  async invokeMethod(deviceId, moduleId, methodParams) {
    if (methodParams === undefined && moduleId !== null && typeof moduleId === 'object') {
      methodParams = moduleId;
      moduleId = null;
    }
    checkName(deviceId, 'the device id');
    if (moduleId !== null && moduleId !== undefined) checkName(moduleId, 'the module id');
    if (!methodParams || typeof methodParams !== 'object') throw invalid('methodParams must be an object');
    checkName(methodParams.methodName, 'methodParams.methodName');
    const response = secondsToMs(methodParams.responseTimeoutInSeconds, 'responseTimeoutInSeconds');
    const connect = secondsToMs(methodParams.connectTimeoutInSeconds, 'connectTimeoutInSeconds');
    const n = this._native();
    const payload = methodParams.payload === undefined ? null : methodParams.payload;
    const result = await call(() => n.invokeMethod(deviceId, moduleId ?? null, methodParams.methodName, payload, response, connect));
    return { status: result.status, payload: result.payload };
  }

  /** Publishes `payload` (string or bytes) to a user-defined topic; `options.qos` 0 or 1 (default 1). */
  async publish(topic, payload, options = {}) {
    checkName(topic, 'the topic');
    let bytes;
    if (typeof payload === 'string') bytes = Buffer.from(payload, 'utf8');
    else if (Buffer.isBuffer(payload)) bytes = payload;
    else if (ArrayBuffer.isView(payload)) bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    else throw invalid('the payload must be a string, Buffer or Uint8Array');
    const qos = options.qos === undefined ? 1 : options.qos;
    if (qos !== 0 && qos !== 1) throw invalid('qos must be 0 or 1');
    const n = this.#op();
    await call(() => n.publish(topic, bytes, qos));
  }

  /**
   * Subscribes to a user-topic filter; resolves once the hub accepted it. Messages arrive
   * as `subscription.on('message', (payload, topic) => …)` (or `listener` when given), or
   * through `for await (const { topic, payload } of subscription)`.
   */
  async subscribe(filter, listener) {
    checkName(filter, 'the topic filter');
    if (listener !== undefined) checkFunction(listener, 'the listener');
    const n = this.#op();
    const subscription = new Subscription(filter, (s) => this.#subscriptions.delete(s));
    if (listener) subscription.on('message', listener);
    this.#subscriptions.add(subscription);
    try {
      const handle = await call(() => n.subscribe(filter, (m) => {
        if (!this.#closed) subscription._deliver(m);
      }));
      subscription._attach(handle);
    } catch (e) {
      subscription.close();
      throw e;
    }
    return subscription;
  }
}

module.exports = { ModuleClient, nativeOptions };
