/** Spans made through the OpenTelemetry API and Effect spans join one trace, both ways. */
import { describe, expect, it } from "@effect/vitest"
import * as OtelApi from "@opentelemetry/api"
import { Effect, Runtime } from "effect"
import { TracingTest } from "../src/index.js"

describe("OpenTelemetry API interop", () => {
  it.effect("a library span started with trace.getTracer inside Effect.withSpan is its child", () =>
    Effect.gen(function*() {
      yield* Effect.sync(() => OtelApi.trace.getTracer("some-library").startSpan("library-call").end()).pipe(
        Effect.withSpan("business")
      )
      const spans = yield* TracingTest.spans
      const business = spans.find((span) => span.name === "business")!
      const library = spans.find((span) => span.name === "library-call")!
      expect(library.traceId).toBe(business.traceId)
      expect(library.parentSpanId).toBe(business.spanId)
    }).pipe(Effect.provide(TracingTest.layer())))

  it.live("a span started in a callback the business code scheduled is still its child", () =>
    Effect.gen(function*() {
      yield* Effect.promise(() =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            OtelApi.trace.getTracer("some-library").startSpan("in-timer").end()
            resolve()
          }, 1)
        )
      ).pipe(Effect.withSpan("business"))
      // A fiber without a span must not inherit the previous fiber's span.
      yield* Effect.sync(() => OtelApi.trace.getTracer("some-library").startSpan("outside").end())
      const spans = yield* TracingTest.spans
      const business = spans.find((span) => span.name === "business")!
      expect(spans.find((span) => span.name === "in-timer")!.parentSpanId).toBe(business.spanId)
      expect(spans.find((span) => span.name === "outside")!.parentSpanId).toBeUndefined()
    }).pipe(Effect.provide(TracingTest.layer())))

  it.effect("an Effect root span run inside an active OpenTelemetry span is its child", () =>
    Effect.gen(function*() {
      const runtime = yield* Effect.runtime<never>()
      const outer = OtelApi.trace.getTracer("http-instrumentation").startSpan("incoming")
      OtelApi.context.with(OtelApi.trace.setSpan(OtelApi.context.active(), outer), () =>
        Runtime.runSync(runtime)(Effect.void.pipe(Effect.withSpan("handler"))))
      outer.end()
      const spans = yield* TracingTest.spans
      const handler = spans.find((span) => span.name === "handler")!
      expect(handler.parentSpanId).toBe(outer.spanContext().spanId)
      expect(handler.traceId).toBe(outer.spanContext().traceId)
      expect(spans.map((span) => span.name)).toEqual(["handler", "incoming"])
    }).pipe(Effect.provide(TracingTest.layer())))
})
