'use strict';
// A TCP proxy between a client and the hub's MQTT port (S19): it can stop forwarding what
// the hub sends (the client never sees those PUBACKs) and cut every connection.
const net = require('node:net');

async function startProxy(target) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const pairs = new Set();
  const state = { holdDownstream: false };
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    const pair = [client, upstream];
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => { if (!state.holdDownstream) client.write(d); });
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
    holdDownstream(on) { state.holdDownstream = on; },
    cut() {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    async close() {
      this.cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { startProxy };
