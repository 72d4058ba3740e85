/**
 * What the middleware of both Effect lines extract from a request and inject into a call,
 * Effect-free: the remote parent a propagator finds in a carrier, the OpenTelemetry context to
 * inject for a span (its ids, the incoming trace state and baggage), and header carriers. Each
 * line turns `SpanIds` into its own Effect span types.
 *
 * @example
 * ```ts
 * const { context, parent } = TraceContext.extract(propagator, headers, TraceContext.headersGetter)
 * TraceContext.inject(propagator, span, context, outgoing, TraceContext.headersSetter)
 * ```
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

/** A span as propagation needs it (both lines' Effect spans fit). */
export interface SpanIds {
  readonly traceId: string
  readonly spanId: string
  readonly sampled: boolean
}

export interface Extracted {
  /** Everything the propagator found: baggage, remote span context. */
  readonly context: OtelContext
  /** The remote span to parent a server span on, when the carrier held a valid one. */
  readonly parent: SpanIds | undefined
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
    ? {
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      sampled: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
    }
    : undefined
  return { context, parent }
}

/**
 * The OpenTelemetry context to inject for `span`: its ids and sampling flag, the incoming trace
 * state when the span continues the incoming trace, and the incoming baggage.
 */
export const contextFor = (span: SpanIds | undefined, incoming: OtelContext): OtelContext => {
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
 * Injects the context of `span` and the incoming baggage into `carrier`. A propagator that throws
 * injects nothing rather than failing the call it would annotate.
 */
export const inject = <Carrier>(
  propagator: TextMapPropagator,
  span: SpanIds | undefined,
  incoming: OtelContext,
  carrier: Carrier,
  setter: TextMapSetter<Carrier>
): void => {
  try {
    propagator.inject(contextFor(span, incoming), carrier, setter)
  } catch {
    // A broken custom propagator must not break the request it would annotate.
  }
}

/** Header records as both lines' platforms keep them: lower-case names. */
export const headersGetter: TextMapGetter<Readonly<Record<string, string | undefined>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()]
}

export const headersSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key.toLowerCase()] = value
  }
}
