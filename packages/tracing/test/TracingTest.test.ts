import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TracingTest } from "../src/index.js"

describe("TracingTest", () => {
  it.effect("reads back nested Effect.withSpan spans with parent links and attributes", () =>
    Effect.gen(function*() {
      yield* Effect.annotateCurrentSpan("order.id", "o-1").pipe(
        Effect.withSpan("charge-card", { attributes: { "payment.provider": "acme" } }),
        Effect.withSpan("checkout")
      )
      const spans = yield* TracingTest.spans
      expect(spans.map((span) => span.name)).toEqual(["charge-card", "checkout"])
      const [child, parent] = spans
      expect(child!.parentSpanId).toBe(parent!.spanId)
      expect(child!.traceId).toBe(parent!.traceId)
      expect(parent!.parentSpanId).toBeUndefined()
      expect(child!.attributes).toMatchObject({ "payment.provider": "acme", "order.id": "o-1" })
      expect(child!.status).toBe("ok")
      yield* TracingTest.reset
      expect(yield* TracingTest.spans).toEqual([])
    }).pipe(Effect.provide(TracingTest.layer())))

  it.effect("marks a failed span as an error with the failure's message", () =>
    Effect.gen(function*() {
      yield* Effect.fail(new Error("card declined")).pipe(Effect.withSpan("charge-card"), Effect.ignore)
      const [span] = yield* TracingTest.spans
      expect(span!.status).toBe("error")
      expect(span!.statusMessage).toBe("card declined")
      expect(span!.events.map((event) => event.name)).toContain("exception")
    }).pipe(Effect.provide(TracingTest.layer())))
})
