/**
 * Extraction and injection with an OpenTelemetry `TextMapPropagator`, bridged to Effect spans, for
 * the middleware of `lingo-obs/http` and `lingo-obs/grpc`: extraction yields an Effect
 * `ExternalSpan` to parent a server span on, and injection builds an OpenTelemetry context from an
 * Effect span plus the baggage the request brought in. The middleware pass the configured
 * propagator (`Propagation.Propagator`) unless given their own.
 */
import {
  type Context as OtelContext,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
  TraceFlags
} from "@opentelemetry/api"
import * as Context from "effect/Context"
import type * as Fiber from "effect/Fiber"
import * as Tracer from "effect/Tracer"

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

/**
 * Extracts with `propagator`. A carrier the propagator cannot read (malformed `traceparent`,
 * `baggage`, or a custom propagator that throws) yields an empty context: the request starts a
 * fresh trace instead of failing.
 */
export const extract = <Carrier>(
  propagator: TextMapPropagator,
  carrier: Carrier,
  getter: TextMapGetter<Carrier>
): Extracted => {
  let context: OtelContext
  try {
    context = propagator.extract(ROOT_CONTEXT, carrier, getter)
  } catch {
    context = ROOT_CONTEXT
  }
  const spanContext = trace.getSpanContext(context)
  const parent = spanContext !== undefined && isSpanContextValid(spanContext)
    ? Tracer.externalSpan({
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      sampled: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
    })
    : undefined
  return { context, parent }
}

/**
 * The OpenTelemetry context to inject for `span`: its ids and sampling flag, the incoming trace
 * state when the span continues the incoming trace, and the incoming baggage.
 */
export const contextFor = (span: Tracer.AnySpan | undefined, incoming: OtelContext): OtelContext => {
  const baggage = propagation.getBaggage(incoming)
  let context = baggage === undefined ? ROOT_CONTEXT : propagation.setBaggage(ROOT_CONTEXT, baggage)
  if (span !== undefined) {
    const spanContext = {
      traceId: span.traceId,
      spanId: span.spanId,
      traceFlags: span.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: false
    }
    if (isSpanContextValid(spanContext)) {
      const remote = trace.getSpanContext(incoming)
      const traceState = remote !== undefined && remote.traceId === span.traceId ? remote.traceState : undefined
      context = trace.setSpanContext(context, traceState === undefined ? spanContext : { ...spanContext, traceState })
    }
  }
  return context
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
  try {
    propagator.inject(contextFor(current, fiber.getRef(IncomingContext)), carrier, setter)
  } catch {
    // A broken custom propagator must not break the request it would annotate.
  }
}

/** Header records as Effect keeps them: lower-case names. */
export const headersGetter: TextMapGetter<Readonly<Record<string, string | undefined>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()]
}

export const headersSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key.toLowerCase()] = value
  }
}
