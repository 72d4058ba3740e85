/**
 * The engine's export pipeline (`@lingo-obs/otlp` `Pipeline`) for one signal, from the signal's
 * config section and a transport: the same queue, batch, concurrency and retry settings the
 * Effect 3 line's `ExportPipeline` derives, with the engine's lines written through the Effect
 * logger of the layer that made it.
 */
import { Pipeline } from "@lingo-obs/otlp/Pipeline"
import type { LogSink, Options as PipelineOptions } from "@lingo-obs/otlp/Pipeline"
import type { Signal, Transport } from "@lingo-obs/otlp/Transport"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Config from "../config/Config.js"

/** Writes the engine's lines through the Effect logger of `context` (the app's logger, its format and level). */
export const logSinkFrom = (context: Context.Context<never>): LogSink => ({
  log: (level, message, fields) => {
    const write = level === "debug"
      ? Effect.logDebug(message)
      : level === "info"
      ? Effect.logInfo(message)
      : level === "warning"
      ? Effect.logWarning(message)
      : Effect.logError(message)
    Effect.runForkWith(context)(fields === undefined ? write : Effect.annotateLogs(write, fields))
  }
})

type ExporterFields = Pick<Config.MetricsConfig, "exportTimeout" | "maxMessageSize" | "retry">

export interface SignalOptions<Item> {
  readonly signal: Signal
  readonly config: ExporterFields
  readonly transport: Transport
  readonly log: LogSink
  readonly encode: (items: ReadonlyArray<Item>) => Uint8Array | undefined
  readonly maxQueueSize: number
  readonly maxBatchSize: number
  readonly batchDelayMillis: number
  readonly maxConcurrentExports: number
  readonly itemName: string
  readonly itemPoints?: ((item: Item) => number) | undefined
}

/** The pipeline sending `options.signal` through `options.transport`, which it closes when shut down. */
export const make = <Item>(options: SignalOptions<Item>): Pipeline<Item, Uint8Array> => {
  const { config, transport } = options
  const settings: PipelineOptions<Item, Uint8Array> = {
    signal: options.signal,
    endpoint: transport.endpoint,
    encode: options.encode,
    send: (payload) => transport.send(payload),
    awaitReconnect: (timeoutMillis) => transport.awaitReconnect(timeoutMillis),
    close: () => transport.close(),
    maxQueueSize: options.maxQueueSize,
    maxBatchSize: options.maxBatchSize,
    batchDelayMillis: options.batchDelayMillis,
    maxConcurrentExports: options.maxConcurrentExports,
    retry: {
      enabled: config.retry.enabled,
      initialBackoffMillis: Duration.toMillis(config.retry.initialBackoff),
      maxBackoffMillis: Duration.toMillis(config.retry.maxBackoff),
      maxElapsedMillis: Duration.toMillis(config.retry.maxElapsedTime)
    },
    log: options.log,
    itemName: options.itemName,
    itemPoints: options.itemPoints,
    sizeOf: (payload) => payload.byteLength,
    maxMessageBytes: config.maxMessageSize
  }
  return new Pipeline(settings)
}
