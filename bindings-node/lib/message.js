'use strict';
const { SYSTEM_FIELDS, clearSystem, readSystem, writeSystem } = require('./system_fields');
const { InvalidArgumentError } = require('./errors');
// Message: body, custom properties and system properties; shaped like azure-iot-device's
// Message (data, properties.add/getValue, messageId, …) with a few conveniences.

/** Custom (application) properties: a Map<string, string> that also speaks azure-iot-common's `Properties` API. */
class Properties extends Map {
  constructor(entries) {
    super();
    if (entries) {
      const pairs = entries instanceof Map || Array.isArray(entries) ? entries : Object.entries(entries);
      for (const [k, v] of pairs) this.set(k, v);
    }
  }

  set(key, value) {
    return super.set(String(key), String(value));
  }

  /** Adds a property (azure-iot-common); `false` for the reserved keys it refuses. */
  add(key, value) {
    if (key === 'Authorization' || key === 'iothub-to') return false;
    this.set(key, value);
    return true;
  }

  /** The value for `key`, or undefined (azure-iot-common). */
  getValue(key) {
    return this.get(String(key));
  }

  /** The `index`-th property as `{ key, value }` (azure-iot-common). */
  getItem(index) {
    let i = 0;
    for (const [key, value] of this) {
      if (i++ === index) return { key, value };
    }
    return undefined;
  }

  /** Number of properties (azure-iot-common). */
  count() {
    return this.size;
  }

  /** Removes `key`; `true` if it was there. */
  remove(key) {
    return this.delete(String(key));
  }

  /** A plain object copy. */
  toJSON() {
    return Object.fromEntries(this);
  }
}

function toBuffer(data) {
  if (data === undefined || data === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (Array.isArray(data)) return Buffer.from(data);
  throw new TypeError('a message body must be a string, Buffer, Uint8Array, ArrayBuffer or byte array; use Message.json() for objects');
}

/** A message sent to an output/telemetry or received on an input. */
class Message {
  #receipt;

  /** @param data the body: string (UTF-8), Buffer, Uint8Array, ArrayBuffer or byte array */
  constructor(data) {
    toBuffer(data); // validates early, as sending would
    this.data = data;
    this.properties = new Properties();
    clearSystem(this);
  }

  /** A JSON message: body `JSON.stringify(value)`, contentType application/json, contentEncoding utf-8 (so routes can query `$body`). */
  static json(value) {
    // The system fields are set in the constructor, by name: not declared for tsc.
    const m = /** @type {Message & Record<string, unknown>} */ (new Message(JSON.stringify(value)));
    m.contentType = 'application/json';
    m.contentEncoding = 'utf-8';
    return m;
  }

  /** True for what the constructor accepts (azure-iot-common). */
  static isBufferConvertible(obj) {
    return Buffer.isBuffer(obj) || typeof obj === 'string' || Array.isArray(obj) || obj instanceof ArrayBuffer || ArrayBuffer.isView(obj);
  }

  /** The body as given to the constructor (azure-iot-common). */
  getData() {
    return this.data;
  }

  /** The body as a Buffer (azure-iot-common). */
  getBytes() {
    return toBuffer(this.data);
  }

  /** The body as a Buffer. */
  get body() {
    return toBuffer(this.data);
  }

  /** The body decoded as UTF-8. */
  toString() {
    return this.getBytes().toString('utf8');
  }

  /** The body parsed as JSON (throws SyntaxError when it is not JSON). */
  json() {
    return JSON.parse(this.toString());
  }

  /** True for a received message that was not acknowledged or abandoned yet. */
  get settled() {
    return !this.#receipt;
  }

  /** Acknowledges a received message now (the hub forgets it). Returns false if there was nothing to acknowledge. */
  ack() {
    const receipt = this.#receipt;
    this.#receipt = undefined;
    if (!receipt) return false;
    return receipt.ack();
  }

  /** Gives a received message back: it is delivered again shortly. Returns false if it was already settled. */
  abandon() {
    const receipt = this.#receipt;
    this.#receipt = undefined;
    return receipt ? receipt.abandon() : false;
  }

  /** @internal what the native addon takes: the body alone, or an OutgoingMessage */
  static _toNative(message) {
    if (!(message instanceof Message)) {
      throw new InvalidArgumentError('expected an edgemodule Message (new Message(body))');
    }
    // Absent (undefined) rather than empty maps: the addon then reads nothing for them.
    const p = message.properties;
    /** @type {Record<string, string> | undefined} */
    let properties;
    if (p && p.size !== 0) {
      properties = {};
      for (const [k, v] of p) properties[k] = String(v);
    }
    const system = readSystem(message);
    const body = toBuffer(message.data);
    // A message that is only a body crosses as the bare Buffer.
    return properties === undefined && system === undefined ? body : { body, properties, system };
  }

  /** @internal a received message; `receipt` is the native handle that acks/abandons */
  static _fromNative(native, receipt) {
    const m = new Message(native.body);
    for (const [k, v] of Object.entries(native.properties || {})) m.properties.set(k, v);
    if (native.system) writeSystem(m, native.system);
    m.#receipt = receipt;
    return m;
  }
}

module.exports = { Message, Properties, SYSTEM_FIELDS };
