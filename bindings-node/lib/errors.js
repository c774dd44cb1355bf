'use strict';
// EdgeModuleError and one subclass per stable error kind, built from the core's error table
// (`native.errorTable()`, edgemodule::CODES): `err.code` is the kind's name (e.g.
// 'MESSAGE_TOO_LARGE'), `err.errno` its number, `err.description` and `err.transient` the
// table's, `err.status` the hub's status for SERVICE-like errors. Only the class names are
// this package's: `MESSAGE_TOO_LARGE` → `MessageTooLargeError`.
const native = require('./native');

/** @type {ReadonlyArray<import('../native').ErrorInfo>} */
const TABLE = Object.freeze(native.errorTable().filter((row) => row.code !== 0));
/** @type {Map<string, import('../native').ErrorInfo>} */
const BY_NAME = new Map(TABLE.map((row) => [row.name, row]));

/** Stable error codes, shared by every edgemodule binding (name → number). */
const ErrorCode = Object.freeze(Object.fromEntries(TABLE.map((row) => [row.name, row.code])));

/** The table's row for `code`, INTERNAL for an unknown name. */
function info(code) {
  return BY_NAME.get(code) || /** @type {import('../native').ErrorInfo} */ (BY_NAME.get('INTERNAL'));
}

class EdgeModuleError extends Error {
  constructor(message, options = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    const row = info(options.code || /** @type {any} */ (this.constructor).code || 'INTERNAL');
    this.name = this.constructor.name;
    /** The stable kind name. */
    this.code = row.name;
    /** The stable number of `code`. */
    this.errno = row.code;
    /** The one description of `code` (the core's table). */
    this.description = row.description;
    /** True when retrying the same operation later may succeed (the core's table). */
    this.transient = row.transient;
    /** The hub's status, when the hub answered with one. */
    this.status = options.status ?? undefined;
  }

  /** Same as `transient` (kept for code written against edgemodule 0.1). */
  get retryable() {
    return this.transient;
  }
}

/** `MESSAGE_TOO_LARGE` → `MessageTooLargeError`. */
function className(name) {
  return `${name.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase())}Error`;
}

/** @type {Record<string, typeof EdgeModuleError>} class by kind name */
const BY_CODE = {};
/** @type {Record<string, typeof EdgeModuleError>} class by class name */
const CLASSES = {};
for (const row of TABLE) {
  const name = className(row.name);
  const cls = { [name]: class extends EdgeModuleError {} }[name];
  /** @type {any} */ (cls).code = row.name;
  BY_CODE[row.name] = cls;
  CLASSES[name] = cls;
}
Object.freeze(BY_CODE);
Object.freeze(CLASSES);

/** The error class for a code name (InternalError for unknown names). */
function errorClass(code) {
  return BY_CODE[code] || BY_CODE.INTERNAL;
}

/** Turns an error thrown by the native addon into an EdgeModuleError. */
function fromNative(error) {
  if (error instanceof EdgeModuleError) return error;
  const text = error && typeof error.message === 'string' ? error.message : String(error);
  if (text.startsWith('{"edgemodule"')) {
    try {
      const { kind: code, message, status } = JSON.parse(text).edgemodule;
      const Cls = errorClass(code);
      return new Cls(message, { code: BY_CODE[code] ? code : 'INTERNAL', status: status ?? undefined });
    } catch {
      // fall through: not ours after all
    }
  }
  if (error && ['InvalidArg', 'NumberExpected', 'StringExpected', 'ObjectExpected'].includes(error.code)) {
    return new BY_CODE.INVALID_ARGUMENT(text, { cause: error });
  }
  return new BY_CODE.INTERNAL(text, { cause: error });
}

/** Awaits `fn()` and converts a native failure. */
async function call(fn) {
  try {
    return await fn();
  } catch (e) {
    throw fromNative(e);
  }
}

const rethrowNative = (e) => { throw fromNative(e); };

/**
 * `call` for per-message paths: starts `fn()` (a native operation returning a Promise) without
 * an async frame of its own; a native failure, thrown or rejected, is converted.
 */
function startNative(fn) {
  let promise;
  try {
    promise = fn();
  } catch (e) {
    return Promise.reject(fromNative(e));
  }
  return promise.then(undefined, rethrowNative);
}

/** Runs `fn()` synchronously and converts a native failure. */
function callSync(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}

module.exports = {
  ErrorCode,
  EdgeModuleError,
  ...CLASSES,
  // Named for the code below (the same classes as in CLASSES).
  InvalidArgumentError: BY_CODE.INVALID_ARGUMENT,
  ClosedError: BY_CODE.CLOSED,
  ConnectionError: BY_CODE.CONNECTION,
  UnauthorizedError: BY_CODE.UNAUTHORIZED,
  errorClasses: CLASSES,
  errorTable: () => TABLE.map((row) => ({ ...row })),
  errorClass,
  fromNative,
  startNative,
  call,
  callSync,
};
