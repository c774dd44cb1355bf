'use strict';
// Round trip through the hub with the INSTALLED edgemodule package (tests/dist): module
// `roundtrip` sends to its output `out`, which the test deployment routes back to its input
// `in`. Prints "roundtrip: OK <arch>" and exits 0 on success.
const { ModuleClient, Message } = require('edgemodule');

async function main() {
  const client = await ModuleClient.fromEnvironment();
  const body = `ping from node on ${process.arch}`;
  let timer;
  const received = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('no message on input "in" within 30 s')), 30000);
    client.onInput('in', async (message) => resolve(message.getBytes().toString()));
  });
  await client.open();
  await client.sendOutputEvent('out', new Message(body));
  const got = await received;
  clearTimeout(timer);
  await client.close();
  if (got !== body) throw new Error(`roundtrip: FAILED, got ${JSON.stringify(got)}`);
  console.log(`roundtrip: OK ${process.arch} (edgemodule from ${require.resolve('edgemodule')})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
