'use strict';
// edgemodule/compat: the azure-iot-device ModuleClient / Message and azure-iot-device-mqtt
// Mqtt shapes, so an existing module runs after changing only its require/import lines.
// Every operation takes an optional trailing callback (err, result) and returns a Promise
// when none is given, as azure-iot-device does.
const native = require('./native');
const { ModuleClient: Base, prepare } = require('./client');
const { Message } = require('./message');
const errors = require('./errors');

/** Result objects shaped like azure-iot-common's `results`. */
class Result {
  constructor(transportObj) {
    this.transportObj = transportObj;
  }
}
const results = {
  Connected: class Connected extends Result {},
  Disconnected: class Disconnected extends Result {
    constructor(transportObj, reason) {
      super(transportObj);
      this.reason = reason;
    }
  },
  MessageEnqueued: class MessageEnqueued extends Result {},
  MessageCompleted: class MessageCompleted extends Result {},
  MessageRejected: class MessageRejected extends Result {},
  MessageAbandoned: class MessageAbandoned extends Result {},
  TransportConfigured: class TransportConfigured extends Result {},
};

/** The MQTT transport marker (azure-iot-device-mqtt's `Mqtt`): edgemodule always speaks MQTT over TLS. */
class Mqtt {}

function callbackify(promise, callback) {
  if (typeof callback !== 'function') return promise;
  promise.then((value) => callback(null, value), (error) => callback(error));
  return undefined;
}

function checkTransport(transportCtor) {
  if (transportCtor !== undefined && transportCtor !== Mqtt) {
    throw new (errors.errorClass('CONFIG'))('edgemodule speaks MQTT only: pass the Mqtt transport from edgemodule/compat');
  }
}

// @ts-expect-error -- fromConnectionString is synchronous here, as in azure-iot-device.
class ModuleClient extends Base {
  #options = {};

  /** azure-iot-device: `ModuleClient.fromEnvironment(Mqtt[, callback])`. */
  static fromEnvironment(transportCtor, callback) {
    const promise = (async () => {
      checkTransport(transportCtor);
      return Base.fromEnvironment.call(this, {});
    })();
    return callbackify(promise, callback);
  }

