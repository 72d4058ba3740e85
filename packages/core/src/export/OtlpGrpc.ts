/**
 * The engine's OTLP/gRPC transport (`@lingo-obs/otlp/OtlpGrpc`) with `transport` and
 * `credentials` as Effects over core's config sections: TLS material that cannot be read or a
 * channel that cannot be built is a `PipelineStartError` that `required` decides about.
 *
 * @example
 * ```ts
 * const transport = yield* OtlpGrpc.transport("traces", { ...config.tracing, endpoint: "collector:4317" })
 * const result = await transport.send(ProtobufTraceSerializer.serializeRequest(spans)!)
 * ```
 */
import type * as Grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import * as OtlpGrpc from "@lingo-obs/otlp/OtlpGrpc"
import type { Signal, Transport } from "@lingo-obs/otlp/Transport"
import { fromStartError, type PipelineStartError } from "../Required.js"
import * as EngineConfig from "./internal/engineConfig.js"

// Named, not `export *`: import-in-the-middle (OpenTelemetry's ESM auto-instrumentation hook)
// cannot wrap a module that re-exports everything of another.
export {
  classify,
  codeName,
  isRetryable,
  metadata,
  type SendFailure,
  type SendResult,
  SERVICE_METHODS,
  type Signal,
  type Transport
} from "@lingo-obs/otlp/OtlpGrpc"

/** A section's connection fields, the endpoint resolved to `host:port` (`Endpoint.resolve`). */
export type ConnectionConfig = EngineConfig.ConnectionSection & { readonly endpoint: string }

/** Channel credentials: plaintext when `insecure`, otherwise TLS with the configured CA and client pair. */
export const credentials = (signal: Signal, config: ConnectionConfig): Effect.Effect<Grpc.ChannelCredentials, PipelineStartError> =>
  Effect.try({
    try: () => OtlpGrpc.credentials(signal, EngineConfig.connection(config)),
    catch: fromStartError(signal, config.endpoint)
  })

/** The transport of a signal. Nothing connects until the first call or probe. */
export const transport = (signal: Signal, config: ConnectionConfig): Effect.Effect<Transport, PipelineStartError> =>
  Effect.try({
    try: () => OtlpGrpc.transport(signal, EngineConfig.connection(config)),
    catch: fromStartError(signal, config.endpoint)
  })
