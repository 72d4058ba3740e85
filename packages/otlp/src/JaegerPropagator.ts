/**
 * Jaeger propagation (https://www.jaegertracing.io/docs/client-libraries/#propagation-format):
 * `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}` and one `uberctx-{key}` header
 * per baggage entry, on the OpenTelemetry API alone. The toolkit's own, so that a service does not
 * install the official propagator, whose exact `@opentelemetry/core` pin nests a second copy of the
 * SDK core. Its behaviour matches the official propagator's (a property test checks it).
 */
import {
  type Context,
  propagation,
  type SpanContext,
  trace,
  TraceFlags,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter
} from "@opentelemetry/api"
import { isTracingSuppressed } from "@opentelemetry/core"

export const TRACE_HEADER = "uber-trace-id"
export const BAGGAGE_PREFIX = "uberctx-"

const first = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value as string | undefined

const decode = (value: string): string | undefined => {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

/** One or two hex digits: the flags field; only its sampled bit is kept. */
const FLAGS = /^[0-9a-f]{1,2}$/i

/**
 * The span context of an `uber-trace-id` value, which may arrive URL-encoded (`%3A` for `:`).
 * Ids shorter than 128/64 bits are left-padded; the parent span id is deprecated and ignored;
 * flags that are not hex count as sampled. The ids are not checked here: an invalid one gives an
 * invalid span context, which the API treats as none.
 */
const parseTraceHeader = (value: string): SpanContext | undefined => {
  const fields = decode(value)?.split(":")
  if (fields === undefined || fields.length !== 4) return undefined
  const [traceId, spanId, , flags] = fields as [string, string, string, string]
  return {
    traceId: traceId.padStart(32, "0"),
    spanId: spanId.padStart(16, "0"),
    isRemote: true,
    traceFlags: FLAGS.test(flags) ? parseInt(flags, 16) & TraceFlags.SAMPLED : TraceFlags.SAMPLED
  }
}

export class JaegerPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (spanContext !== undefined && !isTracingSuppressed(context)) {
      // The parent span id field is deprecated: always 0. Flags are sent as hex after a `0`.
      const flags = `0${(spanContext.traceFlags || TraceFlags.NONE).toString(16)}`
      setter.set(carrier, TRACE_HEADER, `${spanContext.traceId}:${spanContext.spanId}:0:${flags}`)
    }
    for (const [key, entry] of propagation.getBaggage(context)?.getAllEntries() ?? []) {
      setter.set(carrier, `${BAGGAGE_PREFIX}${key}`, encodeURIComponent(entry.value))
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const traceValue = first(getter.get(carrier, TRACE_HEADER))
    const spanContext = typeof traceValue === "string" ? parseTraceHeader(traceValue) : undefined
    const withSpan = spanContext === undefined ? context : trace.setSpanContext(context, spanContext)
    const baggageKeys = getter.keys(carrier).filter((key) => key.startsWith(BAGGAGE_PREFIX))
    if (baggageKeys.length === 0) return withSpan
    // Entries join the baggage already in the context; a value that does not decode is dropped.
    let baggage = propagation.getBaggage(context) ?? propagation.createBaggage()
    for (const key of baggageKeys) {
      const raw = first(getter.get(carrier, key))
      const value = raw === undefined ? undefined : decode(raw)
      if (value !== undefined) baggage = baggage.setEntry(key.slice(BAGGAGE_PREFIX.length), { value })
    }
    return propagation.setBaggage(withSpan, baggage)
  }

  fields(): Array<string> {
    return [TRACE_HEADER]
  }
}
