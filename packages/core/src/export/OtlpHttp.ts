/**
 * The engine's OTLP/HTTP transport (`@lingo-obs/otlp/OtlpHttp`) with `transport` as an Effect
 * over core's config sections: an endpoint or TLS material that cannot be used is a
 * `PipelineStartError` that `required` decides about.
 *
 * @example
 * ```ts
 * const transport = yield* OtlpHttp.transport("traces", { ...config.tracing, protocol: "http/protobuf" })
 * const result = await transport.send(ProtobufTraceSerializer.serializeRequest(spans)!)
 * ```
 */
import * as Effect from "effect/Effect"
import { redact } from "@lingo-obs/otlp/Endpoint"
import * as OtlpHttp from "@lingo-obs/otlp/OtlpHttp"
import type { Signal, Transport } from "@lingo-obs/otlp/Transport"
import { fromStartError, type PipelineStartError } from "../Required.js"
import * as EngineConfig from "./internal/engineConfig.js"

// Named, not `export *`: import-in-the-middle (OpenTelemetry's ESM auto-instrumentation hook)
// cannot wrap a module that re-exports everything of another.
export { classify, retryAfterMillis } from "@lingo-obs/otlp/OtlpHttp"

/** A section's connection fields; the endpoint as written (`Endpoint.resolve` reads it). */
export type ConnectionConfig = EngineConfig.ConnectionSection

/** The transport of a signal whose `protocol` is `http/protobuf` or `http/json`. Nothing connects until the first send or probe. */
export const transport = (signal: Signal, config: ConnectionConfig): Effect.Effect<Transport, PipelineStartError> =>
  Effect.try({
    try: () => OtlpHttp.transport(signal, EngineConfig.connection(config)),
    catch: fromStartError(signal, redact(config.endpoint ?? ""))
  })
