'use strict';
// `require('edgemodule/native')`: the raw napi binding (see native.d.ts) plus the error
// converter. For tests and advanced use; the stable API is `require('edgemodule')`.
const native = require('./native');
const { fromNative } = require('./errors');

module.exports = { ...native, toEdgeModuleError: fromNative };
