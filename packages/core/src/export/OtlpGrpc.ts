/**
 * The OTLP/gRPC connection of a signal: the endpoint, TLS (system roots, a CA file, or mutual
 * TLS) unless `insecure`, headers as gRPC metadata, compression, and a transport that sends
 * already encoded OTLP requests and reports the gRPC status, the server's RetryInfo delay
 * included, so the export pipeline can decide what to retry.
 *
 * Reading TLS material is part of starting a pipeline: a missing or unreadable file is a
 * `PipelineStartError` that `required` decides about.
 */
import * as Fs from "node:fs"
import * as Grpc from "@grpc/grpc-js"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Config from "../config/Config.js"
import { PipelineStartError } from "../Required.js"
import * as PartialSuccess from "./PartialSuccess.js"
import * as RetryInfo from "./RetryInfo.js"
import type { SendResult, Signal, Transport } from "./Transport.js"

/** The signals and their OTLP service methods. */
export const SERVICE_METHODS = {
  traces: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
  metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
  logs: "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
} as const satisfies Record<Signal, string>
export type { Signal } from "./Transport.js"

/** The connection fields of a signal's config section. */
export type ConnectionConfig = Pick<
  Config.TracingConfig,
  "endpoint" | "insecure" | "headers" | "compression" | "certificate" | "clientKey" | "clientCertificate" | "exportTimeout"
>

export type { SendFailure, SendResult, Transport } from "./Transport.js"

/** Codes a collector uses for "not now": the same data may succeed later. */
const TRANSIENT: ReadonlySet<number> = new Set([
  Grpc.status.UNAVAILABLE,
  Grpc.status.RESOURCE_EXHAUSTED,
  Grpc.status.DEADLINE_EXCEEDED,
  Grpc.status.ABORTED,
  // The OTLP specification also names these retryable: CANCELLED as when a collector is killed
  // mid-call, OUT_OF_RANGE, DATA_LOSS.
  Grpc.status.CANCELLED,
  Grpc.status.OUT_OF_RANGE,
  Grpc.status.DATA_LOSS
])

/** The name of a gRPC status code (`UNAVAILABLE`), as operators know them. */
export const codeName = (code: number): string => Grpc.status[code] ?? `CODE_${code}`

/**
 * Whether a failed call may succeed if sent again. Besides the transient codes, an `INTERNAL`
 * that grpc-js made up from a reset stream (`Received RST_STREAM …`: the connection ended under
 * the call, no status came from the server) is retryable: a collector restarting or a proxy
 * dropping the connection ends every call in flight this way.
 */
export const isRetryable = (code: number, details: string): boolean =>
  TRANSIENT.has(code) || (code === Grpc.status.INTERNAL && details.startsWith("Received RST_STREAM"))

/** Classifies a call's outcome: the error (or `null`) and the raw Export response. */
export const classify = (error: Grpc.ServiceError | null, response: Uint8Array | undefined): SendResult => {
  if (error === null) {
    const partial = PartialSuccess.decode(response)
    return partial === undefined ? { ok: true } : { ok: true, rejected: partial.rejected, rejectedMessage: partial.message }
  }
  const message = error.details || error.message
  return {
    ok: false,
    retryable: isRetryable(error.code, message),
    code: error.code,
    status: codeName(error.code),
    message,
    retryDelayMillis: RetryInfo.delayMillis(error.metadata?.get(RetryInfo.TRAILER)[0])
  }
}

/** gRPC metadata carrying the configured headers (keys lower-cased, as gRPC requires). */
export const metadata = (headers: Readonly<Record<string, string>>): Grpc.Metadata => {
  const result = new Grpc.Metadata()
  for (const [name, value] of Object.entries(headers)) result.set(name.toLowerCase(), value)
  return result
}

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const readPem = (signal: Signal, endpoint: string, field: string, path: string | undefined) =>
  path === undefined ? Effect.succeed(undefined) : Effect.try({
    try: () => Fs.readFileSync(path),
    catch: (cause) =>
      new PipelineStartError({
        signal,
        endpoint,
        reason: `cannot read ${field} ${JSON.stringify(path)}: ${describe(cause)}`,
        cause
      })
  })

