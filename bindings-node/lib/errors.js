'use strict';
// EdgeModuleError and one subclass per stable error kind (design.md §4). `err.code` is the
// kind's name (e.g. 'MESSAGE_TOO_LARGE'), `err.errno` its number, `err.status` the hub's
// status for SERVICE-like errors.

/** Stable error codes, shared by every edgemodule binding. */
const ErrorCode = Object.freeze({
  INVALID_ARGUMENT: 1,
  CONFIG: 2,
  UNAUTHORIZED: 3,
  CONNECTION: 4,
  TIMEOUT: 5,
  CLOSED: 6,
  MESSAGE_TOO_LARGE: 7,
  PROTOCOL: 8,
  SERVICE: 9,
  CANCELLED: 10,
  NOT_FOUND: 11,
  THROTTLED: 12,
  INTERNAL: 13,
});

const RETRYABLE = new Set(['CONNECTION', 'TIMEOUT', 'THROTTLED']);

class EdgeModuleError extends Error {
  constructor(message, options = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    const code = options.code || /** @type {any} */ (this.constructor).code || 'INTERNAL';
    this.name = this.constructor.name;
    this.code = code;
    this.errno = ErrorCode[code];
    this.status = options.status ?? undefined;
    this.retryable = RETRYABLE.has(code);
  }
}

function kind(name, code) {
  const cls = { [name]: class extends EdgeModuleError {} }[name];
  /** @type {any} */ (cls).code = code;
  return cls;
}

const InvalidArgumentError = kind('InvalidArgumentError', 'INVALID_ARGUMENT');
const ConfigError = kind('ConfigError', 'CONFIG');
const UnauthorizedError = kind('UnauthorizedError', 'UNAUTHORIZED');
const ConnectionError = kind('ConnectionError', 'CONNECTION');
const TimeoutError = kind('TimeoutError', 'TIMEOUT');
const ClosedError = kind('ClosedError', 'CLOSED');
const MessageTooLargeError = kind('MessageTooLargeError', 'MESSAGE_TOO_LARGE');
const ProtocolError = kind('ProtocolError', 'PROTOCOL');
const ServiceError = kind('ServiceError', 'SERVICE');
const CancelledError = kind('CancelledError', 'CANCELLED');
const NotFoundError = kind('NotFoundError', 'NOT_FOUND');
const ThrottledError = kind('ThrottledError', 'THROTTLED');
const InternalError = kind('InternalError', 'INTERNAL');

const BY_CODE = Object.freeze({
  INVALID_ARGUMENT: InvalidArgumentError,
  CONFIG: ConfigError,
  UNAUTHORIZED: UnauthorizedError,
  CONNECTION: ConnectionError,
  TIMEOUT: TimeoutError,
  CLOSED: ClosedError,
  MESSAGE_TOO_LARGE: MessageTooLargeError,
  PROTOCOL: ProtocolError,
  SERVICE: ServiceError,
  CANCELLED: CancelledError,
  NOT_FOUND: NotFoundError,
  THROTTLED: ThrottledError,
  INTERNAL: InternalError,
});

/** The error class for a code name (INTERNAL for unknown names). */
function errorClass(code) {
  return BY_CODE[code] || InternalError;
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
  if (error && (error.code === 'InvalidArg' || error.code === 'NumberExpected' || error.code === 'StringExpected' || error.code === 'ObjectExpected')) {
    return new InvalidArgumentError(text, { cause: error });
  }
  return new InternalError(text, { cause: error });
}

/** Awaits `fn()` and converts a native failure. */
async function call(fn) {
  try {
    return await fn();
  } catch (e) {
    throw fromNative(e);
  }
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
  InvalidArgumentError,
  ConfigError,
  UnauthorizedError,
  ConnectionError,
  TimeoutError,
  ClosedError,
  MessageTooLargeError,
  ProtocolError,
  ServiceError,
  CancelledError,
  NotFoundError,
  ThrottledError,
  InternalError,
  errorClass,
  fromNative,
  call,
  callSync,
};
