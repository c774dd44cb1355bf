'use strict';
// ModuleClient: the public, EventEmitter-based client over the native addon.
//
// Lifetime: an open client keeps the process alive the way an open socket does (one ref'd
// timer, released by close() or unref()); handlers and listeners never do (the native side
// uses weak ThreadsafeFunctions). After close() nothing is delivered and nothing keeps the
// process alive.
//
// Delivery is the core's (docs/delivery.md): input, method, desired and user-topic handlers
// are registered with the core's handler API. A handler here only runs the application's
// function and tells the core how it went (its Promise resolves with null, or with the
// failure's message); the core acknowledges in arrival order, runs one item at a time per
// handler, retries, answers a failed method with its one failure reply and reports what it
// gave up on as a 'backgroundError' event.
const { EventEmitter } = require('node:events');
const native = require('./native');
const {
  call, callSync, startNative, ClosedError, ConnectionError, InvalidArgumentError, UnauthorizedError,
} = require('./errors');
const { Message } = require('./message');
const { Twin } = require('./twin');
const { MethodRequest, MethodResponse } = require('./methods');
const { Subscription } = require('./subscription');
const { AsyncQueue } = require('./queue');
const logging = require('./logging');
const { runAll, failureMessage } = require('./run');

/** @typedef {import('../native').NativeClient} NativeClient */

const KEEP_ALIVE_MS = 2 ** 31 - 1;
const DEFAULT = null;

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

/** Environment variables as strings (process.env, or the `env` option), read now. */
function environment(env) {
  if (typeof env !== 'object' || env === null) throw invalid('option env must be an object');
  /** @type {Record<string, string>} */
  const out = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

/**
 * Splits the public options: `env` (else process.env, read at this moment), `logger` and
 * `logLevel` (lib/logging.js) stay here; every other field goes to the core by name
 * (src/options.rs), which validates it. Only representation is converted (a Buffer CA to text).
 */
function prepare(options) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw invalid('options must be an object');
  const { env, logger, logLevel, ...rest } = options;
  for (const key of ['ca', 'trustBundlePem']) {
    if (Buffer.isBuffer(rest[key])) rest[key] = rest[key].toString('utf8');
  }
  logging.enableFromEnvironment(process.env);
  return {
    env: environment(env === undefined ? process.env : env),
    options: rest,
    sink: logging.loggerSink(logger, logLevel),
  };
}

/** What the core reports in the background: `kind`, `family`, `name`, `message`. */
class BackgroundError {
  /** @internal */
  constructor(e) {
    /** HANDLER_FAILED, NO_HANDLER or SLOW_HANDLER. */
    this.kind = e.kind;
    /** input, method, desired or topic. */
    this.family = e.family;
    /** The input, method or topic ('' for desired properties). */
    this.name = e.name;
    /** What happened. */
    this.message = e.message;
  }

  toString() {
    return `${this.kind} (${this.family}${this.name ? ` ${this.name}` : ''}): ${this.message}`;
  }
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
  /** @type {import('../native').NativeListener[]} */
  #listeners = [];
  // Per input: { handler } or { queue, listener } (client.inputs()).
  #inputs = new Map();
  // Per method name (DEFAULT: the default handler): the handler.
  #methods = new Map();
  #defaultInputs = false;
  #desired = false;
  /** @type {Twin | null} */
  #twin = null;
  #subscriptions = new Set();
  /** @type {ReturnType<typeof logging.loggerSink>} */
  #sink = null;
  /** @type {(() => void) | null} */
  #unlog = null;
  #warned = new Set();

  /**
   * @internal Use ModuleClient.fromEnvironment() or ModuleClient.fromConnectionString().
   * @param {() => any} factory returns the native client (called once, when first needed)
   * @param {import('./logging').Sink | null} [sink] the `logger` option's sink (registered until close)
   */
  constructor(factory, sink = null) {
    super();
    if (typeof factory !== 'function') {
      throw new TypeError('use ModuleClient.fromEnvironment() or ModuleClient.fromConnectionString() to create a client');
    }
    this.#factory = factory;
    this.#installHooks();
    this._setLogSink(sink);
  }

  /**
   * A client for the module IoT Edge started: `IOTEDGE_*` variables (signing and trust via
   * the workload API) or `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`, read
   * from `options.env` or from process.env as it is now.
   */
  static async fromEnvironment(options) {
    const prepared = prepare(options);
    // The logger hears the creation too (the workload API, the trust bundle).
    const unlog = prepared.sink ? logging.register(prepared.sink) : null;
    let client;
    try {
      client = await call(() => native.createFromEnvironment(prepared.env, prepared.options));
    } finally {
      unlog?.();
    }
    return new this(() => client, prepared.sink);
  }

