'use strict';
// The Message's system-property fields, compiled once from the core's table into three
// straight-line functions (clear, read, write). A loop of `message[field]` over the table
// is a megamorphic keyed access per field: about 0.6 µs for each message built and as much
// again for each one sent; named accesses in generated code cost a few nanoseconds.
const native = require('./native');

// A field's name is the camelCase of the core's name, except where azure-iot-device's Message
// spells it differently (`creationTimeUtc`, `expiryTimeUtc`) or it would hide a method (the
// `ack` property, the delivery acknowledgement mode, is `ackMode`: `ack()` settles a message).
const RENAMED = { creation_time: 'creationTimeUtc', expiry_time: 'expiryTimeUtc', ack: 'ackMode' };
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `[field, core name]` for every system property, in the core's order. */
const SYSTEM = Object.freeze(native.systemProperties().map((p) => {
  const pair = [RENAMED[p.name] || p.jsName, p.name];
  // Both become identifiers in the generated code below.
  if (!pair.every((s) => IDENTIFIER.test(s))) throw new Error(`edgemodule: unexpected system property name ${p.name}`);
  return Object.freeze(pair);
}));
const SYSTEM_FIELDS = Object.freeze(SYSTEM.map(([field]) => field));

/** The text sent for a field's value; undefined (not sent) for undefined, null and ''. */
function asText(value) {
  if (value === undefined || value === null || value === '') return undefined;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** @type {(message: object) => void} sets every system field to undefined (a new Message's shape). */
const clearSystem = /** @type {any} */ (new Function('m', SYSTEM.map(([f]) => `m.${f} = undefined;`).join('\n')));

/** @type {(message: object) => (Record<string, string> | undefined)} the fields set, by core name; undefined when none is. */
const readSystem = /** @type {any} */ (new Function('asText', `return function readSystem(m) {
  let s, v;
${SYSTEM.map(([f, n]) => `  if (m.${f} !== undefined && (v = asText(m.${f})) !== undefined) (s || (s = {})).${n} = v;`).join('\n')}
  return s;
};`)(asText));

/** @type {(message: object, system: Record<string, string | null | undefined>) => void} copies a received message's system properties onto its fields. */
const writeSystem = /** @type {any} */ (new Function('m', 's', `let v;
${SYSTEM.map(([f, n]) => `if ((v = s.${n}) !== undefined && v !== null) m.${f} = v;`).join('\n')}`));

module.exports = { SYSTEM, SYSTEM_FIELDS, clearSystem, readSystem, writeSystem };
