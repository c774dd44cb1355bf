'use strict';
// Node module-client benchmarks: edgemodule ("ours") or azure-iot-device + azure-iot-device-mqtt
// ("official"). One measurement per run, one JSON line on stdout (bench/measure.py runs it):
//
//   node bench.js SDK send --size B --window W --warmup S --round S --rounds N [--batch K]
//   node bench.js SDK latency --rate R --messages N --warmup N --size B
//   node bench.js SDK memory --idle S --messages N --size B --window W
//   node bench.js SDK reconnect        # `ready`, then `ack|fail <epoch ms>` per send
//
// Clients come from the IoT Edge environment in $BENCH_ENV_DIR/<module>.env. `edgemodule` is
// resolved through NODE_PATH (the packed release package), the official packages from
// bench/node/node_modules. Latency payloads: 8-byte run nonce, sequence number and send time
// (ns, u64 LE), padding — as in every other language's benchmark.
// BENCH_SAMPLES=FILE: a latency run also writes every sample (`seq received_ms latency_us`).
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

function statusKib(field) {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field));
  return Number(line.split(/\s+/)[1]);
}
const BARE_RSS_KIB = statusKib('VmRSS:'); // before either SDK is loaded

const [sdkName, mode] = process.argv.slice(2, 4);
function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function moduleEnv(module) {
  const env = {};
  const text = fs.readFileSync(path.join(process.env.BENCH_ENV_DIR, `${module}.env`), 'utf8');
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && !line.startsWith('#')) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

// The calls the benchmarks need, for one of the two packages.
function loadSdk(name, inflight) {
  if (name === 'ours') {
    const { ModuleClient, Message } = require('edgemodule');
    return {
      Message,
      async client(module, onInput) {
        const c = await ModuleClient.fromEnvironment({ env: { ...process.env, ...moduleEnv(module) }, maxInflight: inflight });
        if (onInput) c.onInput('in1', onInput);
        await c.open();
        return c;
      },
    };
  }
  const { ModuleClient, Message } = require(path.join(__dirname, 'node_modules', 'azure-iot-device'));
  const { Mqtt } = require(path.join(__dirname, 'node_modules', 'azure-iot-device-mqtt'));
  return {
    Message,
    async client(module, onInput) {
      Object.assign(process.env, moduleEnv(module)); // the official client reads process.env
      const c = await ModuleClient.fromEnvironment(Mqtt);
      if (onInput) c.on('inputMessage', (input, msg) => { onInput(msg); c.complete(msg, () => {}); });
      await c.open();
      return c;
    },
  };
}

// `window` concurrent senders (or batches of `batch`), counting acknowledged messages.
function startSenders(sdk, client, { size, window, batch, limit }) {
  const body = Buffer.alloc(size, 'x');
  const state = { acked: 0, issued: 0, stop: false };
  async function worker() {
    while (!state.stop && (!limit || state.issued < limit)) {
      if (batch) {
        const n = limit ? Math.min(batch, limit - state.issued) : batch;
        state.issued += n;
        await client.sendOutputEventBatch('upstream', Array.from({ length: n }, () => new sdk.Message(body)));
        state.acked += n;
      } else {
        state.issued += 1;
        await client.sendOutputEvent('upstream', new sdk.Message(body));
        state.acked += 1;
      }
    }
  }
  state.done = Promise.all(Array.from({ length: window }, worker));
  return state;
}

