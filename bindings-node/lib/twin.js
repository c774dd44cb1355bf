'use strict';
// Twin: the module twin as azure-iot-device users know it — `properties.desired`,
// `properties.reported.update(patch)`, and 'properties.desired[.path]' events. The cached
// properties follow the core's rules (`Twin::apply_desired_patch`: a stale patch is ignored,
// a catch-up replaces the section, others merge; `Twin::apply_reported_patch`).
const { EventEmitter } = require('node:events');
const native = require('./native');
const { callSync } = require('./errors');

const DESIRED = 'properties.desired';

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every `[dotted.path, value]` inside `value`, parents first. */
function paths(value, prefix = []) {
  const out = [];
  if (!isObject(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    const p = [...prefix, key];
    out.push([p.join('.'), child]);
    out.push(...paths(child, p));
  }
  return out;
}

function at(object, dotted) {
  let current = object;
  for (const part of dotted.split('.')) {
    if (!isObject(current) || !(part in current)) return undefined;
    current = current[part];
  }
  return current;
}

class Twin extends EventEmitter {
  /** @internal */
  /** @param twinJson the core's twin JSON: `{desired: {…, $version}, reported: {…, $version}}` */
  constructor(twinJson, reportedUpdate) {
    super();
    const desired = { ...twinJson.desired };
    const reported = { ...twinJson.reported };
    Object.defineProperty(reported, 'update', {
      enumerable: false,
      value: (patch, done) => {
        const p = reportedUpdate(patch).then(() => {
          this._refresh(callSync(() => native.applyReportedPatch(this.#json(), patch)));
        });
        if (typeof done === 'function') {
          p.then(() => done(), (e) => done(e));
          return undefined;
        }
        return p;
      },
    });
    /** `desired` (with `$version`), `reported` (with `$version` and `update(patch)`). */
    this.properties = { desired, reported };
    this.on('newListener', (event) => {
      if (typeof event !== 'string' || !event.startsWith(DESIRED)) return;
      // As azure-iot-device: a new listener first hears the current value.
      const value = event === DESIRED ? this.properties.desired : at(this.properties.desired, event.slice(DESIRED.length + 1));
      if (value !== undefined) process.nextTick(() => this.#emitSafely(event, value));
    });
  }

  /** The cached properties in the core's twin JSON shape. */
  #json() {
    return { desired: this.properties.desired, reported: this.properties.reported };
  }

  /** @internal replaces the cached properties (same objects) with the core's twin JSON */
  _refresh(twinJson) {
    const { desired, reported } = this.properties;
    for (const key of Object.keys(desired)) delete desired[key];
    for (const key of Object.keys(reported)) delete reported[key];
    Object.assign(desired, twinJson.desired);
    Object.assign(reported, twinJson.reported);
  }

  /**
   * @internal a desired patch from the core (`NativeDesiredPatch`): applied with the core's
   * rules, then 'properties.desired' and the per-path events fire — unless it was stale.
   */
  _onDesiredPatch(nativePatch) {
    const result = callSync(() => native.applyDesiredPatch(this.#json(), nativePatch));
    if (!result.applied) return;
    this._refresh(result.twin);
    const { patch } = nativePatch;
    this.#emitSafely(DESIRED, patch);
    for (const [path, value] of paths(patch)) {
      if (path !== '$version' && this.listenerCount(`${DESIRED}.${path}`) > 0) {
        this.#emitSafely(`${DESIRED}.${path}`, value);
      }
    }
  }

  #emitSafely(event, value) {
    for (const listener of this.listeners(event)) {
      try {
        const r = listener.call(this, value);
        if (r && typeof r.then === 'function') r.then(undefined, (e) => this.#failed(e));
      } catch (e) {
        this.#failed(e);
      }
    }
  }

  #failed(error) {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(`a twin desired-property listener failed: ${error && error.stack ? error.stack : error}`, 'EdgeModuleWarning');
  }
}

module.exports = { Twin };
