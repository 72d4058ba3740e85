/**
 * The propagator of a list of `OTEL_PROPAGATORS` names: W3C TraceContext and Baggage, B3 (single
 * or multiple headers) and Jaeger, composed in the order given. The toolkit's own B3 and Jaeger
 * (see `B3Propagator`, `JaegerPropagator`), so a consumer installs one copy of the SDK core.
 *
 * @example
 * ```ts
 * const propagator = Propagators.fromNames(["tracecontext", "baggage", "b3multi"])
 * propagator.inject(context.active(), headers, defaultTextMapSetter)
 * ```
 */
import type { TextMapPropagator } from "@opentelemetry/api"
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core"
import { B3Propagator } from "./B3Propagator.js"
import { JaegerPropagator } from "./JaegerPropagator.js"

/** The propagator names of `OTEL_PROPAGATORS`. */
export const NAMES = ["tracecontext", "baggage", "b3", "b3multi", "jaeger", "none"] as const
export type Name = typeof NAMES[number]

const factories: Record<Exclude<Name, "none">, () => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator("single"),
  b3multi: () => new B3Propagator("multi"),
  jaeger: () => new JaegerPropagator()
}

/** A composite of the named propagators, in order; `none` (alone or with others) propagates nothing. */
export const fromNames = (names: ReadonlyArray<Name>): TextMapPropagator => {
  const propagators = names.includes("none")
    ? []
    : [...new Set(names)].map((name) => factories[name as Exclude<Name, "none">]())
  return new CompositePropagator({ propagators })
}

/** The default: W3C TraceContext + Baggage. */
export const defaultPropagator: TextMapPropagator = fromNames(["tracecontext", "baggage"])
