/**
 * Span limits and the span encoder over real OTLP/gRPC: what the receiver gets from a span that
 * records far more than it may keep, limits from config and from `OTEL_*_LIMIT` variables, and a
 * library instrumented with the OpenTelemetry API joining an Effect span's trace.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as OtelApi from "@opentelemetry/api"
import { Effect, Tracer } from "effect"
import { Observability, ObservabilityLive } from "../src/index.js"
import { runOn, withEnv } from "./support.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())
beforeEach(() => receiver.reset())

const tracingTo = () => ({ endpoint: receiver.endpoint, insecure: true })

/** One span with 20k attributes, 10k events of 3 attributes, 300 links and one 5 MB value. */
const overfull = Effect.gen(function*() {
  const span = yield* Effect.currentSpan
  for (let i = 0; i < 20_000; i++) span.attribute(`attribute.${i}`, i)
  span.attribute("attribute.0", "updated: a kept key may still change")
  for (let i = 0; i < 10_000; i++) span.event(`event ${i}`, BigInt(Date.now()) * 1_000_000n, { a: 1, b: 2, c: 3 })
}).pipe(
  Effect.withSpan("overfull", {
    links: Array.from({ length: 300 }, (_, i) => ({
      _tag: "SpanLink" as const,
      span: Tracer.externalSpan({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: (i + 1).toString(16).padStart(16, "0") }),
      attributes: { i }
    }))
  }),
  Effect.zipRight(Effect.void.pipe(Effect.withSpan("huge", { attributes: { body: "x".repeat(5_000_000) } })))
)

describe("span limits over OTLP/gRPC", () => {
  it.live("keeps the spec's 128 attributes, events and links by default, cuts long values, and says what it dropped", () =>
    Effect.gen(function*() {
      yield* runOn(Observability.layer({ service: { name: "limits" }, config: { tracing: tracingTo(), metrics: { enabled: false } } }), overfull)
      const span = receiver.spans().find((s) => s.name === "overfull")!
      expect(Object.keys(span.attributes)).toHaveLength(128)
      expect(span.attributes["attribute.0"]).toBe("updated: a kept key may still change")
      expect(span.dropped).toEqual({ attributes: 19_872, events: 9_872, links: 172 })
      expect(span.events).toHaveLength(128)
      expect(span.links).toHaveLength(128)
      const huge = receiver.spans().find((s) => s.name === "huge")!
      expect(huge.attributes["body"]).toBe("x".repeat(8_192))
    }))

  it.live("takes the limits from the config, and per event and per link", () =>
    Effect.gen(function*() {
      yield* runOn(
        Observability.layer({
          service: { name: "limits" },
          config: {
            tracing: tracingTo(),
            metrics: { enabled: false },
            limits: { attributeCountLimit: 10, eventCountLimit: 5, linkCountLimit: 2, eventAttributeCountLimit: 1, linkAttributeCountLimit: 1, attributeValueLengthLimit: 100 }
          }
        }),
        overfull
      )
      const span = receiver.spans().find((s) => s.name === "overfull")!
      expect(span.dropped).toEqual({ attributes: 19_990, events: 9_995, links: 298 })
      expect(span.events.map((e) => [Object.keys(e.attributes).length, e.droppedAttributes])).toEqual(Array(5).fill([1, 2]))
      expect(span.links.map((l) => Object.keys(l.attributes).length)).toEqual([1, 1])
      expect(receiver.spans().find((s) => s.name === "huge")!.attributes["body"]).toBe("x".repeat(100))
    }))

  it.live("reads OTEL_SPAN_*_LIMIT, OTEL_*_ATTRIBUTE_COUNT_LIMIT and OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, the span-specific ones first", () =>
    Effect.gen(function*() {
      yield* runOn(ObservabilityLive, overfull).pipe(withEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}`,
        OTEL_METRICS_EXPORTER: "none",
        OTEL_ATTRIBUTE_COUNT_LIMIT: "50",
        OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: "20",
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: "7",
        OTEL_SPAN_EVENT_COUNT_LIMIT: "3",
        OTEL_SPAN_LINK_COUNT_LIMIT: "4",
        OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: "2",
        OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: "0x"
      }))
      const span = receiver.spans().find((s) => s.name === "overfull")!
      expect(Object.keys(span.attributes)).toHaveLength(20)
      expect(span.dropped).toEqual({ attributes: 19_980, events: 9_997, links: 296 })
      expect(span.events.map((e) => e.droppedAttributes)).toEqual([1, 1, 1])
      // The unparseable link limit is ignored (with a warning): the default keeps the one attribute.
      expect(span.links.map((l) => Object.keys(l.attributes).length)).toEqual([1, 1, 1, 1])
      expect(receiver.spans().find((s) => s.name === "huge")!.attributes["body"]).toBe("xxxxxxx")
    }))
})

describe("OpenTelemetry API interop over OTLP/gRPC", () => {
  it.live("a library's span made with trace.getTracer inside Effect.withSpan arrives as its child, with the library's scope", () =>
    Effect.gen(function*() {
      const program = Effect.gen(function*() {
        yield* Effect.sync(() => OtelApi.trace.getTracer("some-library", "2.0.0").startSpan("library-call").end())
        yield* Effect.promise(() =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              OtelApi.trace.getTracer("some-library").startActiveSpan("in-callback", (span) => span.end())
              resolve()
            }, 1)
          )
        )
      }).pipe(Effect.withSpan("business"))
      yield* runOn(Observability.layer({ service: { name: "interop" }, config: { tracing: tracingTo(), metrics: { enabled: false } } }), program)
      const spans = receiver.spans()
      const business = spans.find((s) => s.name === "business")!
      for (const name of ["library-call", "in-callback"]) {
        const library = spans.find((s) => s.name === name)!
        expect(library.traceId).toBe(business.traceId)
        expect(library.parentSpanId).toBe(business.spanId)
        expect(library.scope.name).toBe("some-library")
        expect(library.resource["service.name"]).toBe("interop")
      }
      expect(business.scope.name).toBe("interop")
    }))
})
