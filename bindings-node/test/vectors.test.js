'use strict';
// The package's tables are the core's: errors (classes, descriptions, transience), states
// and reasons, options (names, ranges, messages) and system properties, compared with the
// shared vectors in tests/vectors/ (docs/core-policies.md).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const edgemodule = require('edgemodule');
const native = require('edgemodule/native');
const { ROOT } = require('./helpers/hub');

function vectors(name) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'vectors', `${name}.json`), 'utf8')).cases;
}

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return native.toEdgeModuleError(e);
  }
  assert.fail('expected an error');
}

const camel = (name) => name.toLowerCase().replace(/_([a-z])/g, (_, c) => c.toUpperCase());

test('errors.json: every code has a class with its description and transience', () => {
  for (const c of vectors('errors')) {
    if (c.op === 'all_codes') {
      assert.deepEqual(['OK', ...Object.keys(edgemodule.ErrorCode)], c.expected);
    } else if (c.op === 'code' && c.expected && c.expected.name !== 'OK') {
      const { name, code, description, transient } = c.expected;
      assert.equal(edgemodule.ErrorCode[name], code);
      const Cls = edgemodule[`${camel(`x_${name}`).slice(1)}Error`];
      assert.ok(Cls && Cls.prototype instanceof edgemodule.EdgeModuleError, `a class for ${name}`);
      const e = thrown(() => native.makeError(name, `a ${name} error`));
      assert.ok(e instanceof Cls, `${name} → ${e.name}`);
      assert.equal(e.code, name);
      assert.equal(e.errno, code);
      assert.equal(e.message, `a ${name} error`);
      assert.equal(e.description, description);
      assert.equal(e.transient, transient);
      assert.equal(e.retryable, transient);
      assert.deepEqual(new Cls('x').transient, transient);
    } else if (c.op === 'from_status') {
      const e = thrown(() => native.makeStatusError(c.input, 'hub said no'));
      assert.equal(e.code, c.expected.kind, c.name);
      assert.equal(e.status, c.expected.status, c.name);
      assert.equal(e.transient, c.expected.transient, c.name);
    }
  }
  assert.deepEqual(edgemodule.errorTable().map((r) => r.name), Object.keys(edgemodule.ErrorCode));
});

test('status.json: state and reason names are the core\'s, camelCased', () => {
  for (const c of vectors('status')) {
    if (c.op === 'all_states') assert.deepEqual(native.connectionStates().map((s) => s.name), c.expected);
    if (c.op === 'all_reasons') assert.deepEqual(native.statusReasons().map((s) => s.name), c.expected);
    if ((c.op === 'state' || c.op === 'reason') && c.expected) {
      const rows = c.op === 'state' ? native.connectionStates() : native.statusReasons();
      const row = rows[c.input];
      assert.equal(row.name, c.expected.name);
      assert.equal(row.description, c.expected.description);
      assert.equal(row.jsName, camel(c.expected.name));
    }
  }
});

