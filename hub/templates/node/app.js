'use strict';
// {{name}}: an IoT Edge module on edgemodule (Node.js). Forwards messages from input1 to
// output1 while the desired property Enabled is true, reports Enabled, and answers the
// direct method `status`. It connects with the environment IoT Edge gives a module
// (`edgemodule-hub env {{name}}` prints it).
const { ModuleClient } = require('edgemodule');
const { ModuleState } = require('./state');

async function main() {
  const client = await ModuleClient.fromEnvironment();
  const state = new ModuleState();
  client.on('error', (e) => console.error(`{{name}}: ${e.message}`));

  // Resolving acknowledges the message; a rejection retries it (handler_attempts, then a background error).
  client.onInput('input1', async (message) => {
    if (state.shouldForward()) {
      await client.sendOutputEvent('output1', message);
      state.countForwarded();
    }
  });
  client.onMethod('status', async (request, response) => {
    await response.send(200, state.status());
  });

  const applyDesired = async (desired) => {
    const reported = state.applyDesired(desired);
    if (reported) {
      await client.updateReported(reported);
      console.log(`{{name}}: Enabled is now ${state.enabled}`);
    }
  };

  await client.open();
  const twin = await client.getTwin();
  await applyDesired(twin.properties.desired);
  twin.on('properties.desired', (patch) => {
    applyDesired(patch).catch((e) => console.error(`{{name}}: report failed: ${e.message}`));
  });

  const stop = async () => {
    console.log('{{name}}: stopping');
    await client.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log('{{name}}: connected');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
