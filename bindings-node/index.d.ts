// Public types of `edgemodule` (hand-written over the generated native.d.ts; checked by
// `npm run typecheck`, which compiles test/types/usage.ts against this file).
/// <reference types="node" />
import { EventEmitter } from 'node:events';

/** Stable error codes shared by every edgemodule binding (the core's table, without OK). */
export declare const ErrorCode: Readonly<{
  INVALID_ARGUMENT: 1; CONFIG: 2; UNAUTHORIZED: 3; CONNECTION: 4; TIMEOUT: 5; CLOSED: 6;
  MESSAGE_TOO_LARGE: 7; PROTOCOL: 8; SERVICE: 9; CANCELLED: 10; NOT_FOUND: 11; THROTTLED: 12; INTERNAL: 13;
}>;
export type ErrorCodeName = keyof typeof ErrorCode;

/** One row of the core's error table. */
export interface ErrorInfo {
  code: number;
  name: ErrorCodeName;
  description: string;
  /** True when retrying the same operation later may succeed. */
  transient: boolean;
}
/** The core's error table (without OK), in code order. */
export declare function errorTable(): ErrorInfo[];

/** Every error edgemodule raises. `code` is the stable kind name. */
export declare class EdgeModuleError extends Error {
  constructor(message: string, options?: { code?: ErrorCodeName; status?: number; cause?: unknown });
  readonly code: ErrorCodeName;
  /** The stable number of `code`. */
  readonly errno: number;
  /** The core's one description of `code`. */
  readonly description: string;
  /** True when retrying the same operation later may succeed (CONNECTION, TIMEOUT, THROTTLED). */
  readonly transient: boolean;
  /** Same as `transient`. */
  readonly retryable: boolean;
  /** The hub's status, when the hub answered with one. */
  readonly status?: number;
}
export declare class InvalidArgumentError extends EdgeModuleError {}
export declare class ConfigError extends EdgeModuleError {}
export declare class UnauthorizedError extends EdgeModuleError {}
export declare class ConnectionError extends EdgeModuleError {}
export declare class TimeoutError extends EdgeModuleError {}
export declare class ClosedError extends EdgeModuleError {}
export declare class MessageTooLargeError extends EdgeModuleError {}
export declare class ProtocolError extends EdgeModuleError {}
export declare class ServiceError extends EdgeModuleError {}
export declare class CancelledError extends EdgeModuleError {}
export declare class NotFoundError extends EdgeModuleError {}
export declare class ThrottledError extends EdgeModuleError {}
export declare class InternalError extends EdgeModuleError {}

/** What the core reports on 'backgroundError': a handler that failed for good, an item nothing handles, a slow handler. */
export declare class BackgroundError {
  readonly kind: 'HANDLER_FAILED' | 'NO_HANDLER' | 'SLOW_HANDLER';
  readonly family: 'input' | 'method' | 'desired' | 'topic';
  /** The input, method or topic ('' for desired properties). */
  readonly name: string;
  readonly message: string;
  toString(): string;
}

/** What a message body can be built from. */
export type MessageBody = string | Buffer | Uint8Array | ArrayBuffer | number[];

/** Custom properties: a Map<string, string> with azure-iot-common's Properties methods. */
export declare class Properties extends Map<string, string> {
  constructor(entries?: Iterable<readonly [string, string]> | Record<string, string>);
  add(key: string, value: string): boolean;
  getValue(key: string): string | undefined;
  getItem(index: number): { key: string; value: string } | undefined;
  count(): number;
  remove(key: string): boolean;
  toJSON(): Record<string, string>;
}

