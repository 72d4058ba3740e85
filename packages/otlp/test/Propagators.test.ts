/**
 * The toolkit's own B3 and Jaeger propagators against the official ones (devDependencies, for this
 * test only): for random span contexts, baggage and header values, valid and invalid, both inject
 * the same headers and extract the same span context, sampled flag, B3 debug flag and baggage.
 */
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
  type TextMapPropagator
} from "@opentelemetry/api"
import { suppressTracing } from "@opentelemetry/core"
import * as Official from "@opentelemetry/propagator-b3"
import * as OfficialJaeger from "@opentelemetry/propagator-jaeger"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fromNames } from "../src/Propagators.js"
import { B3Propagator, DEBUG_FLAG_KEY } from "../src/B3Propagator.js"
import { JaegerPropagator } from "../src/JaegerPropagator.js"

const RUNS = 400

const ours = {
  b3: new B3Propagator("single"),
  b3multi: new B3Propagator("multi"),
  jaeger: new JaegerPropagator()
}
const official = {
  b3: new Official.B3Propagator({ injectEncoding: Official.B3InjectEncoding.SINGLE_HEADER }),
  b3multi: new Official.B3Propagator({ injectEncoding: Official.B3InjectEncoding.MULTI_HEADER }),
  jaeger: new OfficialJaeger.JaegerPropagator()
}
const NAMES = ["b3", "b3multi", "jaeger"] as const

// --- Arbitraries ------------------------------------------------------------------------------

const hexChar = fc.constantFrom(..."0123456789abcdef")
const hex = (length: number) => fc.string({ unit: hexChar, minLength: length, maxLength: length })
/** Ids as they come: the right length, 64-bit trace ids, all zeros, upper case, wrong lengths, not hex. */
const id = (length: number) =>
  fc.oneof(
    { weight: 6, arbitrary: hex(length) },
    { weight: 2, arbitrary: hex(16) },
    { weight: 1, arbitrary: fc.constant("0".repeat(length)) },
    { weight: 1, arbitrary: hex(length).map((value) => value.toUpperCase()) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }).chain(hex) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }
  )
const traceId = id(32)
const spanId = id(16)

const spanContext: fc.Arbitrary<SpanContext> = fc.record({
  traceId,
  spanId,
  // `undefined`: a span context built in plain JavaScript.
  traceFlags: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(undefined as unknown as number)),
  isRemote: fc.boolean()
})

const baggageKey = fc.stringMatching(/^[a-z][a-z0-9_.]{0,12}$/)
const baggage = fc.dictionary(baggageKey, fc.string({ maxLength: 20 }), { maxKeys: 4 })

/** A context to inject from: a span context, maybe a B3 debug flag, maybe baggage, maybe suppressed. */
const injectContext = fc.record({
  span: fc.option(spanContext, { nil: undefined }),
  debug: fc.constantFrom(undefined, "1", "d", "0", "x"),
  baggage: fc.option(baggage, { nil: undefined }),
  suppressed: fc.boolean()
}).map(({ baggage: entries, debug, span, suppressed }) => {
  let context: Context = ROOT_CONTEXT
  if (span !== undefined) context = trace.setSpanContext(context, span)
  if (debug !== undefined) context = context.setValue(DEBUG_FLAG_KEY, debug)
  if (entries !== undefined) {
    context = propagation.setBaggage(
      context,
      propagation.createBaggage(Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, { value }])))
    )
  }
  return suppressed ? suppressTracing(context) : context
})

const samplingState = fc.constantFrom("0", "1", "d", "true", "2", "1a", "")
/** A `b3` header: well formed, or with its parts mangled, or surrounded by noise, or random. */
const singleHeader = fc.oneof(
  fc.tuple(traceId, spanId, fc.option(samplingState), fc.option(id(16)), fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }))
    .map(([trace, span, state, parent, before, after]) =>
      `${before}${trace}-${span}${state === null ? "" : `-${state}`}${parent === null ? "" : `-${parent}`}${after}`
    ),
  fc.constantFrom("0", "1", "d"),
  fc.string({ maxLength: 80 })
)
const sampledValue = fc.constantFrom<unknown>(undefined, true, "true", "True", "1", 1, false, "false", "False", "0", 0, "yes", "TRUE", 2)
const flagsValue = fc.constantFrom<unknown>(undefined, "1", "0", "d", 1)

const flagsField = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((flags) => flags.toString(16)),
  fc.integer({ min: 0, max: 255 }).map((flags) => flags.toString(16).toUpperCase().padStart(2, "0")),
  fc.constantFrom("", "xyz", "100", "-1")
)
/** An `uber-trace-id`: four fields (padded or not), maybe URL-encoded or broken, or random. */
const uberTraceId = fc.oneof(
  fc.tuple(traceId, spanId, fc.constantFrom("0", "", "abc"), flagsField, fc.constantFrom("plain", "encoded", "extra field", "broken %"))
    .map(([trace, span, parent, flags, form]) => {
      const value = `${trace}:${span}:${parent}:${flags}`
      return form === "encoded"
        ? encodeURIComponent(value)
        : form === "extra field"
        ? `${value}:1`
        : form === "broken %"
        ? `${value}%E0%A4%A`
        : value
    }),
  fc.string({ maxLength: 80 })
)
const uberBaggageValue = fc.oneof(
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.string({ maxLength: 20 }),
  fc.constant("%zz")
)

/** Header values a carrier holds: a string, or several (the first counts). */
const maybeArray = <A>(value: fc.Arbitrary<A>) =>
  fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: fc.tuple(value, value).map((pair) => [...pair]) })

