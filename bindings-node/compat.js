'use strict';
// `require('edgemodule/compat')`: azure-iot-device-shaped exports (ModuleClient, Message)
// plus azure-iot-device-mqtt's Mqtt.
const compat = require('./lib/compat');

exports.ModuleClient = compat.ModuleClient;
exports.Message = compat.Message;
exports.Mqtt = compat.Mqtt;
exports.Result = compat.Result;
exports.results = compat.results;
