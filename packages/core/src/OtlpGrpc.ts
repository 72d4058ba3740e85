/**
 * The connection settings every OTLP/gRPC exporter of the toolkit shares: the endpoint, TLS
 * (system roots, a CA file, or mutual TLS) unless `insecure`, headers as gRPC metadata,
 * compression and the export timeout. Reading TLS material is part of starting a pipeline, so
 * a missing or unreadable file is a `PipelineStartError` that `required` decides about.
 */
import * as Fs from "node:fs"
import * as Grpc from "@grpc/grpc-js"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Config from "./Config.js"
import { PipelineStartError, startError } from "./Required.js"

/** The options an `@opentelemetry/exporter-*-otlp-grpc` exporter takes. */
export interface ExporterOptions {
  readonly url: string
  readonly credentials: Grpc.ChannelCredentials
  readonly metadata: Grpc.Metadata
  readonly compression: "gzip" | "none"
  readonly timeoutMillis: number
}

/** The connection fields of a signal's config section. */
export type ConnectionConfig = Pick<
  Config.TracingConfig,
  "endpoint" | "insecure" | "headers" | "compression" | "certificate" | "clientKey" | "clientCertificate" | "exportTimeout"
>

const readPem = (signal: string, endpoint: string, field: string, path: string | undefined) =>
  path === undefined ? Effect.succeed(undefined) : Effect.try({
    try: () => Fs.readFileSync(path),
    catch: (cause) =>
      new PipelineStartError({
        signal,
        endpoint,
        reason: `cannot read ${field} ${JSON.stringify(path)}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
  })

/** gRPC metadata carrying the configured headers (keys lower-cased, as gRPC requires). */
export const metadata = (headers: Readonly<Record<string, string>>): Grpc.Metadata => {
  const result = new Grpc.Metadata()
  for (const [name, value] of Object.entries(headers)) result.set(name.toLowerCase(), value)
  return result
}

/**
 * Builds the exporter options of a signal, reading TLS files if any.
 *
 * @example
 * ```ts
 * const options = yield* OtlpGrpc.exporterOptions("traces", config.tracing)
 * const exporter = new OTLPTraceExporter(options)
 * ```
 */
export const exporterOptions = (
  signal: string,
  config: ConnectionConfig
): Effect.Effect<ExporterOptions, PipelineStartError> =>
  Effect.gen(function*() {
    const credentials = config.insecure
      ? Grpc.credentials.createInsecure()
      : yield* Effect.gen(function*() {
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
              reason: `invalid TLS material: ${cause instanceof Error ? cause.message : String(cause)}`,
              cause
            })
        })
      })
    return {
      url: `${config.insecure ? "http" : "https"}://${config.endpoint}`,
      credentials,
      metadata: metadata(config.headers),
      compression: config.compression,
      timeoutMillis: Duration.toMillis(config.exportTimeout)
    }
  })

/**
 * Builds an OTLP/gRPC exporter with the signal's options; whatever its constructor throws
 * becomes a `PipelineStartError` naming the signal and the endpoint.
 *
 * @example
 * ```ts
 * const exporter = yield* OtlpGrpc.exporter("traces", config.tracing, (options) => new OTLPTraceExporter(options))
 * ```
 */
export const exporter = <A>(
  signal: string,
  config: ConnectionConfig,
  construct: (options: ExporterOptions) => A
): Effect.Effect<A, PipelineStartError> =>
  Effect.flatMap(exporterOptions(signal, config), (options) =>
    Effect.try({
      try: () => construct(options),
      catch: startError(signal, config.endpoint)
    }))
