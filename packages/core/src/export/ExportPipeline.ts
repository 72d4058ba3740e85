/**
 * A signal's export pipeline as its config describes it, acquired in a scope: the plain export
 * engine (`Pipeline`) over the OTLP/gRPC transport, or JSON lines on stdout, with the start-up
 * probe that `required` decides about.
 *
 * @example
 * ```ts
 * const pipeline = yield* ExportPipeline.make({ signal: "traces", config, encodeOtlp, encodeJson, ... })
 * pipeline.offer(span)
 * ```
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Config from "../config/Config.js"
import * as Diagnostics from "../Diagnostics.js"
import { PipelineStartError } from "../Required.js"
import * as Shutdown from "../Shutdown.js"
import * as Endpoint from "./Endpoint.js"
import * as OtlpHttp from "./OtlpHttp.js"
import * as OtlpGrpc from "./OtlpGrpc.js"
import { Pipeline, type RetrySettings } from "@lingo-obs/otlp/Pipeline"
import type { Signal, Transport } from "@lingo-obs/otlp/Transport"

export type { LogSink, Options, RetrySettings } from "@lingo-obs/otlp/Pipeline"
/** The export engine; `Pipeline` under the name the signal packages know it by. */
export { Pipeline as ExportPipeline } from "@lingo-obs/otlp/Pipeline"

/** What a signal's pipeline needs besides its config section. */
export interface MakeOptions<Item> {
  readonly signal: Signal
  readonly config: Config.ExporterConfig
  /** OTLP protobuf encoding of a batch (the `@opentelemetry/otlp-transformer` serializers). */
  readonly encodeOtlp: (items: ReadonlyArray<Item>) => Uint8Array | undefined
  /** OTLP/JSON encoding of a batch, for `protocol: http/json` (the otlp-transformer JSON serializers). */
  readonly encodeOtlpJson: (items: ReadonlyArray<Item>) => Uint8Array | undefined
  /** One JSON object per line, for the `stdout` exporter. */
  readonly encodeJson: (items: ReadonlyArray<Item>) => string
  readonly maxQueueSize: number
  readonly maxBatchSize: number
  readonly batchDelayMillis: number
  readonly maxConcurrentExports: number
  readonly itemName: string
  readonly itemPoints?: ((item: Item) => number) | undefined
  /** How an item is named in log lines (a span's name). */
  readonly describeItem?: ((item: Item) => string) | undefined
  /** Encode each batch as soon as it is full (see `Pipeline`'s option). */
  readonly encodeWhenFull?: boolean | undefined
}

const retrySettings = (retry: Config.RetryConfig): RetrySettings => ({
  enabled: retry.enabled,
  initialBackoffMillis: Duration.toMillis(retry.initialBackoff),
  maxBackoffMillis: Duration.toMillis(retry.maxBackoff),
  maxElapsedMillis: Duration.toMillis(retry.maxElapsedTime)
})

/**
 * The pipeline a signal's config describes: OTLP to the endpoint over the config's `protocol`
 * (gRPC, or HTTP with protobuf or JSON bodies), or JSON lines on stdout.
 * For OTLP a startup probe checks that the endpoint accepts a connection within
 * `startupProbeTimeout`: with `required` a failed probe is a `PipelineStartError`; without,
 * one warning, and the pipeline delivers as soon as the collector is up.
 */
export const make = <Item>(
  options: MakeOptions<Item>
): Effect.Effect<Pipeline<Item, unknown>, PipelineStartError, Scope.Scope> =>
  Effect.gen(function*() {
    const { config, signal } = options
    const stdout = config.exporter === "stdout"
    const target = stdout ? undefined : yield* Endpoint.target(signal, config)
    const log = yield* Diagnostics.sink({ signal, endpoint: target?.display ?? "stdout" })
    const common = {
      signal,
      log,
      maxQueueSize: options.maxQueueSize,
      maxBatchSize: options.maxBatchSize,
      batchDelayMillis: options.batchDelayMillis,
      maxConcurrentExports: options.maxConcurrentExports,
      retry: retrySettings(config.retry),
      itemName: options.itemName,
      itemPoints: options.itemPoints,
      describeItem: options.describeItem,
      encodeWhenFull: options.encodeWhenFull
    }
    if (stdout) {
      return new Pipeline<Item, unknown>({
        ...common,
        endpoint: "stdout",
        encode: (items) => options.encodeJson(items),
        send: (lines) => {
          process.stdout.write(lines as string)
          return Promise.resolve({ ok: true })
        }
      })
    }
    const transport = config.protocol === "grpc"
      ? yield* OtlpGrpc.transport(signal, { ...config, endpoint: target!.authority, insecure: !target!.tls })
      : yield* OtlpHttp.transport(signal, config)
    const timeout = Duration.toMillis(config.startupProbeTimeout)
    // Required: start-up waits for the endpoint and fails naming the cause.
    if (config.required) yield* probe(transport, signal, target!, timeout)
    const pipeline = new Pipeline<Item, unknown>({
      ...common,
      endpoint: target!.display,
      // The signals of one collector share what they learn of it (HTTP: one origin, several paths).
      server: config.protocol === "grpc" ? `grpc://${target!.authority}` : new URL(target!.url).origin,
      encode: config.protocol === "http/json" ? options.encodeOtlpJson : options.encodeOtlp,
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
        Effect.catchAll(probe(transport, signal, target!, timeout), (error) =>
          Effect.sync(() => pipeline.reportUnreachable("UNAVAILABLE", error.reason)))
      )
    }
    return pipeline
  })

const probe = (transport: Transport, signal: Signal, target: Endpoint.Target, timeout: number) =>
  Effect.tryPromise({
    try: () => transport.probe(timeout),
    catch: (cause) =>
      new PipelineStartError({
        signal,
        endpoint: target.display,
        reason: cause instanceof Error ? cause.message : String(cause),
        cause
      })
  })
