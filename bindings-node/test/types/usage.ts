// Compiled (not run) by `npm run typecheck`: the public .d.ts covers what the docs show.
import {
  ModuleClient, Message, EdgeModuleError, MessageTooLargeError, ErrorCode, Twin, Subscription,
  MethodRequest, MethodResponse, ConnectionStatus, BackgroundError, errorTable,
} from 'edgemodule';
import * as compat from 'edgemodule/compat';
import * as native from 'edgemodule/native';

async function modern(): Promise<void> {
  const client: ModuleClient = await ModuleClient.fromEnvironment({
    operationTimeoutMs: 10_000, retry: { maxDelayMs: 5000 }, handlerAttempts: 3, logger: console, logLevel: 'debug',
  });
  client.on('backgroundError', (e: BackgroundError) => console.log(e.kind, e.family, e.name, e.message));
  client.on('connectionStatus', ({ status, reason }: ConnectionStatus) => console.log(status, reason));
  client.on('inputMessage', (inputName: string, msg: Message) => console.log(inputName, msg.toString()));
  client.onInput('input1', async (msg) => {
    const m = new Message(msg.getBytes());
    m.properties.add('k', 'v');
    m.messageId = msg.messageId;
    await client.sendOutputEvent('output1', m);
  });
  client.onMethod('reset', (req: MethodRequest, res: MethodResponse) => res.send(200, { ok: req.payload }));
  client.onDefaultMethod(async (_req, res) => { await res.send(404); });
  await client.open();
  const twin: Twin = await client.getTwin();
  const threshold: number = twin.properties.desired.threshold ?? 25;
  twin.on('properties.desired', (patch) => console.log(patch.$version));
  await twin.properties.reported.update({ threshold });
  await client.sendOutputEventBatch('output1', [Message.json({ a: 1 }), new Message('x')]);
  const result = await client.invokeMethod('edge', 'other', { methodName: 'm', payload: {}, responseTimeoutInSeconds: 10 });
  console.log(result.status, result.payload);
  const sub: Subscription = await client.subscribe('alerts/#', (payload: Buffer, topic: string) => console.log(topic, payload));
  await client.publish('alerts/x', 'hot', { qos: 0 });
  for await (const { topic } of sub) { console.log(topic); break; }
  await sub.unsubscribe();
  for await (const msg of client.inputs('input2')) { msg.ack(); break; }
  try {
    await client.sendEvent(new Message(Buffer.alloc(1)));
  } catch (e) {
    if (e instanceof MessageTooLargeError) console.log(e.code, e.errno === ErrorCode.MESSAGE_TOO_LARGE);
    if (e instanceof EdgeModuleError && e.transient) console.log(e.status, e.description);
  }
  client.unref();
  await client.close();
}

function azureStyle(): void {
  const client = compat.ModuleClient.fromConnectionString('HostName=…', compat.Mqtt);
  client.open((err) => {
    if (err) throw err;
    client.on('inputMessage', (inputName, msg) => {
      client.complete(msg, () => {});
      client.sendOutputEvent('output1', new compat.Message(msg.getBytes()), (e, res) => console.log(e, res));
    });
  });
  compat.ModuleClient.fromEnvironment(compat.Mqtt, (err, c) => console.log(err, c?.moduleId));
}

const kinds: native.ErrorInfo[] = native.errorTable();
console.log(modern, azureStyle, kinds, errorTable().map((r) => r.transient));