test('options.json: JavaScript option names map to the core\'s, which validates them', () => {
  const table = native.optionTable();
  for (const c of vectors('options')) {
    if (c.op === 'names') assert.deepEqual(table.map((o) => o.name), c.expected);
    if (c.op === 'defaults') assert.deepEqual(native.resolveOptions({}), c.expected);
    if (c.op === 'set') {
      const js = { [camel(c.input.name)]: c.input.value };
      // A whole options object is validated together (max delay ≥ first delay).
      if (c.input.name === 'retry_initial_delay_ms') js.retryMaxDelayMs = 3600000;
      if (c.input.name === 'retry_max_delay_ms') js.retryInitialDelayMs = 1;
      if (c.error) {
        const e = thrown(() => native.resolveOptions(js));
        assert.equal(e.code, c.error, c.name);
        if (c.error_contains) assert.ok(e.message.includes(c.error_contains), `${c.name}: ${e.message}`);
      } else {
        assert.deepEqual(native.resolveOptions(js)[c.input.name], c.expected, c.name);
      }
    }
    // JSON text that is not an object cannot be a JavaScript options object.
    if (c.op === 'apply_json' && c.input !== null && typeof c.input === 'object' && !Array.isArray(c.input)) {
      const js = Object.fromEntries(Object.entries(c.input).map(([k, v]) => [camel(k), v]));
      if (c.error) {
        const e = thrown(() => native.resolveOptions(js));
        assert.equal(e.code, c.error, c.name);
        if (c.error_contains) assert.ok(e.message.includes(c.error_contains), `${c.name}: ${e.message}`);
      } else {
        assert.deepEqual(native.resolveOptions(js), c.expected, c.name);
      }
    }
  }
  // Node's own spellings: the nested retry group, azure-iot-device's ca / caFile.
  const resolved = native.resolveOptions({ retry: { initialDelayMs: 5, giveUpAfterMs: 9 }, caFile: '/ca.pem', ca: 'PEM' });
  assert.equal(resolved.retry_initial_delay_ms, 5);
  assert.equal(resolved.retry_give_up_after_ms, 9);
  assert.equal(resolved.trust_bundle_file, '/ca.pem');
  assert.equal(resolved.trust_bundle_pem, 'PEM');
  const unknown = thrown(() => native.resolveOptions({ noSuchOption: 1 }));
  assert.equal(unknown.code, 'INVALID_ARGUMENT');
  assert.match(unknown.message, /no_such_option/);
  const named = thrown(() => native.resolveOptions({ retry: { maxDelayMs: 0 } }));
  assert.match(named.message, /retryMaxDelayMs.*retry_max_delay_ms/);
});

test('system_properties.json: Message fields are the core\'s system properties', () => {
  const rows = native.systemProperties();
  for (const c of vectors('system_properties')) {
    if (c.op === 'all') assert.deepEqual(rows.map((r) => r.name), c.expected);
    if (c.op === 'property' && c.expected) {
      const row = rows[c.input];
      assert.equal(row.name, c.expected.name);
      assert.equal(row.wireKey ?? null, c.expected.wire_key);
      assert.equal(row.receivedOnly, c.expected.received_only);
    }
  }
  const m = new edgemodule.Message('x');
  const spelled = { creation_time: 'creationTimeUtc', expiry_time: 'expiryTimeUtc', ack: 'ackMode' };
  for (const row of rows) {
    const field = spelled[row.name] || row.jsName;
    assert.ok(Object.hasOwn(m, field), `Message has a ${field} field for ${row.name}`);
    /** @type {any} */ (m)[field] = `v-${row.name}`;
  }
  const out = edgemodule.Message._toNative(m);
  assert.deepEqual(Object.keys(out.system).sort(), rows.map((r) => r.name).sort());
});

test('a Message that sets nothing crosses as its body; empty and null fields are not sent', () => {
  const plain = edgemodule.Message._toNative(new edgemodule.Message('x'));
  assert.ok(Buffer.isBuffer(plain));
  assert.equal(plain.toString(), 'x');
  const m = /** @type {any} */ (new edgemodule.Message('x'));
  m.messageId = '';
  m.userId = null;
  m.correlationId = 7;
  m.properties.set('k', 1);
  const out = edgemodule.Message._toNative(m);
  assert.deepEqual(out.system, { correlation_id: '7' });
  assert.deepEqual(out.properties, { k: '1' });
});

test('twin.json: the cached twin follows the core\'s desired-patch rules', () => {
  for (const c of vectors('twin').filter((v) => v.op === 'apply_desired')) {
    const t = c.input.twin;
    let twin = {
      desired: { ...t.desired, $version: t.desired_version },
      reported: { ...t.reported, $version: t.reported_version },
    };
    const applied = [];
    for (const p of c.input.patches) {
      const r = native.applyDesiredPatch(twin, p);
      applied.push(r.applied);
      twin = r.twin;
    }
    if (c.expected.applied) assert.deepEqual(applied, c.expected.applied, c.name);
    const { $version, ...desired } = twin.desired;
    if (c.expected.desired) assert.deepEqual(desired, c.expected.desired, c.name);
    if (c.expected.desired_version !== undefined) assert.equal($version, c.expected.desired_version, c.name);
  }
});
