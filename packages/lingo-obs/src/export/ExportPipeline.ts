/**
 * A signal's export pipeline as its config describes it, acquired in a scope, on the Effect 4
 * line: the engine's `Pipeline` over an OTLP transport (gRPC or HTTP), with the start-up probe
 * that `required` decides about and the engine's lines going to the program's logger.
 *
 * @example
 * ```ts
 * const pipeline = yield* ExportPipeline.make({ signal: "traces", config, connect, encode, ... })
 * pipeline.offer(span)
 * ```
 */
import { Pipeline, type RetrySettings } from "@lingo-obs/otlp/Pipeline"
import type { Signal, Transport } from "@lingo-obs/otlp/Transport"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Config from "../config/Config.js"
import * as Diagnostics from "../Diagnostics.js"
import { PipelineStartError } from "../Required.js"
import * as Shutdown from "../Shutdown.js"

export type ExporterConfig = Config.TracingConfig | Config.MetricsConfig | Config.LogsConfig

/** A transport to a signal's endpoint, and how that endpoint is named in log lines. */
export interface Connection {
  readonly transport: Transport
  /** The endpoint as printed (no credentials). */
  readonly display: string
  /** The server whose reachability the signals share (`grpc://host:port`, an HTTP origin). */
  readonly server: string
}

/** Opens the transport a signal's config describes; fails naming the endpoint when it cannot. */
export type Connect = (signal: Signal, config: ExporterConfig) => Effect.Effect<Connection, PipelineStartError, Scope.Scope>

/** What a signal's pipeline needs besides its config section. */
export interface MakeOptions<Item> {
  readonly signal: Signal
  readonly config: ExporterConfig
  readonly connect: Connect
  /** OTLP protobuf encoding of a batch. */
  readonly encode: (items: ReadonlyArray<Item>) => Uint8Array | undefined
  readonly maxQueueSize: number
  readonly maxBatchSize: number
  readonly batchDelayMillis: number
  readonly maxConcurrentExports: number
  readonly itemName: string
  readonly itemPoints?: ((item: Item) => number) | undefined
  readonly describeItem?: ((item: Item) => string) | undefined
  readonly encodeWhenFull?: boolean | undefined
}

const retrySettings = (retry: Config.RetryConfig): RetrySettings => ({
  enabled: retry.enabled,
  initialBackoffMillis: Duration.toMillis(retry.initialBackoff),
  maxBackoffMillis: Duration.toMillis(retry.maxBackoff),
  maxElapsedMillis: Duration.toMillis(retry.maxElapsedTime)
})

const probe = (connection: Connection, signal: Signal, timeoutMillis: number) =>
  Effect.tryPromise({
    try: () => connection.transport.probe(timeoutMillis),
    catch: (cause) =>
      new PipelineStartError({
        signal,
        endpoint: connection.display,
        reason: cause instanceof Error ? cause.message : String(cause),
        cause
      })
  })

/**
 * The pipeline a signal's config describes. A startup probe checks that the endpoint accepts a
 * connection within `startupProbeTimeout`: with `required` a failed probe is a
 * `PipelineStartError`; without, one warning, and the pipeline delivers as soon as the collector
 * is up. The pipeline's own shutdown is the caller's (it is bounded by the shutdown timeout).
 */
export const make = <Item>(options: MakeOptions<Item>): Effect.Effect<Pipeline<Item, unknown>, PipelineStartError, Scope.Scope> =>
  Effect.gen(function*() {
    const { config, signal } = options
    const connection = yield* options.connect(signal, config)
    const log = yield* Diagnostics.sink({ signal, endpoint: connection.display })
    const timeout = Duration.toMillis(config.startupProbeTimeout)
    // Required: start-up waits for the endpoint and fails naming the cause.
    if (config.required) yield* probe(connection, signal, timeout)
    const transport = connection.transport
    const pipeline = new Pipeline<Item, unknown>({
      signal,
      log,
      endpoint: connection.display,
      server: connection.server,
      maxQueueSize: options.maxQueueSize,
      maxBatchSize: options.maxBatchSize,
      batchDelayMillis: options.batchDelayMillis,
      maxConcurrentExports: options.maxConcurrentExports,
      retry: retrySettings(config.retry),
      itemName: options.itemName,
      itemPoints: options.itemPoints,
      describeItem: options.describeItem,
      encodeWhenFull: options.encodeWhenFull,
      encode: options.encode,
      sizeOf: (request) => (request as Uint8Array).byteLength,
      maxMessageBytes: config.maxMessageSize,
      send: (request) => transport.send(request as Uint8Array),
      awaitReconnect: (millis) => transport.awaitReconnect(millis),
      close: () => transport.close()
    })
    yield* Shutdown.trackHeld(() => pipeline.describeHeld())
    // Not required: never delay start-up; an unreachable endpoint is the outage's one warning.
    if (!config.required) {
      yield* Effect.forkScoped(
        Effect.catch(probe(connection, signal, timeout), (error) =>
          Effect.sync(() => pipeline.reportUnreachable("UNAVAILABLE", error.reason)))
      )
    }
    return pipeline
  })
