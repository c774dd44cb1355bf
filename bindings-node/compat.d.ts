// Types of `edgemodule/compat`: azure-iot-device's ModuleClient / Message and
// azure-iot-device-mqtt's Mqtt, with callbacks or Promises.
import { ModuleClient as Base, Message, MethodParams, MethodResult, Twin } from './index';

export { Message };

type Callback<T> = (err?: Error | null, result?: T) => void;

export declare class Result { transportObj?: unknown }
export declare const results: {
  Connected: typeof Result;
  Disconnected: { new (transportObj?: unknown, reason?: string): Result & { reason?: string } };
  MessageEnqueued: typeof Result;
  MessageCompleted: typeof Result;
  MessageRejected: typeof Result;
  MessageAbandoned: typeof Result;
  TransportConfigured: typeof Result;
};

/** azure-iot-device-mqtt's transport marker. */
export declare class Mqtt {}

export interface DeviceClientOptions {
  ca?: string;
  keepalive?: number;
  productInfo?: string;
  modelId?: string;
  tokenRenewal?: { tokenValidTimeInSeconds?: number; tokenRenewalMarginInSeconds?: number };
}

// The instance side of edgemodule's ModuleClient (its static factories differ here).
declare const ModuleClientBase: abstract new (factory: () => unknown, sink?: unknown) => Base;

export declare class ModuleClient extends ModuleClientBase {
  static fromEnvironment(transportCtor: typeof Mqtt): Promise<ModuleClient>;
  static fromEnvironment(transportCtor: typeof Mqtt, callback: Callback<ModuleClient>): void;
  static fromConnectionString(connectionString: string, transportCtor: typeof Mqtt): ModuleClient;
  setOptions(options: DeviceClientOptions, done?: Callback<Result>): Promise<Result> | void;
  /** azure-iot-common NoRetry / ExponentialBackOffWithJitter, mapped to the core's retry options (before open()). */
  setRetryPolicy(policy: { nextRetryTimeout?(retryCount: number, isThrottled: boolean): number; normalParameters?: { cMin?: number; cMax?: number; jd?: number } }): void;
  open(done?: Callback<Result>): Promise<Result>;
  close(done?: Callback<Result>): Promise<Result>;
  sendOutputEvent(outputName: string, message: Message, done?: Callback<Result>): Promise<Result>;
  sendOutputEventBatch(outputName: string, messages: Message[], done?: Callback<Result>): Promise<Result>;
  sendEvent(message: Message, done?: Callback<Result>): Promise<Result>;
  sendEventBatch(messages: Message[], done?: Callback<Result>): Promise<Result>;
  complete(message: Message, done?: Callback<Result>): Promise<Result> | void;
  reject(message: Message, done?: Callback<Result>): Promise<Result> | void;
  abandon(message: Message, done?: Callback<Result>): Promise<Result> | void;
  getTwin(): Promise<Twin>;
  getTwin(done: Callback<Twin>): void;
  invokeMethod(deviceId: string, moduleId: string, params: MethodParams, done?: Callback<MethodResult>): Promise<MethodResult>;
  invokeMethod(deviceId: string, params: MethodParams, done?: Callback<MethodResult>): Promise<MethodResult>;
}
