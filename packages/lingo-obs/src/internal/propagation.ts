/**
 * Extraction and injection with an OpenTelemetry `TextMapPropagator`, bridged to Effect spans, for
 * the middleware of `lingo-obs/http` and `lingo-obs/grpc`: extraction yields an Effect
 * `ExternalSpan` to parent a server span on, and injection builds an OpenTelemetry context from an
 * Effect span plus the baggage the request brought in. The middleware pass the configured
 * propagator (`Propagation.Propagator`) unless given their own. The rules are the engine's
 * (`TraceContext`), shared with the Effect 3 line.
 */
import * as TraceContext from "@lingo-obs/otlp/TraceContext"
import { type Context as OtelContext, ROOT_CONTEXT, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from "@opentelemetry/api"
import * as Context from "effect/Context"
import type * as Fiber from "effect/Fiber"
import * as Tracer from "effect/Tracer"

export { headersGetter, headersSetter } from "@lingo-obs/otlp/TraceContext"

/**
 * The OpenTelemetry context a request arrived with (its baggage and remote span context). A
 * reference of the request's context, so it follows the request into every fiber forked while
 * handling it and a client middleware finds the baggage to forward.
 */
export const IncomingContext = Context.Reference<OtelContext>("lingo-obs/IncomingContext", {
  defaultValue: () => ROOT_CONTEXT
})

export interface Extracted {
  /** Everything the propagator found: baggage, remote span context. */
  readonly context: OtelContext
  /** The remote span to parent the server span on, when the carrier held a valid one. */
  readonly parent: Tracer.ExternalSpan | undefined
}

/** Extracts with `propagator` (an unreadable carrier yields an empty context, a fresh trace). */
export const extract = <Carrier>(
  propagator: TextMapPropagator,
  carrier: Carrier,
  getter: TextMapGetter<Carrier>
): Extracted => {
  const { context, parent } = TraceContext.extract(propagator, carrier, getter)
  return { context, parent: parent === undefined ? undefined : Tracer.externalSpan(parent) }
}

/**
 * Injects the context of `span` (or, without one, of the fiber's current span) and the current
 * baggage into `carrier`. A propagator that throws injects nothing rather than failing the call.
 */
export const injectUnsafe = <Carrier>(
  fiber: Fiber.Fiber<unknown, unknown>,
  propagator: TextMapPropagator,
  carrier: Carrier,
  setter: TextMapSetter<Carrier>,
  span?: Tracer.AnySpan | undefined
): void => {
  const current = span ?? Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
  TraceContext.inject(propagator, current, fiber.getRef(IncomingContext), carrier, setter)
}
