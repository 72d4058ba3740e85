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
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { PropagatorName } from "./config/Config.js"
import { B3Propagator } from "./internal/propagation/b3.js"
import { JaegerPropagator } from "./internal/propagation/jaeger.js"

const factories: Record<Exclude<PropagatorName, "none">, () => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator("single"),
  b3multi: () => new B3Propagator("multi"),
  jaeger: () => new JaegerPropagator()
}

/** A composite of the named propagators, in order; `none` (alone or with others) propagates nothing. */
export const fromNames = (names: ReadonlyArray<PropagatorName>): TextMapPropagator => {
  const propagators = names.includes("none")
    ? []
    : [...new Set(names)].map((name) => factories[name as Exclude<PropagatorName, "none">]())
  return new CompositePropagator({ propagators })
}

/** The default: W3C TraceContext + Baggage. */
export const defaultPropagator: TextMapPropagator = fromNames(["tracecontext", "baggage"])

/** The configured propagator; the Tracing layer provides it, the default applies otherwise. */
export class Propagator extends Context.Reference<Propagator>()("@lingo-obs/core/Propagation/Propagator", {
  defaultValue: (): TextMapPropagator => defaultPropagator
}) {}

/** Replaces the propagator for everything that runs on the returned layer (custom propagators). */
export const layer = (propagator: TextMapPropagator): Layer.Layer<Propagator> => Layer.succeed(Propagator, propagator)