/** A message sent to an output / as telemetry, or received on an input. */
export declare class Message {
  constructor(data: MessageBody);
  /** A JSON message (contentType application/json, contentEncoding utf-8). */
  static json(value: unknown): Message;
  static isBufferConvertible(obj: unknown): boolean;
  data: MessageBody;
  properties: Properties;
  messageId?: string;
  correlationId?: string;
  userId?: string;
  contentType?: string;
  contentEncoding?: string;
  /** ISO 8601 (a Date is converted when sending). */
  creationTimeUtc?: string | Date;
  /** ISO 8601 (a Date is converted when sending). */
  expiryTimeUtc?: string | Date;
  messageSchema?: string;
  componentName?: string;
  interfaceId?: string;
  /** Received only. */
  to?: string;
  /** The `ack` system property (received only). */
  ackMode?: string;
  /** `iothub-operation` (received only). */
  operation?: string;
  /** The input it arrived on (received only). */
  inputName?: string;
  outputName?: string;
  /** The sending device (received only). */
  connectionDeviceId?: string;
  /** The sending module (received only). */
  connectionModuleId?: string;
  getData(): MessageBody;
  getBytes(): Buffer;
  readonly body: Buffer;
  toString(): string;
  json<T = any>(): T;
  /** True once a received message was acknowledged or abandoned (always true for outgoing ones). */
  readonly settled: boolean;
  /** Acknowledges a received message now. */
  ack(): boolean;
  /** Gives a received message back: it is delivered again. */
  abandon(): boolean;
}

export interface RetryOptions {
  /** First reconnect delay (core: retry_initial_delay_ms, default 100). */
  initialDelayMs?: number;
  /** Longest reconnect delay (retry_max_delay_ms, default 10 000). */
  maxDelayMs?: number;
  /** Growth per attempt (retry_multiplier, default 2). */
  multiplier?: number;
  /** Random fraction taken off each delay (retry_jitter, default 0.2). */
  jitter?: number;
  /** Stop retrying after being disconnected this long (retry_give_up_after_ms, default: never). */
  giveUpAfterMs?: number;
}

/** A log level of the core, least verbose first; 'off' turns logging off. */
export type LogLevel = 'off' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** What the `logger` option takes: console, pino, winston, … */
export interface Logger {
  debug(...args: any[]): unknown;
  info(...args: any[]): unknown;
  warn(...args: any[]): unknown;
  error(...args: any[]): unknown;
}

/**
 * Client options: the camelCase of the core's option names (docs/core-policies.md §3); the
 * core checks every value (out of range → InvalidArgumentError naming the option).
 */
export interface ClientOptions {
  /** Variables to read instead of process.env (read when the client is created). */
  env?: Record<string, string | undefined>;
  /** Receives the core's log records (reconnects, token renewals, handler failures). */
  logger?: Logger;
  /** The most verbose level the logger gets (default: the logger's own `level`, else 'info'). */
  logLevel?: LogLevel;
  /** PEM trust bundle of the gateway (trust_bundle_pem; alias: ca). */
  trustBundlePem?: string | Buffer;
  ca?: string | Buffer;
  /** File with the PEM trust bundle (trust_bundle_file; alias: caFile). */
  trustBundleFile?: string;
  caFile?: string;
  mqttPort?: number;
  httpsPort?: number;
  /** Timeout of every operation (default 30 000 ms). */
  operationTimeoutMs?: number;
  keepAliveSecs?: number;
  /** SAS token lifetime (default 3600 s). */
  sasTtlSecs?: number;
  /** Renew the token at this share of its lifetime (default 80 %). */
  sasRenewalPercent?: number;
  productInfo?: string;
  modelId?: string;
  maxInflight?: number;
  /** Calls of a failing input, desired or topic handler before the item is dropped (default 4). */
  handlerAttempts?: number;
  /** Wait before calling a failing handler again, doubling (default 500 ms). */
  redeliveryDelayMs?: number;
  retry?: RetryOptions;
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  retryMultiplier?: number;
  retryJitter?: number;
  retryGiveUpAfterMs?: number;
}

export type ConnectionState = 'connected' | 'disconnectedRetrying' | 'disconnected' | 'closed';
export type ConnectionReason = 'ok' | 'expiredSasToken' | 'badCredential' | 'noNetwork' | 'retryExpired' | 'communicationError' | 'clientClose';
export interface ConnectionStatus {
  status: ConnectionState;
  reason: ConnectionReason;
}

export declare class MethodRequest {
  readonly methodName: string;
  readonly requestId: string;
  readonly payload: any;
  readonly body: Buffer;
}

export declare class MethodResponse {
  readonly requestId: string;
  isResponseComplete: boolean;
  status: number | null;
  payload: any;
  send(status: number, payload?: unknown): Promise<void>;
  send(status: number, payload: unknown, done: (err?: Error) => void): void;
  send(status: number, done: (err?: Error) => void): void;
}