const carrier = fc.record({
  b3: fc.option(maybeArray(singleHeader), { nil: undefined }),
  "x-b3-traceid": fc.option(traceId, { nil: undefined }),
  "x-b3-spanid": fc.option(spanId, { nil: undefined }),
  "x-b3-sampled": sampledValue,
  "x-b3-flags": flagsValue,
  "uber-trace-id": fc.option(maybeArray(uberTraceId), { nil: undefined }),
  baggage: fc.dictionary(baggageKey.map((key) => `uberctx-${key}`), uberBaggageValue, { maxKeys: 3 })
}).map(({ baggage: entries, ...headers }) => {
  const present = Object.entries(headers).filter(([, value]) => value !== undefined)
  return { ...Object.fromEntries(present), ...entries } as Record<string, unknown>
})

/** A context to extract into: empty, or holding baggage and a debug flag already. */
const extractContext = fc.option(baggage, { nil: undefined }).map((entries) =>
  entries === undefined
    ? ROOT_CONTEXT
    : propagation.setBaggage(
      ROOT_CONTEXT.setValue(DEBUG_FLAG_KEY, "d"),
      propagation.createBaggage(Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, { value }])))
    )
)

// --- What a propagator's result is observed by ---------------------------------------------------

const injected = (propagator: TextMapPropagator, context: Context): Record<string, unknown> => {
  const headers: Record<string, unknown> = {}
  propagator.inject(context, headers, defaultTextMapSetter)
  return headers
}

const observed = (context: Context) => ({
  spanContext: trace.getSpanContext(context),
  debug: context.getValue(DEBUG_FLAG_KEY),
  baggage: propagation.getBaggage(context)?.getAllEntries().sort(([a], [b]) => a.localeCompare(b))
})

const extracted = (propagator: TextMapPropagator, context: Context, headers: Record<string, unknown>) =>
  observed(propagator.extract(context, headers, defaultTextMapGetter))

describe("the toolkit's B3 and Jaeger propagators", () => {
  for (const name of NAMES) {
    describe(name, () => {
      it("inject the same headers as the official propagator", () => {
        fc.assert(
          fc.property(injectContext, (context) => {
            expect(injected(ours[name], context)).toEqual(injected(official[name], context))
          }),
          { numRuns: RUNS }
        )
      })

      it("extract the same span context, sampled and debug flags and baggage", () => {
        fc.assert(
          fc.property(extractContext, carrier, (context, headers) => {
            expect(extracted(ours[name], context, headers)).toEqual(extracted(official[name], context, headers))
          }),
          { numRuns: RUNS }
        )
      })

      it("extract what the official propagator injected, as it does", () => {
        fc.assert(
          fc.property(injectContext, (context) => {
            const headers = injected(official[name], context)
            expect(extracted(ours[name], ROOT_CONTEXT, headers)).toEqual(extracted(official[name], ROOT_CONTEXT, headers))
          }),
          { numRuns: RUNS }
        )
      })

      it("name the same fields", () => {
        expect(ours[name].fields()).toEqual(official[name].fields())
      })
    })
  }

  it("read the spec's examples as the spec says", () => {
    const traceId = "80f198ee56343ba864fe8b2a57d3eff7"
    const spanId = "e457b5a2e4d86bd1"
    const read = (propagator: TextMapPropagator, headers: Record<string, string>) =>
      observed(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter))

    // B3 single: debug `d` means sampled and is kept for the next hop; a 64-bit trace id is padded.
    const debug = read(ours.b3, { b3: `${traceId}-${spanId}-d` })
    expect(debug.spanContext).toEqual({ traceId, spanId, traceFlags: 1, isRemote: true })
    expect(debug.debug).toBe("d")
    expect(read(ours.b3, { b3: `64fe8b2a57d3eff7-${spanId}-0` }).spanContext?.traceId).toBe(`${"0".repeat(16)}64fe8b2a57d3eff7`)
    // B3 multi: `X-B3-Sampled: true` is sampled; `X-B3-Flags: 1` is debug and implies sampled.
    const multi = { "x-b3-traceid": traceId, "x-b3-spanid": spanId }
    expect(read(ours.b3multi, { ...multi, "x-b3-sampled": "true" }).spanContext?.traceFlags).toBe(1)
    expect(read(ours.b3multi, { ...multi, "x-b3-flags": "1" })).toMatchObject({ debug: "1", spanContext: { traceFlags: 1 } })
    expect(read(ours.b3multi, { ...multi, "x-b3-sampled": "maybe" }).spanContext).toBeUndefined()
    // Jaeger: flags are hex (only the sampled bit counts), the value may be URL-encoded, ids padded.
    const jaeger = read(ours.jaeger, {
      "uber-trace-id": encodeURIComponent(`64fe8b2a57d3eff7:${spanId}:0:03`),
      "uberctx-user": "caf%C3%A9"
    })
    expect(jaeger.spanContext).toEqual({ traceId: `${"0".repeat(16)}64fe8b2a57d3eff7`, spanId, traceFlags: 1, isRemote: true })
    expect(jaeger.baggage).toEqual([["user", { value: "café" }]])
    expect(read(ours.jaeger, { "uber-trace-id": `${traceId}:${spanId}:0:2` }).spanContext?.traceFlags).toBe(0)
  })

  it("are what the b3, b3multi and jaeger config names build", () => {
    const context = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: "80f198ee56343ba864fe8b2a57d3eff7",
      spanId: "e457b5a2e4d86bd1",
      traceFlags: 1
    })
    expect(injected(fromNames(["b3"]), context)).toEqual({ b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1" })
    expect(injected(fromNames(["b3multi"]), context)).toEqual({
      "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7",
      "x-b3-spanid": "e457b5a2e4d86bd1",
      "x-b3-sampled": "1"
    })
    expect(injected(fromNames(["jaeger"]), context)).toEqual({
      "uber-trace-id": "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:01"
    })
  })
})
