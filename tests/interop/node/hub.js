'use strict';
// The interop suite's hub: the launcher every Node suite shares (tests/support/hub.js) and
// the shared test deployment, on the standard ports 8883 (MQTT) and 443 (HTTPS) because the
// official SDK cannot be pointed at others.
const { startHub } = require('../../support/hub.js');

module.exports = {
  startHub: () => startHub({ prefix: 'edgemodule-interop-', mqttPort: 8883, httpsPort: 443 }),
};