export interface MethodParams {
  methodName: string;
  payload?: unknown;
  responseTimeoutInSeconds?: number;
  connectTimeoutInSeconds?: number;
}

export interface MethodResult {
  status: number;
  payload: any;
}

export type DesiredProperties = Record<string, any> & { $version: number };
export type ReportedProperties = Record<string, any> & {
  $version: number;
  update(patch: Record<string, unknown>): Promise<void>;
  update(patch: Record<string, unknown>, done: (err?: Error) => void): void;
};

export declare class Twin extends EventEmitter {
  properties: { desired: DesiredProperties; reported: ReportedProperties };
  on(event: 'properties.desired', listener: (patch: Record<string, any>) => void): this;
  on(event: `properties.desired.${string}`, listener: (value: any) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export declare class Subscription extends EventEmitter implements AsyncIterable<{ topic: string; payload: Buffer }> {
  readonly filter: string;
  readonly closed: boolean;
  /** Stops delivery and unsubscribes without waiting. */
  close(): void;
  /** Stops delivery and unsubscribes; resolves once the hub confirmed. */
  unsubscribe(): Promise<void>;
  on(event: 'message', listener: (payload: Buffer, topic: string) => void | Promise<void>): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  [Symbol.asyncIterator](): AsyncIterator<{ topic: string; payload: Buffer }>;
}

export type InputHandler = (message: Message) => void | Promise<void>;
export type MethodHandler = (request: MethodRequest, response: MethodResponse) => void | Promise<void>;

export declare class ModuleClient extends EventEmitter {
  /** @internal use the factories */
  protected constructor(factory: () => unknown, sink?: unknown);
  static fromEnvironment(options?: ClientOptions): Promise<ModuleClient>;
  static fromConnectionString(connectionString: string, options?: ClientOptions): Promise<ModuleClient>;
  readonly deviceId: string;
  readonly moduleId: string;
  readonly connectionStatus: ConnectionStatus;
  readonly closed: boolean;
  ref(): this;
  unref(): this;
  open(): Promise<unknown>;
  close(): Promise<unknown>;
  sendOutputEvent(outputName: string, message: Message): Promise<unknown>;
  sendOutputEventBatch(outputName: string, messages: Message[]): Promise<unknown>;
  sendEvent(message: Message): Promise<unknown>;
  sendEventBatch(messages: Message[]): Promise<unknown>;
  onInput(inputName: string, handler: InputHandler): this;
  offInput(inputName: string): this;
  inputs(inputName: string): AsyncIterableIterator<Message>;
  onMethod(methodName: string, handler: MethodHandler): this;
  onMethod(defaultHandler: MethodHandler): this;
  onDefaultMethod(handler: MethodHandler): this;
  offMethod(methodName?: string): this;
  getTwin(): Promise<Twin>;
  updateReported(patch: Record<string, unknown>): Promise<void>;
  invokeMethod(deviceId: string, moduleId: string | null | undefined, params: MethodParams): Promise<MethodResult>;
  invokeMethod(deviceId: string, params: MethodParams): Promise<MethodResult>;
  publish(topic: string, payload: string | Buffer | Uint8Array, options?: { qos?: 0 | 1 }): Promise<void>;
  subscribe(filter: string, listener?: (payload: Buffer, topic: string) => void | Promise<void>): Promise<Subscription>;

  on(event: 'inputMessage', listener: (inputName: string, message: Message) => void | Promise<void>): this;
  on(event: 'connectionStatus', listener: (status: ConnectionStatus) => void): this;
  on(event: 'connect', listener: () => void): this;
  on(event: 'disconnect', listener: (status: ConnectionStatus) => void): this;
  on(event: 'desired', listener: (patch: Record<string, any>) => void | Promise<void>): this;
  on(event: 'backgroundError', listener: (error: BackgroundError) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'inputMessage', listener: (inputName: string, message: Message) => void | Promise<void>): this;
  once(event: 'connectionStatus', listener: (status: ConnectionStatus) => void): this;
  once(event: 'connect', listener: () => void): this;
  once(event: 'disconnect', listener: (status: ConnectionStatus) => void): this;
  once(event: 'desired', listener: (patch: Record<string, any>) => void | Promise<void>): this;
  once(event: 'backgroundError', listener: (error: BackgroundError) => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}
