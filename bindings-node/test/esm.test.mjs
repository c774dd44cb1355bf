// The package works from ES modules too (named exports of a CommonJS package).
import test from 'node:test';
import assert from 'node:assert/strict';
import { ModuleClient, Message, EdgeModuleError, ErrorCode } from 'edgemodule';
import { ModuleClient as CompatClient, Mqtt } from 'edgemodule/compat';

test('ESM named imports', () => {
  assert.equal(typeof ModuleClient.fromEnvironment, 'function');
  assert.equal(new Message('x').toString(), 'x');
  assert.equal(ErrorCode.TIMEOUT, 5);
  assert.ok(EdgeModuleError.prototype instanceof Error);
  assert.ok(CompatClient.prototype instanceof ModuleClient);
  assert.equal(typeof Mqtt, 'function');
});
