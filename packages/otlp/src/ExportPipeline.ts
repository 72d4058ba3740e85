/**
 * A signal's export pipeline as its config describes it: the export engine (`Pipeline`) over the
 * OTLP/gRPC or OTLP/HTTP transport, or JSON lines on stdout, with the start-up probe. The steps
 * are separate (`connect`, `probe`, `create`) so that each line of the toolkit orders them with
 * its own logging and scopes; `start` runs them in the usual order for a caller without one.
 *
 * @example
 * ```ts
 * const pipeline = await ExportPipeline.start({ signal: "traces", config, encodeOtlp, encodeOtlpJson, encodeJson, log, ... })
 * pipeline.offer(span)
 * ```
 */
import * as Endpoint from "./Endpoint.js"
import type { ExportConfig } from "./ExportConfig.js"
import * as OtlpGrpc from "./OtlpGrpc.js"
import * as OtlpHttp from "./OtlpHttp.js"
import { Pipeline, type Options as PipelineOptions } from "./Pipeline.js"
import { StartError } from "./StartError.js"
import type { Signal, Transport } from "./Transport.js"

/**
 * What a signal's pipeline needs besides its config section: the encodings, and the engine's
 * options that are not in the config (see `Pipeline`'s; its lines name `endpoint(config)`).
 */
export interface Options<Item> extends
  Pick<
    PipelineOptions<Item, unknown>,
    | "signal"
    | "maxQueueSize"
    | "maxBatchSize"
    | "batchDelayMillis"
    | "maxConcurrentExports"
    | "itemName"
    | "itemPoints"
    | "describeItem"
    | "encodeWhenFull"
    | "log"
  >
{
  readonly config: ExportConfig
  /** OTLP protobuf encoding of a batch (the `@opentelemetry/otlp-transformer` serializers). */
  readonly encodeOtlp: (items: ReadonlyArray<Item>) => Uint8Array | undefined
  /** OTLP/JSON encoding of a batch, for `protocol: http/json` (the otlp-transformer JSON serializers). */
  readonly encodeOtlpJson: (items: ReadonlyArray<Item>) => Uint8Array | undefined
  /** One JSON object per line, for the `stdout` exporter. */
  readonly encodeJson: (items: ReadonlyArray<Item>) => string
}

/** An OTLP signal's resolved target and its transport, not connected yet. */
export interface Connection {
  readonly target: Endpoint.Target
  readonly transport: Transport
}

/** Whether the config writes JSON lines to stdout instead of exporting OTLP. */
export const isStdout = (config: Pick<ExportConfig, "exporter">): boolean => config.exporter === "stdout"

/**
 * How log lines name where a signal's data goes: `stdout`, gRPC's `host:port` or the HTTP URL
 * without a password. Throws a `StartError` when the endpoint cannot be used.
 */
export const endpoint = (signal: Signal, config: ExportConfig): string =>
  isStdout(config) ? "stdout" : Endpoint.target(signal, config).display

/**
 * The OTLP transport of the config's `protocol` for its resolved target. Nothing connects yet.
 * Throws a `StartError` when the endpoint cannot be used, a TLS file cannot be read, or the
 * channel cannot be built.
 */
export const connect = (signal: Signal, config: ExportConfig): Connection => {
  const target = Endpoint.target(signal, config)
  const transport = config.protocol === "grpc"
    ? OtlpGrpc.transport(signal, { ...config, endpoint: target.authority, insecure: !target.tls })
    : OtlpHttp.transport(signal, config)
  return { target, transport }
}

/**
 * Resolves once the endpoint accepts a connection (TLS handshake included) within
 * `timeoutMillis`; rejects with a `StartError` naming the cause otherwise.
 */
export const probe = (signal: Signal, connection: Connection, timeoutMillis: number): Promise<void> =>
  connection.transport.probe(timeoutMillis).catch((cause: unknown) => {
    throw new StartError({
      signal,
      endpoint: connection.target.display,
      reason: cause instanceof Error ? cause.message : String(cause),
      cause
    })
  })

/**
 * The pipeline: over `connection` for OTLP, or writing JSON lines to stdout when `connection` is
 * `undefined`. It starts no probe: see `probe`, or `start`.
 */
export const create = <Item>(options: Options<Item>, connection: Connection | undefined): Pipeline<Item, unknown> => {
  const { config, signal } = options
  const common = {
    signal,
    log: options.log,
    maxQueueSize: options.maxQueueSize,
    maxBatchSize: options.maxBatchSize,
    batchDelayMillis: options.batchDelayMillis,
    maxConcurrentExports: options.maxConcurrentExports,
    retry: config.retry,
    itemName: options.itemName,
    itemPoints: options.itemPoints,
    describeItem: options.describeItem,
    encodeWhenFull: options.encodeWhenFull
  }
  if (connection === undefined) {
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
  const { target, transport } = connection
  return new Pipeline<Item, unknown>({
    ...common,
    endpoint: target.display,
    // The signals of one collector share what they learn of it (HTTP: one origin, several paths).
    server: config.protocol === "grpc" ? `grpc://${target.authority}` : new URL(target.url).origin,
    encode: config.protocol === "http/json" ? options.encodeOtlpJson : options.encodeOtlp,
    sizeOf: (request) => (request as Uint8Array).byteLength,
    maxMessageBytes: config.maxMessageSize,
    send: (request) => transport.send(request as Uint8Array),
    awaitReconnect: (millis) => transport.awaitReconnect(millis),
    close: () => transport.close()
  })
}

/**
 * The pipeline a signal's config describes, started: with `required`, start-up waits for the
 * endpoint and rejects with a `StartError` naming the cause; without, it never waits, and an
 * unreachable endpoint is the outage's one warning while the pipeline delivers as soon as the
 * collector is up. Rejects with a `StartError` for an endpoint or TLS file that cannot be used.
 */
export const start = async <Item>(options: Options<Item>): Promise<Pipeline<Item, unknown>> => {
  const { config, signal } = options
  if (isStdout(config)) return create(options, undefined)
  const connection = connect(signal, config)
  if (config.required) {
    try {
      await probe(signal, connection, config.startupProbeTimeoutMillis)
    } catch (error) {
      connection.transport.close()
      throw error
    }
  }
  const pipeline = create(options, connection)
  if (!config.required) {
    probe(signal, connection, config.startupProbeTimeoutMillis).catch((error: StartError) =>
      pipeline.reportUnreachable("UNAVAILABLE", error.reason)
    )
  }
  return pipeline
}
