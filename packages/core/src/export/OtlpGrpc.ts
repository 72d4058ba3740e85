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
import * as RetryInfo from "./RetryInfo.js"

/** The signals and their OTLP service methods. */
export const SERVICE_METHODS = {
  traces: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
  metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
  logs: "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
} as const
export type Signal = keyof typeof SERVICE_METHODS

/** The connection fields of a signal's config section. */
export type ConnectionConfig = Pick<
  Config.TracingConfig,
  "endpoint" | "insecure" | "headers" | "compression" | "certificate" | "clientKey" | "clientCertificate" | "exportTimeout"
>

/** What one export call came to. */
export type SendResult =
  | { readonly ok: true }
  | {
    readonly ok: false
    /** The gRPC status code (`Grpc.status`). */
    readonly code: number
    readonly message: string
    /** The server's RetryInfo delay, when it sent one. */
    readonly retryDelayMillis?: number | undefined
  }

/** Sends encoded OTLP export requests; one per signal and endpoint. */
export interface Transport {
  readonly endpoint: string
  send(request: Uint8Array): Promise<SendResult>
  /** Resolves once the endpoint accepts a connection (TLS handshake included), rejects after `timeoutMillis`. */
  probe(timeoutMillis: number): Promise<void>
  /** Cancels calls in flight and closes the channel. */
  close(): void
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
          resolve({ ok: false, code: Grpc.status.CANCELLED, message: "the pipeline is shut down" })
          return
        }
        const call = client.makeUnaryRequest(
          SERVICE_METHODS[signal],
          passThrough,
          (response: Buffer) => response,
          request,
          headers.clone(),
          { deadline: Date.now() + timeoutMillis },
          (error: Grpc.ServiceError | null) => {
            inFlight.delete(call)
            if (error === null) {
              resolve({ ok: true })
              return
            }
            resolve({
              ok: false,
              code: error.code,
              message: error.details || error.message,
              retryDelayMillis: RetryInfo.delayMillis(error.metadata?.get(RetryInfo.TRAILER)[0])
            })
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