/** Channel credentials: plaintext when `insecure`, otherwise TLS with the configured CA and client pair. */
export const credentials = (
  signal: Signal,
  config: ConnectionConfig
): Effect.Effect<Grpc.ChannelCredentials, PipelineStartError> =>
  config.insecure ? Effect.succeed(Grpc.credentials.createInsecure()) : Effect.gen(function*() {
    const ca = yield* readPem(signal, config.endpoint, "certificate", config.certificate)
    const key = yield* readPem(signal, config.endpoint, "clientKey", config.clientKey)
    const cert = yield* readPem(signal, config.endpoint, "clientCertificate", config.clientCertificate)
    if ((key === undefined) !== (cert === undefined)) {
      return yield* new PipelineStartError({
        signal,
        endpoint: config.endpoint,
        reason: "mutual TLS needs both clientKey and clientCertificate"
      })
    }
    return yield* Effect.try({
      try: () => Grpc.credentials.createSsl(ca ?? null, key ?? null, cert ?? null),
      catch: (cause) =>
        new PipelineStartError({
          signal,
          endpoint: config.endpoint,
          reason: `invalid TLS material: ${describe(cause)}`,
          cause
        })
    })
  })

const CHANNEL_OPTIONS: Grpc.ChannelOptions = {
  "grpc.primary_user_agent": "lingo-obs",
  // gRPC's default reconnect back-off grows to two minutes; a collector that comes back should
  // receive data within seconds, and the export pipeline paces its own retries.
  "grpc.initial_reconnect_backoff_ms": 500,
  "grpc.max_reconnect_backoff_ms": 5_000
}

const passThrough = (request: Uint8Array): Buffer => Buffer.from(request.buffer, request.byteOffset, request.byteLength)

/**
 * The transport of a signal. Nothing connects until the first call or probe.
 *
 * @example
 * ```ts
 * const transport = yield* OtlpGrpc.transport("traces", config.tracing)
 * const result = await transport.send(ProtobufTraceSerializer.serializeRequest(spans)!)
 * ```
 */
export const transport = (signal: Signal, config: ConnectionConfig): Effect.Effect<Transport, PipelineStartError> =>
  Effect.gen(function*() {
    const channelCredentials = yield* credentials(signal, config)
    const client = yield* Effect.try({
      try: () =>
        new Grpc.Client(config.endpoint, channelCredentials, {
          ...CHANNEL_OPTIONS,
          ...(config.compression === "gzip" ? { "grpc.default_compression_algorithm": 2 } : {})
        }),
      catch: (cause) => new PipelineStartError({ signal, endpoint: config.endpoint, reason: describe(cause), cause })
    })
    const headers = metadata(config.headers)
    const timeoutMillis = Duration.toMillis(config.exportTimeout)
    const inFlight = new Set<Grpc.ClientUnaryCall>()
    let closed = false

    const send = (request: Uint8Array): Promise<SendResult> =>
      new Promise((resolve) => {
        if (closed) {
          resolve({
            ok: false,
            retryable: false,
            code: Grpc.status.CANCELLED,
            status: codeName(Grpc.status.CANCELLED),
            message: "the pipeline is shut down"
          })
          return
        }
        const call = client.makeUnaryRequest(
          SERVICE_METHODS[signal],
          passThrough,
          (response: Buffer) => response,
          request,
          headers.clone(),
          { deadline: Date.now() + timeoutMillis },
          (error: Grpc.ServiceError | null, response?: Buffer) => {
            inFlight.delete(call)
            resolve(classify(error, response))
          }
        )
        inFlight.add(call)
      })

    return {
      endpoint: config.endpoint,
      send,
      probe: (probeTimeout) =>
        new Promise<void>((resolve, reject) =>
          client.waitForReady(Date.now() + probeTimeout, (error) => (error ? reject(error) : resolve()))
        ),
      close: () => {
        closed = true
        for (const call of inFlight) call.cancel()
        inFlight.clear()
        client.close()
      }
    }
  })
