/**
 * Where a signal's OTLP goes (the engine's `Endpoint`), with `target` as an Effect: an endpoint
 * that cannot be used is a `PipelineStartError`.
 *
 * @example
 * ```ts
 * const target = Endpoint.resolve("traces", { protocol: "http/protobuf", endpoint: undefined, insecure: false })
 * // target.url === "http://localhost:4318/v1/traces", target.tls === false
 * ```
 */
import * as Effect from "effect/Effect"
import * as Endpoint from "@lingo-obs/otlp/Endpoint"
import type { Signal } from "@lingo-obs/otlp/Transport"
import { fromStartError, type PipelineStartError } from "../Required.js"

// Named, not `export *`: import-in-the-middle (OpenTelemetry's ESM auto-instrumentation hook)
// cannot wrap a module that re-exports everything of another.
export {
  DEFAULT_ENDPOINTS,
  type EndpointConfig,
  hasScheme,
  joinSignalPath,
  redact,
  resolve,
  SIGNAL_PATHS,
  type Target
} from "@lingo-obs/otlp/Endpoint"

/** `resolve` as an Effect: an endpoint that cannot be used is a `PipelineStartError`. */
export const target = (signal: Signal, config: Endpoint.EndpointConfig): Effect.Effect<Endpoint.Target, PipelineStartError> =>
  Effect.try({
    try: () => Endpoint.target(signal, config),
    catch: fromStartError(signal, Endpoint.redact(config.endpoint ?? ""))
  })
