'use strict';
// edgemodule: an Azure IoT Edge module client for Node.js, on a Rust core.
const { ModuleClient, BackgroundError } = require('./lib/client');
const { Message, Properties } = require('./lib/message');
const { Twin } = require('./lib/twin');
const { MethodRequest, MethodResponse } = require('./lib/methods');
const { Subscription } = require('./lib/subscription');
const errors = require('./lib/errors');

exports.ModuleClient = ModuleClient;
exports.BackgroundError = BackgroundError;
exports.Message = Message;
exports.Properties = Properties;
exports.Twin = Twin;
exports.MethodRequest = MethodRequest;
exports.MethodResponse = MethodResponse;
exports.Subscription = Subscription;
exports.ErrorCode = errors.ErrorCode;
exports.errorTable = errors.errorTable;
exports.EdgeModuleError = errors.EdgeModuleError;
// One class per row of the core's error table: InvalidArgumentError, ConfigError, …
Object.assign(exports, errors.errorClasses);