  /**
   * A client for a module connection string. The gateway's CA comes from `options.ca` /
   * `options.trustBundlePem` / `options.caFile`, else from `EdgeModuleCACertificateFile`;
   * `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT` apply (process.env as it is now).
   */
  static async fromConnectionString(connectionString, options) {
    checkName(connectionString, 'the connection string');
    const prepared = prepare(options);
    const client = callSync(() => native.createFromConnectionString(connectionString, prepared.env, prepared.options));
    return new this(() => client, prepared.sink);
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * @internal Feeds the core's log records to `sink` until close (replaces an earlier one).
   * @param {import('./logging').Sink | null} sink
   */
  _setLogSink(sink) {
    this.#unlog?.();
    this.#unlog = null;
    this.#sink = sink;
    if (!sink) return;
    if (this.#native) sink.module = this.#native.moduleId;
    this.#unlog = logging.register(sink);
  }

  /** @internal The native client, created on first use. */
  _native() {
    if (this.#closed) throw new ClosedError('the client is closed; create a new client to continue');
    if (!this.#native) {
      this.#native = /** @type {NativeClient} */ (callSync(this.#factory));
      this.#attachAll(this.#native);
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
    // 'newListener' fires before the listener is added: register at once, so a handler set
    // before open() is subscribed by open().
    this.on('newListener', (event) => {
      if (event === 'inputMessage') this.#syncDefaultInputs(true);
      if (event === 'desired') this.#syncDesired(true);
    });
    this.on('removeListener', (event) => {
      if (event === 'inputMessage') this.#syncDefaultInputs(false);
    });
  }

  removeAllListeners(event) {
    super.removeAllListeners(event);
    if (event === undefined || event === 'newListener' || event === 'removeListener') {
      super.removeAllListeners('newListener');
      super.removeAllListeners('removeListener');
      this.#installHooks();
    }
    this.#syncDefaultInputs(false);
    return this;
  }

  /** Registers what exists so far with a native client that was just created. */
  #attachAll(n) {
    if (this.#sink) this.#sink.module = n.moduleId;
    this.#listeners.push(callSync(() => n.listenStatus((s) => this.#onStatus(s))));
    this.#listeners.push(callSync(() => n.listenBackgroundErrors((e) => this.#onBackgroundError(e))));
    for (const name of this.#inputs.keys()) this.#registerInput(name);
    for (const name of this.#methods.keys()) this.#registerMethod(name);
    this.#syncDefaultInputs(false);
    this.#syncDesired(false);
  }

  #registerInput(name) {
    const n = this.#native;
    const entry = this.#inputs.get(name);
    if (!n || !entry) return;
    if (entry.queue) {
      entry.listener?.close();
      entry.listener = callSync(() => n.openInputStream(name, (m) => this.#onStreamed(entry.queue, m)));
    } else {
      const { handler } = entry;
      callSync(() => n.setInputHandler(name, (event) => this.#handleInput(event, (m) => handler.call(this, m))));
    }
  }

  #registerMethod(name) {
    const n = this.#native;
    const handler = this.#methods.get(name);
    if (!n || !handler) return;
    callSync(() => n.setMethodHandler(name, (c) => this.#handleMethod(c, handler)));
  }

  /** The default input handler exists while 'inputMessage' has listeners (`adding`: one is about to be). */
  #syncDefaultInputs(adding) {
    const n = this.#native;
    if (!n || this.#closed) return;
    const wanted = adding || this.listenerCount('inputMessage') > 0;
    if (wanted && !this.#defaultInputs) {
      callSync(() => n.setInputHandler(DEFAULT, (event) => this.#handleInput(event,
        (m) => runAll(this, this.listeners('inputMessage'), [event.inputName, m]))));
      this.#defaultInputs = true;
    } else if (!wanted && this.#defaultInputs) {
      n.clearInputHandler(DEFAULT);
      this.#defaultInputs = false;
    }
  }

  /** The desired handler exists once 'desired' has a listener or the twin was read. */
  #syncDesired(adding) {
    const n = this.#native;
    if (!n || this.#closed || this.#desired) return;
    if (!adding && this.#twin === null && this.listenerCount('desired') === 0) return;
    callSync(() => n.setDesiredHandler((p) => this.#handleDesired(p)));
    this.#desired = true;
  }

  /** Runs user listeners of an event; a throw or rejection is reported, never propagated. */
  #runListeners(listeners, args, where) {
    for (const listener of listeners) {
      try {
        const r = listener.apply(this, args);
        if (r && typeof r.then === 'function') r.then(undefined, (e) => this.#listenerFailed(e, where));
      } catch (e) {
        this.#listenerFailed(e, where);
      }
    }
  }

  #listenerFailed(error, where) {
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

  // ---------------------------------------------------------------- the core's calls

  /**
   * An input message for `run` (a handler, or the 'inputMessage' listeners). `message.ack()`
   * inside changes nothing (the message is acknowledged when the handler is done);
   * `message.abandon()` makes this attempt a failure, so the core delivers it again.
   */
  #handleInput(event, run) {
    if (this.#closed) return 'the client is closed';
    let abandoned = false;
    const receipt = { ack: () => true, abandon: () => { abandoned = true; return true; } };
    const outcome = () => (abandoned ? 'the handler abandoned the message' : null);
    let r;
    try {
      r = run(Message._fromNative(event.message, receipt));
    } catch (e) {
      return failureMessage(e);
    }
    // A handler that returned (not a Promise) is settled at once: no Promise round trip.
    if (r && typeof r.then === 'function') return Promise.resolve(r).then(outcome, failureMessage);
    return outcome();
  }

  /** A method call: resolves with the first of the answer sent or the handler's failure. */
  #handleMethod(c, handler) {
    return new Promise((resolve) => {
      const request = new MethodRequest(c);
      const response = new MethodResponse(c, resolve);
      const fail = (e) => {
        if (response.isResponseComplete) return;
        response.isResponseComplete = true;
        resolve({ error: failureMessage(e) });
      };
      try {
        const r = handler.call(this, request, response);
        if (r && typeof r.then === 'function') r.then(undefined, fail);
      } catch (e) {
        fail(e);
      }
    });
  }

  /** A desired patch: the cached twin follows it, then the 'desired' listeners run. */
  async #handleDesired(p) {
    if (this.#closed) return 'the client is closed';
    try {
      this.#twin?._onDesiredPatch(p);
      await runAll(this, this.listeners('desired'), [p.patch]);
    } catch (e) {
      return failureMessage(e);
    }
    return null;
  }

  #onStreamed(queue, nativeMessage) {
    const message = Message._fromNative(/** @type {import('../native').NativeMessage} */ (nativeMessage.message()), {
      ack: () => callSync(() => nativeMessage.ack()),
      abandon: () => nativeMessage.abandon(),
    });
    queue.push(message);
  }

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
      const error = current.reason === 'badCredential' || current.reason === 'expiredSasToken'
        ? new UnauthorizedError(`the hub refused the module credentials (${current.reason}); the client stopped retrying`)
        : new ConnectionError(`the client stopped retrying (${current.reason})`);
      this.#runListeners(this.listeners('error'), [error], "an 'error' listener");
    }
  }

  /** Never throws: without a listener, a process warning once per kind and source. */
  #onBackgroundError(e) {
    if (this.#closed) return;
    const error = new BackgroundError(e);
    if (this.listenerCount('backgroundError') > 0) {
      this.#runListeners(this.listeners('backgroundError'), [error], "a 'backgroundError' listener");
      return;
    }
    const key = `${error.kind} ${error.family} ${error.name}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    process.emitWarning(`edgemodule: ${error} (further ones are not shown; listen to 'backgroundError')`, 'EdgeModuleWarning');
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

  /** Connects; resolves once connected and subscribed to everything registered. The client reconnects by itself afterwards. */
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
        for (const listener of this.#listeners) listener.close();
        this.#listeners = [];
        for (const entry of this.#inputs.values()) {
          entry.listener?.close();
          entry.queue?.end();
        }
        this.#inputs.clear();
        this.#methods.clear();
        for (const sub of [...this.#subscriptions]) sub.close();
        if (this.#keepAlive) clearInterval(this.#keepAlive);
        this.#keepAlive = null;
        this.#unlog?.();
        this.#unlog = null;
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

  // The sends are plain functions returning a Promise (no async frame per message); a
  // failure before the native call still rejects, never throws.

  /** Sends `message` to output `outputName` (routed by the hub); resolves on the hub's acknowledgement. */
  sendOutputEvent(outputName, message) {
    try {
      checkName(outputName, 'the output name');
      const body = Message._toNative(message);
      const n = this.#op();
      return startNative(() => n.sendOutput(outputName, body));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Sends every message to `outputName`, pipelined; resolves once the hub acknowledged all of them. */
  sendOutputEventBatch(outputName, messages) {
    try {
      checkName(outputName, 'the output name');
      if (!Array.isArray(messages)) throw invalid('messages must be an array of Message');
      const bodies = messages.map((m) => Message._toNative(m));
      const n = this.#op();
      return startNative(() => n.sendOutputBatch(outputName, bodies));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Sends `message` as module telemetry (no output name). */
  sendEvent(message) {
    try {
      const body = Message._toNative(message);
      const n = this.#op();
      return startNative(() => n.sendEvent(body));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Sends every message as telemetry, pipelined. */
  async sendEventBatch(messages) {
    if (!Array.isArray(messages)) throw invalid('messages must be an array of Message');
    const bodies = messages.map((m) => Message._toNative(m));
    const n = this.#op();
    await Promise.all(bodies.map((b) => call(() => n.sendEvent(b))));
  }

  /**
   * Handles messages of input `name` with `handler(message)`, one at a time in arrival
   * order. The message is acknowledged when the handler returns (or its Promise resolves);
   * if it throws (or rejects) the core calls it again with the same message after the
   * redelivery delay, and after the last attempt acknowledges it and reports a
   * 'backgroundError'. Replaces an earlier handler or iterator for the same input.
   */
  onInput(name, handler) {
    checkName(name, 'the input name');
    checkFunction(handler, 'the input handler');
    if (this.#closed) throw new ClosedError('the client is closed');
    this.#dropInput(name);
    this.#inputs.set(name, { handler });
    this.#registerInput(name);
    return this;
  }

  #dropInput(name) {
    const entry = this.#inputs.get(name);
    entry?.listener?.close();
    entry?.queue?.end();
    this.#inputs.delete(name);
  }

  /** Stops handling input `name` (its messages go to 'inputMessage' listeners). */
  offInput(name) {
    this.#dropInput(name);
    this.#native?.clearInputHandler(name);
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
    this.#dropInput(name);
    const queue = new AsyncQueue((m) => m.abandon());
    const entry = { queue, listener: null };
    this.#inputs.set(name, entry);
    this.#registerInput(name);
    let current = null;
    const finish = () => {
      if (current && !current.settled) current.abandon();
      current = null;
      queue.end();
      if (this.#inputs.get(name) === entry) this.offInput(name);
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
   * `response.send(status, payload)`. A handler that throws or rejects before answering
   * gets the core's failure reply: 500 `{"error":"HANDLER_FAILED",…}`.
   * `onMethod(handler)` sets the default handler (methods without their own).
   */
  onMethod(name, handler) {
    if (typeof name === 'function' && handler === undefined) return this.onDefaultMethod(name);
    checkName(name, 'the method name');
    checkFunction(handler, 'the method handler');
    if (this.#closed) throw new ClosedError('the client is closed');
    this.#methods.set(name, handler);
    this.#registerMethod(name);
    return this;
  }

  /** Handles every direct method that has no handler of its own. */
  onDefaultMethod(handler) {
    checkFunction(handler, 'the method handler');
    if (this.#closed) throw new ClosedError('the client is closed');
    this.#methods.set(DEFAULT, handler);
    this.#registerMethod(DEFAULT);
    return this;
  }

  /** Removes the handler of method `name` (the default handler, when name is omitted). */
  offMethod(name) {
    const key = name === undefined ? DEFAULT : name;
    this.#methods.delete(key);
    this.#native?.clearMethodHandler(key);
    return this;
  }

  /**
   * The module twin: `twin.properties.desired`, `twin.properties.reported.update(patch)`,
   * `twin.on('properties.desired', patch => …)`. Every call returns the same Twin, refreshed.
   */
  async getTwin() {
    const n = this.#op();
    const fresh = await call(() => n.getTwin());
    if (this.#twin === null) {
      this.#twin = new Twin(fresh, (patch) => this.updateReported(patch));
      this.#syncDesired(true);
    } else {
      this.#twin._refresh(fresh);
    }
    return this.#twin;
  }

  /** Merges `patch` into the reported properties (null removes a property). */
  async updateReported(patch) {
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
    const ms = (seconds) => (seconds === undefined || seconds === null ? null : Math.round(Number(seconds) * 1000));
    const n = this._native();
    const payload = methodParams.payload === undefined ? null : methodParams.payload;
    const result = await call(() => n.invokeMethod(deviceId, moduleId ?? null, methodParams.methodName, payload,
      ms(methodParams.responseTimeoutInSeconds), ms(methodParams.connectTimeoutInSeconds)));
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
    const n = this.#op();
    await call(() => n.publish(topic, bytes, qos));
  }

  /**
   * Subscribes to a user-topic filter; resolves once the hub accepted it. Messages arrive
   * one at a time as `subscription.on('message', (payload, topic) => …)` (or `listener`
   * when given; acknowledged once the listeners are done, retried when one fails), and
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
      const handle = await call(() => n.subscribe(filter, async (m) => {
        if (this.#closed) return 'the client is closed';
        try {
          await subscription._deliver(m);
        } catch (e) {
          return failureMessage(e);
        }
        return null;
      }));
      subscription._attach(handle);
    } catch (e) {
      subscription.close();
      throw e;
    }
    return subscription;
  }
}

module.exports = { ModuleClient, BackgroundError, prepare };
