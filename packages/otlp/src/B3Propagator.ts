/**
 * B3 propagation (https://github.com/openzipkin/b3-propagation), single header (`b3`) and
 * multiple headers (`X-B3-*`), on the OpenTelemetry API alone. The toolkit's own, so that a service
 * does not install the official propagator, whose exact `@opentelemetry/core` pin nests a second
 * copy of the SDK core. Its behaviour matches the official propagator's (a property test checks it),
 * quirks included, so that services keep talking to each other the same way.
 */
import {
  type Context,
  createContextKey,
  isSpanContextValid,
  isValidSpanId,
  isValidTraceId,
  type SpanContext,
  trace,
  TraceFlags,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter
} from "@opentelemetry/api"
import { isTracingSuppressed } from "@opentelemetry/core"

export const SINGLE_HEADER = "b3"
export const TRACE_ID_HEADER = "x-b3-traceid"
export const SPAN_ID_HEADER = "x-b3-spanid"
export const SAMPLED_HEADER = "x-b3-sampled"
export const FLAGS_HEADER = "x-b3-flags"
export const PARENT_SPAN_ID_HEADER = "x-b3-parentspanid"

/**
 * Where an extracted debug decision (`d` in the single header, `X-B3-Flags: 1`) is kept until the
 * next injection. The API's context keys are `Symbol.for(description)`: this is the same key the
 * official propagator uses, so a context passes from one to the other unchanged.
 */
export const DEBUG_FLAG_KEY = createContextKey("OpenTelemetry Context Key B3 Debug Flag")

/** The first value of a header a carrier may hold several times. */
const first = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value as string | undefined

/** The span context to inject, unless there is none valid or tracing is suppressed. */
const injectable = (context: Context): SpanContext | undefined => {
  const spanContext = trace.getSpanContext(context)
  return spanContext !== undefined && isSpanContextValid(spanContext) && !isTracingSuppressed(context)
    ? spanContext
    : undefined
}

const remote = (context: Context, traceId: string, spanId: string, traceFlags: number): Context =>
  trace.setSpanContext(context, { traceId, spanId, isRemote: true, traceFlags })

/**
 * `{TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`, lower-case hex, found anywhere in the
 * value (as the official propagator does). A 64-bit trace id is left-padded to 128 bits; the
 * sampling state counts only when no hex digit follows it.
 */
const SINGLE_VALUE = /([0-9a-f]{32}|[0-9a-f]{16})-([0-9a-f]{16})(?:-([01d])(?![0-9a-f]))?/

/** The `b3` header alone. */
export class B3SinglePropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = injectable(context)
    if (spanContext === undefined) return
    // An extracted debug flag is sent on; otherwise the sampled bit.
    const state = context.getValue(DEBUG_FLAG_KEY) || spanContext.traceFlags & TraceFlags.SAMPLED
    setter.set(carrier, SINGLE_HEADER, `${spanContext.traceId}-${spanContext.spanId}-${state}`)
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const value = first(getter.get(carrier, SINGLE_HEADER))
    if (typeof value !== "string") return context
    const match = SINGLE_VALUE.exec(value)
    if (match === null) return context
    const traceId = match[1]!.padStart(32, "0")
    const spanId = match[2]!
    const state = match[3]
    if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return context
    const sampled = state === "1" || state === "d"
    const withDebug = state === "d" ? context.setValue(DEBUG_FLAG_KEY, state) : context
    return remote(withDebug, traceId, spanId, sampled ? TraceFlags.SAMPLED : TraceFlags.NONE)
  }

  fields(): Array<string> {
    return [SINGLE_HEADER]
  }
}

/** `X-B3-Sampled` values meaning yes and no; anything else makes the headers invalid. */
const SAMPLED = new Set<unknown>([true, "true", "True", "1", 1])
const NOT_SAMPLED = new Set<unknown>([false, "false", "False", "0", 0])

/** The `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled` / `X-B3-Flags` headers. */
export class B3MultiPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = injectable(context)
    if (spanContext === undefined) return
    setter.set(carrier, TRACE_ID_HEADER, spanContext.traceId)
    setter.set(carrier, SPAN_ID_HEADER, spanContext.spanId)
    // The spec: debug implies sampled, and the sampled header is then not sent.
    if (context.getValue(DEBUG_FLAG_KEY) === "1") {
      setter.set(carrier, FLAGS_HEADER, "1")
    } else if (spanContext.traceFlags !== undefined) {
      // A span context from plain JavaScript may carry no decision: the header is then absent.
      setter.set(carrier, SAMPLED_HEADER, (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? "1" : "0")
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const read = (header: string) => first(getter.get(carrier, header))
    const rawTraceId = read(TRACE_ID_HEADER)
    const rawSpanId = read(SPAN_ID_HEADER)
    const traceId = typeof rawTraceId === "string" ? rawTraceId.padStart(32, "0") : ""
    const spanId = typeof rawSpanId === "string" ? rawSpanId : ""
    const debug = read(FLAGS_HEADER) === "1" ? "1" : undefined
    const sampled: unknown = read(SAMPLED_HEADER)
    const traceFlags = debug !== undefined || SAMPLED.has(sampled)
      ? TraceFlags.SAMPLED
      : sampled === undefined || NOT_SAMPLED.has(sampled)
      ? TraceFlags.NONE
      : undefined
    if (!isValidTraceId(traceId) || !isValidSpanId(spanId) || traceFlags === undefined) return context
    return remote(context.setValue(DEBUG_FLAG_KEY, debug), traceId, spanId, traceFlags)
  }

  fields(): Array<string> {
    return [TRACE_ID_HEADER, SPAN_ID_HEADER, FLAGS_HEADER, SAMPLED_HEADER, PARENT_SPAN_ID_HEADER]
  }
}

/**
 * B3 as the `b3` / `b3multi` propagator names mean it: injects one encoding, extracts either
 * (the single header when present, the multiple headers otherwise).
 */
export class B3Propagator implements TextMapPropagator {
  private readonly single = new B3SinglePropagator()
  private readonly multi = new B3MultiPropagator()
  private readonly injector: TextMapPropagator

  constructor(encoding: "single" | "multi") {
    this.injector = encoding === "multi" ? this.multi : this.single
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.injector.inject(context, carrier, setter)
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return first(getter.get(carrier, SINGLE_HEADER))
      ? this.single.extract(context, carrier, getter)
      : this.multi.extract(context, carrier, getter)
  }

  fields(): Array<string> {
    return this.injector.fields()
  }
}
