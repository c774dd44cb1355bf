'use strict';
// The core's log records (issue 16) for JavaScript loggers. One native sink
// (`native.setLogSink`, on edgemodule-ffi's log thread, delivered here on the main thread
// through a weak, non-blocking ThreadsafeFunction) feeds every registered logger:
//   - a client's `logger` option: any object with debug/info/warn/error (console, pino,
//     winston, …), at `logLevel` (default: the logger's own `level` when it names one of ours,
//     else 'info');
//   - `DEBUG=edgemodule*` (namespaces `edgemodule:<area>`, as the `debug` package reads
//     them) or `NODE_DEBUG=edgemodule`: records at 'debug' to stderr.
// With nothing registered the core's level is off: a log statement costs one atomic load.
const native = require('./native');
const { callSync, InvalidArgumentError } = require('./errors');

/** The core's level names, least verbose first: error, warn, info, debug, trace. */
const LEVELS = Object.freeze(native.logLevels());
const OFF = 'off';

/**
 * @typedef {{ debug: Function, info: Function, warn: Function, error: Function }} Logger
 * @typedef {{ write: (record: import('../native').NativeLogRecord) => void, level: string,
 *   module: string | null, accepts?: (area: string) => boolean }} Sink
 */

/** @type {Set<Sink>} */
const sinks = new Set();
let installed = false;
/** @type {Sink | null} */
let environmentSink = null;

function rank(level) {
  return LEVELS.indexOf(level);
}

/** The most verbose level any sink wants, or null. */
function wanted() {
  let best = -1;
  for (const sink of sinks) best = Math.max(best, rank(sink.level));
  return best < 0 ? null : LEVELS[best];
}

function update() {
  const level = wanted();
  if (!installed) {
    if (level === null) return;
    callSync(() => native.setLogSink(level, dispatch));
    installed = true;
  } else {
    callSync(() => native.setLogLevel(level));
  }
}

/** @param {import('../native').NativeLogRecord} record */
function dispatch(record) {
  const module = record.fields && record.fields.module;
  const level = rank(record.level);
  for (const sink of sinks) {
    if (level > rank(sink.level)) continue;
    if (sink.module !== null && module && module !== sink.module) continue;
    if (sink.accepts && !sink.accepts(record.area)) continue;
    try {
      sink.write(record);
    } catch {
      // A logger that throws must not take the client down (nor stop other loggers).
    }
  }
}

/** `edgemodule:connection reconnecting module=receiver attempt=2 delay_ms=180` */
function text(record) {
  return `edgemodule:${record.area} ${record.message}${record.fieldsText ? ` ${record.fieldsText}` : ''}`;
}

function checkLevel(level, what) {
  if (level !== OFF && rank(level) < 0) {
    throw new InvalidArgumentError(`${what} must be one of ${[OFF, ...LEVELS].join(', ')}, not ${JSON.stringify(level)}`);
  }
  return level;
}

/**
 * A sink for a client's `logger` / `logLevel` options (null when there is no logger).
 * @returns {Sink | null}
 */
function loggerSink(logger, logLevel) {
  if (logger === undefined || logger === null) {
    if (logLevel !== undefined) throw new InvalidArgumentError('option logLevel needs option logger');
    return null;
  }
  for (const method of ['debug', 'info', 'warn', 'error']) {
    if (typeof logger[method] !== 'function') {
      throw new InvalidArgumentError(`option logger must have a ${method}() method (console, pino, … do)`);
    }
  }
  const own = typeof logger.level === 'string' && rank(logger.level) >= 0 ? logger.level : 'info';
  const level = checkLevel(logLevel ?? own, 'option logLevel');
  const plain = logger === console;
  return {
    level,
    module: null,
    write(record) {
      const method = record.level === 'trace' ? 'debug' : record.level;
      // console prints extra arguments: give it the line only. Other loggers also get the
      // structured record (winston merges it, pino and bunyan keep the line).
      if (plain) logger[method](text(record));
      else logger[method](text(record), { area: record.area, target: record.target, ...record.fields });
    },
  };
}

/** `DEBUG` patterns (`edgemodule*`, `edgemodule:connection`, `-edgemodule:twin`, comma or space separated). */
function debugMatcher(value) {
  const include = [];
  const exclude = [];
  for (const part of String(value || '').split(/[\s,]+/).filter(Boolean)) {
    const negated = part.startsWith('-');
    const source = (negated ? part.slice(1) : part).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?');
    (negated ? exclude : include).push(new RegExp(`^${source}$`, 'i'));
  }
  return (namespace) => !exclude.some((r) => r.test(namespace)) && include.some((r) => r.test(namespace));
}

/** NODE_DEBUG names edgemodule (util.debuglog's rules: comma separated, `*` wildcards, any case). */
function nodeDebugMatches(value) {
  return String(value || '').split(',').map((s) => s.trim()).filter(Boolean)
    .some((name) => new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test('edgemodule'));
}

/**
 * Turns on the stderr logger when `env` (process.env at client creation) asks for it with
 * DEBUG or NODE_DEBUG; once on, it stays on for the process.
 */
function enableFromEnvironment(env) {
  if (environmentSink) return;
  const everything = nodeDebugMatches(env.NODE_DEBUG);
  const matches = debugMatcher(env.DEBUG);
  if (!everything && !matches('edgemodule') && !matches('edgemodule:connection') && !matches('edgemodule:client')) return;
  environmentSink = {
    level: 'debug',
    module: null,
    accepts: everything ? undefined : (area) => matches(`edgemodule:${area}`) || matches('edgemodule'),
    write(record) {
      process.stderr.write(`${new Date().toISOString()} ${record.level.toUpperCase()} ${text(record)}\n`);
    },
  };
  sinks.add(environmentSink);
  update();
}

/** Starts feeding `sink`; returns the function that stops it. */
function register(sink) {
  sinks.add(sink);
  update();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    sinks.delete(sink);
    update();
  };
}

module.exports = { LEVELS, loggerSink, register, enableFromEnvironment, debugMatcher };