async function send(sdk) {
  const client = await sdk.client('sender');
  const s = startSenders(sdk, client, { size: arg('size', 256), window: arg('window', 100), batch: arg('batch', 0) });
  await sleep(arg('warmup', 1) * 1000);
  const rounds = [];
  const [first, cpu0] = [s.acked, process.cpuUsage()]; // every thread of the process
  for (let i = 0; i < arg('rounds', 5); i += 1) {
    const [n0, t0] = [s.acked, process.hrtime.bigint()];
    await sleep(arg('round', 1) * 1000);
    rounds.push((s.acked - n0) / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  const cpu = process.cpuUsage(cpu0);
  const [cpuS, acked] = [(cpu.user + cpu.system) / 1e6, s.acked - first];
  s.stop = true;
  await s.done;
  await client.close();
  return { rounds, cpu_s: cpuS, acked };
}

async function memory(sdk) {
  const client = await sdk.client('sender');
  await sleep(arg('idle', 2) * 1000);
  const idle = statusKib('VmRSS:');
  const t0 = process.hrtime.bigint();
  const s = startSenders(sdk, client, { size: arg('size', 256), window: arg('window', 100), batch: 0, limit: arg('messages', 100000) });
  await s.done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const [after, peak] = [statusKib('VmRSS:'), statusKib('VmHWM:')];
  await client.close();
  return { bare_rss_kib: BARE_RSS_KIB, idle_rss_kib: idle, after_rss_kib: after, peak_rss_kib: peak, messages: s.acked, seconds };
}

function percentiles(nanos) {
  nanos.sort((a, b) => a - b);
  const rank = (q) => nanos[Math.min(nanos.length, Math.max(1, Math.ceil(q * nanos.length))) - 1] / 1000;
  return { p50_us: rank(0.5), p99_us: rank(0.99), p999_us: rank(0.999), samples: nanos.length };
}

// Every message runs the same code, warm-up or not: a branch taken only once the window
// starts would make V8 deoptimise and recompile the handler inside the measured window
// (seen with --trace-deopt). Samples go into preallocated arrays; nothing is formatted or
// allocated per message beyond what the send itself needs.
async function latency(sdk) {
  const [rate, messages, warmup] = [arg('rate', 500), arg('messages', 2000), arg('warmup', 200)];
  const size = Math.max(arg('size', 256), 24);
  const total = warmup + messages;
  const nonce = crypto.randomBytes(8);
  const [nonceLo, nonceHi] = [nonce.readUInt32LE(0), nonce.readUInt32LE(4)];
  const latencyNs = new Float64Array(total);
  const receivedNs = new Float64Array(total);
  const seen = new Uint8Array(total);
  let arrived = 0;
  let finished;
  const allIn = new Promise((r) => { finished = r; });
  const onInput = (msg) => {
    const now = process.hrtime.bigint();
    const data = msg.getBytes ? msg.getBytes() : msg.data;
    if (data.length < 24 || data.readUInt32LE(0) !== nonceLo || data.readUInt32LE(4) !== nonceHi) return;
    const seq = Number(data.readBigUInt64LE(8));
    if (seq >= total || seen[seq] === 1) return;
    seen[seq] = 1;
    latencyNs[seq] = Number(now - data.readBigUInt64LE(16));
    receivedNs[seq] = Number(now - start);
    arrived += 1;
    if (arrived === total) finished();
  };
  const receiver = await sdk.client('receiver', (msg) => onInput(msg));
  const sender = await sdk.client('sender');
  const start = process.hrtime.bigint();
  for (let seq = 0; seq < total; seq += 1) {
    const wait = Number(start + BigInt(Math.round((seq * 1e9) / rate)) - process.hrtime.bigint()) / 1e6;
    if (wait > 0) await sleep(wait);
    const body = Buffer.alloc(size, 'x');
    nonce.copy(body, 0);
    body.writeBigUInt64LE(BigInt(seq), 8);
    body.writeBigUInt64LE(process.hrtime.bigint(), 16);
    sender.sendOutputEvent('out1', new sdk.Message(body)).catch(() => {});
  }
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('not every message arrived')), arg('timeout', 60) * 1000); });
  await Promise.race([allIn, timeout]).finally(() => clearTimeout(timer));
  await sender.close();
  await receiver.close();
  const samplesFile = process.env.BENCH_SAMPLES; // `seq received_ms latency_us` per measured message
  if (samplesFile) {
    const lines = [];
    for (let seq = warmup; seq < total; seq += 1) {
      lines.push(`${seq} ${(receivedNs[seq] / 1e6).toFixed(3)} ${(latencyNs[seq] / 1e3).toFixed(1)}\n`);
    }
    fs.writeFileSync(samplesFile, lines.join(''));
  }
  return percentiles(Array.from(latencyNs.subarray(warmup)));
}

async function reconnect(sdk) {
  const client = await sdk.client('sender');
  console.log('ready');
  const body = Buffer.alloc(256, 'x');
  for (;;) {
    try {
      let timer;
      const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), 60000); });
      await Promise.race([client.sendOutputEvent('upstream', new sdk.Message(body)), timeout]).finally(() => clearTimeout(timer));
      console.log(`ack ${(performance.timeOrigin + performance.now()).toFixed(1)}`);
    } catch {
      console.log(`fail ${(performance.timeOrigin + performance.now()).toFixed(1)}`); // count it, go on
    }
    await sleep(10);
  }
}

async function main() {
  const inflight = Math.min(arg('window', 100) * Math.max(arg('batch', 1), 1), 65535);
  const sdk = loadSdk(sdkName, inflight);
  const run = { send, latency, memory, reconnect }[mode];
  if (!run) throw new Error(`unknown mode ${mode}`);
  const result = await run(sdk);
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
