/**
 * The propagator every middleware uses to extract and inject trace context: W3C TraceContext +
 * Baggage by default, replaceable by a composite with B3, Jaeger or a custom propagator.
 * It is an Effect service with a default, so middleware works with or without a Tracing layer.
 *
 * @example
 * ```ts
 * import { Propagation } from "@lingo-obs/core"
 *
 * const propagator = yield* Propagation.Propagator
 * propagator.inject(otelContext, headers, defaultTextMapSetter)
 * ```
 */
import type { TextMapPropagator } from "@opentelemetry/api"
import { defaultPropagator } from "@lingo-obs/otlp/Propagators"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/** The composite of `OTEL_PROPAGATORS` names and the W3C default are the engine's (`Propagators`). */
export { defaultPropagator, fromNames } from "@lingo-obs/otlp/Propagators"

/** The configured propagator; the Tracing layer provides it, the default applies otherwise. */
export class Propagator extends Context.Reference<Propagator>()("@lingo-obs/core/Propagation/Propagator", {
  defaultValue: (): TextMapPropagator => defaultPropagator
}) {}

/** Replaces the propagator for everything that runs on the returned layer (custom propagators). */
export const layer = (propagator: TextMapPropagator): Layer.Layer<Propagator> => Layer.succeed(Propagator, propagator)
