'use strict';
// Twin: the module twin as azure-iot-device users know it — `properties.desired`,
// `properties.reported.update(patch)`, and 'properties.desired[.path]' events.
const { EventEmitter } = require('node:events');

const DESIRED = 'properties.desired';

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** JSON merge of `patch` into `target` (null removes a member). */
function mergePatch(target, patch) {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isObject(value)) {
      if (!isObject(target[key])) target[key] = {};
      mergePatch(target[key], value);
    } else {
      target[key] = value;
    }
  }
  return target;
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
  constructor(nativeTwin, reportedUpdate) {
    super();
    const desired = { ...(nativeTwin.desired || {}), $version: nativeTwin.desiredVersion };
    const reported = { ...(nativeTwin.reported || {}), $version: nativeTwin.reportedVersion };
    Object.defineProperty(reported, 'update', {
      enumerable: false,
      value: (patch, done) => {
        const p = reportedUpdate(patch).then(() => {
          mergePatch(reported, patch);
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

  /** @internal replaces the cached properties with a fresh read */
  _refresh(nativeTwin) {
    const { desired, reported } = this.properties;
    for (const key of Object.keys(desired)) delete desired[key];
    for (const key of Object.keys(reported)) delete reported[key];
    Object.assign(desired, nativeTwin.desired || {}, { $version: nativeTwin.desiredVersion });
    Object.assign(reported, nativeTwin.reported || {}, { $version: nativeTwin.reportedVersion });
  }

  /** @internal a desired patch from the hub: merge it, then fire 'properties.desired' and the per-path events */
  _onDesiredPatch(patch) {
    const known = this.properties.desired.$version;
    if (typeof patch.$version === 'number' && typeof known === 'number' && patch.$version <= known) {
      return; // already part of what getTwin() returned
    }
    mergePatch(this.properties.desired, patch);
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

module.exports = { Twin, mergePatch };