  /**
   * azure-iot-device: `ModuleClient.fromConnectionString(cs, Mqtt)` (synchronous). The
   * gateway CA comes from `setOptions({ ca })`, else `EdgeModuleCACertificateFile`; the
   * native client is created when first needed (usually by `open()`).
   */
  static fromConnectionString(connectionString, transportCtor) {
    if (typeof connectionString !== 'string' || connectionString.length === 0) {
      throw new ReferenceError('connStr is \'' + connectionString + '\'');
    }
    checkTransport(transportCtor);
    /** @type {ModuleClient | null} */
    let client = null;
    client = new this(() => {
      const prepared = prepare(/** @type {ModuleClient} */ (client).#options);
      return native.createFromConnectionString(connectionString, prepared.env, prepared.options);
    });
    return client;
  }

  /** azure-iot-device `setOptions`: `ca`, `keepalive`, `productInfo`, `modelId`, `tokenRenewal.tokenValidTimeInSeconds`. */
  setOptions(options, callback) {
    const promise = (async () => {
      if (!options || typeof options !== 'object') throw new ReferenceError('options cannot be falsy');
      const o = this.#options;
      if (options.ca !== undefined) o.ca = options.ca;
      if (options.keepalive !== undefined) o.keepAliveSecs = options.keepalive;
      if (options.productInfo !== undefined) o.productInfo = options.productInfo;
      if (options.modelId !== undefined) o.modelId = options.modelId;
      if (options.tokenRenewal && options.tokenRenewal.tokenValidTimeInSeconds !== undefined) {
        o.sasTtlSecs = options.tokenRenewal.tokenValidTimeInSeconds;
      }
      if (this._hasNative()) {
        process.emitWarning('edgemodule/compat: setOptions() after the client was created has no effect', 'EdgeModuleWarning');
      }
      return new results.TransportConfigured();
    })();
    return callbackify(promise, callback);
  }

  /**
   * azure-iot-common retry policies, mapped to the core's reconnect options (before the
   * client is created, i.e. before `open()` for `fromConnectionString`): `NoRetry` (its
   * `nextRetryTimeout` is negative) gives up at once; `ExponentialBackOffWithJitter` maps
   * its `normalParameters` (`cMin` → first delay, `cMax` → longest delay, `jd` → jitter,
   * doubling). Anything else is an InvalidArgumentError.
   */
  setRetryPolicy(policy) {
    if (this._hasNative()) {
      throw new errors.InvalidArgumentError('setRetryPolicy() must come before the client is created (before open())');
    }
    if (!policy || typeof policy !== 'object') throw new errors.InvalidArgumentError('the retry policy must be an object');
    const o = this.#options;
    if (typeof policy.nextRetryTimeout === 'function' && policy.nextRetryTimeout(1, false) < 0) {
      o.retryGiveUpAfterMs = 1;
    } else if (policy.normalParameters && typeof policy.normalParameters === 'object') {
      const { cMin, cMax, jd } = policy.normalParameters;
      o.retry = { initialDelayMs: cMin, maxDelayMs: cMax, jitter: jd, multiplier: 2 };
    } else {
      throw new errors.InvalidArgumentError('unsupported retry policy: use azure-iot-common NoRetry or ExponentialBackOffWithJitter, or the retry options of edgemodule');
    }
    this.retryPolicy = policy;
  }

  open(callback) {
    return callbackify(super.open().then(() => new results.Connected()), callback);
  }

  close(callback) {
    return callbackify(super.close().then(() => new results.Disconnected(undefined, 'clientClose')), callback);
  }

  sendOutputEvent(outputName, message, callback) {
    return callbackify(super.sendOutputEvent(outputName, message).then(() => new results.MessageEnqueued()), callback);
  }

  sendOutputEventBatch(outputName, messages, callback) {
    return callbackify(super.sendOutputEventBatch(outputName, messages).then(() => new results.MessageEnqueued()), callback);
  }

  sendEvent(message, callback) {
    return callbackify(super.sendEvent(message).then(() => new results.MessageEnqueued()), callback);
  }

  sendEventBatch(messages, callback) {
    return callbackify(super.sendEventBatch(messages).then(() => new results.MessageEnqueued()), callback);
  }

  /** Marks an input message handled: it is acknowledged (in order) when its handler returns. */
  complete(message, callback) {
    return callbackify((async () => {
      message.ack();
      return new results.MessageCompleted();
    })(), callback);
  }

  /** MQTT cannot reject: the message is acknowledged (when its handler returns) and dropped. */
  reject(message, callback) {
    return callbackify((async () => {
      message.ack();
      return new results.MessageRejected();
    })(), callback);
  }

  /** Gives an input message back (inside its handler): the core delivers it again after its retry delay. */
  abandon(message, callback) {
    return callbackify((async () => {
      message.abandon();
      return new results.MessageAbandoned();
    })(), callback);
  }

  getTwin(callback) {
    return callbackify(super.getTwin(), callback);
  }

  /** `invokeMethod(deviceId[, moduleId], methodParams[, callback])`. */
  invokeMethod(deviceId, moduleIdOrParams, paramsOrCallback, callback) {
    let moduleId = moduleIdOrParams;
    let params = paramsOrCallback;
    if (typeof moduleIdOrParams === 'object' && moduleIdOrParams !== null) {
      moduleId = null;
      params = moduleIdOrParams;
      callback = paramsOrCallback;
    }
    return callbackify(super.invokeMethod(deviceId, moduleId, params), callback);
  }
}

module.exports = {
  ModuleClient,
  Message,
  Mqtt,
  Result,
  results,
};
