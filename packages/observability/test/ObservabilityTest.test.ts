import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { Observability, ObservabilityTest } from "../src/index.js"

const handleOrder = (id: string) =>
  Effect.gen(function*() {
    yield* Effect.void.pipe(Effect.withSpan("load-order"))
    yield* Metric.increment(Metric.counter("test_handled_orders_total"))
  }).pipe(Effect.withSpan("handle-order", { attributes: { "order.id": id } }))

describe("ObservabilityTest", () => {
  it.effect("reads back spans with parent links and metrics, and resets them", () =>
    Effect.gen(function*() {
      yield* handleOrder("o-1")
      const spans = yield* Observability.spans
      const parent = spans.find((span) => span.name === "handle-order")!
      const child = spans.find((span) => span.name === "load-order")!
      expect(child.parentSpanId).toBe(parent.spanId)
      expect(parent.attributes["order.id"]).toBe("o-1")
      expect(parent.resource["service.name"]).toBe("test")
      const handled = (yield* Observability.metrics).find((metric) => metric.name === "test_handled_orders_total")
      expect(handled?.points[0]?.value).toBe(1)

      yield* Observability.reset
      expect(yield* Observability.spans).toEqual([])
      yield* handleOrder("o-2")
      const again = (yield* Observability.metrics).find((metric) => metric.name === "test_handled_orders_total")
      expect(again?.points[0]?.value).toBe(1)
    }).pipe(Effect.provide(ObservabilityTest)))
})
