/**
 * The propagator every middleware of the Effect 4 line (`lingo-obs/http`, `lingo-obs/grpc`) uses
 * to extract and inject trace context: W3C TraceContext + Baggage by default, the composite
 * `tracing.propagators` names (B3, Jaeger) when the Observability layer runs, or a custom one.
 * A reference with a default, so middleware works with or without the Observability layer.
 *
 * @example
 * ```ts
 * const propagator = yield* Propagation.Propagator
 * propagator.inject(otelContext, headers, defaultTextMapSetter)
 * ```
 */
import { defaultPropagator } from "@lingo-obs/otlp/Propagators"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/** The composite of `OTEL_PROPAGATORS` names and the W3C default are the engine's (`Propagators`). */
export { defaultPropagator, fromNames } from "@lingo-obs/otlp/Propagators"

/** The configured propagator; the Observability layer provides it, the default applies otherwise. */
export const Propagator = Context.Reference<TextMapPropagator>("lingo-obs/Propagation/Propagator", {
  defaultValue: () => defaultPropagator
})

/** Replaces the propagator for everything that runs on the returned layer (custom propagators). */
export const layer = (propagator: TextMapPropagator): Layer.Layer<never> => Layer.succeed(Propagator, propagator)
