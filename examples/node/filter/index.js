'use strict';
// Sample filter module (same behaviour as examples/rust/filter): reads input1, forwards the
// messages whose JSON `temperature` exceeds the desired `TemperatureThreshold` (default 25)
// to output1, reports the threshold it uses, and answers the `reset` direct method.
// `DEBUG=edgemodule* npm start` also prints the client's own log (connects, reconnects).
const { ModuleClient, Message } = require('edgemodule');

const DEFAULT_THRESHOLD = 25;

async function main() {
  const client = await ModuleClient.fromEnvironment();
  let threshold = DEFAULT_THRESHOLD;
  let forwarded = 0;

  client.on('connectionStatus', ({ status, reason }) => console.log(`connection: ${status} (${reason})`));
  client.on('error', (e) => console.error(`error: ${e.message}`));
  // What the core gave up on: a handler that kept failing, a message or call nothing handles.
  client.on('backgroundError', (e) => console.error(`background error: ${e}`));

  async function useThreshold(value) {
    threshold = typeof value === 'number' ? value : DEFAULT_THRESHOLD;
    await client.updateReported({ TemperatureThreshold: threshold });
    console.log(`filter: threshold now ${threshold}`);
  }

  client.onInput('input1', async (message) => {
    let reading;
    try {
      reading = message.json();
    } catch {
      console.log('skipping a message that is not JSON');
      return; // acknowledged: retrying would not make it JSON
    }
    if (typeof reading.temperature === 'number' && reading.temperature > threshold) {
      const out = new Message(message.getBytes());
      for (const [key, value] of message.properties) out.properties.set(key, value);
      out.contentType = message.contentType;
      out.contentEncoding = message.contentEncoding;
      out.properties.set('MessageType', 'Alert');
      await client.sendOutputEvent('output1', out); // the input is acked after this resolves
      forwarded += 1;
    }
  });

  client.onMethod('reset', async (request, response) => {
    const before = forwarded;
    forwarded = 0;
    await response.send(200, { reset: true, forwarded: before, threshold });
  });

  await client.open();
  const twin = await client.getTwin();
  await useThreshold(twin.properties.desired.TemperatureThreshold);
  twin.on('properties.desired', (patch) => {
    if ('TemperatureThreshold' in patch) {
      useThreshold(patch.TemperatureThreshold).catch((e) => console.error(`report failed: ${e.message}`));
    }
  });

  const stop = async () => {
    await client.close();
    console.log('stopped');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`filter: connected, threshold ${threshold}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
