import { describe, expect, it } from "@effect/vitest"
import { metrics as otelMetrics } from "@opentelemetry/api"
import { Effect, Fiber, Metric, MetricBoundaries, TestClock } from "effect"
import { Observability, ObservabilityTest } from "../src/index.js"

const handleOrder = (id: string) =>
  Effect.gen(function*() {
    yield* Effect.void.pipe(Effect.withSpan("load-order"))
    yield* Metric.increment(Metric.counter("test_handled_orders_total"))
  }).pipe(Effect.withSpan("handle-order", { attributes: { "order.id": id } }))

/** Business code that waits: a retry back-off, a poll interval. */
const slowCharge = Effect.gen(function*() {
  yield* Effect.sleep("20 millis").pipe(Effect.withSpan("charge-attempt"))
  yield* Effect.sleep("1 second")
  yield* Effect.logInfo("charged")
}).pipe(Effect.withSpan("charge"))

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

  it.effect("under it.effect, business code that sleeps finishes at once and spans follow the TestClock", () =>
    Effect.gen(function*() {
      yield* slowCharge
      const spans = yield* Observability.spans
      expect(spans.find((span) => span.name === "charge-attempt")?.durationMicros).toBe(20_000)
      expect(spans.find((span) => span.name === "charge")?.durationMicros).toBe(1_020_000)
    }).pipe(Effect.provide(ObservabilityTest)), 5_000)

  it.effect("advanceClock: false leaves the TestClock to the test", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(slowCharge)
      yield* TestClock.adjust("20 millis")
      expect((yield* Observability.spans).map((span) => span.name)).toEqual(["charge-attempt"])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect((yield* Observability.spans).map((span) => span.name)).toEqual(["charge-attempt", "charge"])
    }).pipe(Effect.provide(Observability.layerTest({ advanceClock: false }))), 5_000)

  it.live("under it.live, spans measure real time", () =>
    Effect.gen(function*() {
      yield* Effect.sleep("20 millis").pipe(Effect.withSpan("real-wait"))
      const [span] = yield* Observability.spans
      expect(span?.durationMicros).toBeGreaterThanOrEqual(19_000)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.effect("span status, events and links can be asserted", () =>
    Effect.gen(function*() {
      const first = yield* Effect.makeSpanScoped("upstream").pipe(Effect.scoped)
      yield* Effect.gen(function*() {
        yield* Effect.annotateCurrentSpan("order.id", "o-9")
        const span = yield* Effect.currentSpan
        span.event("card-declined", BigInt(0), { "decline.code": "51" })
        return yield* Effect.fail("declined")
      }).pipe(
        Effect.withSpan("checkout", { links: [{ _tag: "SpanLink", span: first, attributes: { reason: "batch" } }] }),
        Effect.ignore
      )
      const checkout = (yield* Observability.spans).find((span) => span.name === "checkout")!
      expect(checkout.status).toBe("error")
      expect(checkout.events.map((event) => event.name)).toContain("card-declined")
      expect(checkout.events.find((event) => event.name === "card-declined")?.attributes).toMatchObject({ "decline.code": "51" })
      expect(checkout.links).toEqual([{ traceId: first.traceId, spanId: first.spanId, attributes: { reason: "batch" } }])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.effect("Observability.logs reads the log records written in the test, with their span ids", () =>
    Effect.gen(function*() {
      yield* Effect.logInfo("outside")
      yield* slowCharge
      const logs = yield* Observability.logs
      const charge = (yield* Observability.spans).find((span) => span.name === "charge")!
      expect(logs.find((log) => log.message === "outside")).toMatchObject({ level: "INFO", spanId: undefined })
      expect(logs.find((log) => log.message === "charged")).toMatchObject({
        level: "INFO",
        traceId: charge.traceId,
        spanId: charge.spanId
      })
      yield* Observability.reset
      expect(yield* Observability.logs).toEqual([])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.effect("after reset, every instrument kind reads exactly what followed (histogram min/max included)", () =>
    Effect.gen(function*() {
      const boundaries = MetricBoundaries.fromIterable([10, 50, 100])
      const histogram = Metric.histogram("reset_test_histogram", boundaries)
      const counter = Metric.counter("reset_test_counter")
      const gauge = Metric.gauge("reset_test_gauge")
      const summary = Metric.summary({ name: "reset_test_summary", maxAge: "1 hour", maxSize: 100, error: 0.01, quantiles: [0.5] })
      const frequency = Metric.frequency("reset_test_frequency")
      const meter = otelMetrics.getMeter("reset-test")
      const apiHistogram = meter.createHistogram("reset_test_api_histogram")
      const apiCounter = meter.createCounter("reset_test_api_counter")

      yield* Metric.update(histogram, 10)
      yield* Metric.update(histogram, 500)
      yield* Metric.incrementBy(counter, 5)
      yield* Metric.set(gauge, 3)
      yield* Metric.update(summary, 1)
      yield* Metric.update(frequency, "a")
      apiHistogram.record(10)
      apiCounter.add(5)
      yield* Observability.metrics

      yield* Observability.reset
      yield* Metric.update(histogram, 42)
      yield* Metric.increment(counter)
      yield* Metric.set(gauge, 7)
      yield* Metric.update(summary, 42)
      yield* Metric.update(frequency, "b")
      apiHistogram.record(42)
      apiCounter.add(1)

      const read = yield* Observability.metrics
      const point = (name: string) => read.find((metric) => metric.name === name)?.points ?? []
      expect(point("reset_test_histogram")).toEqual([
        expect.objectContaining({ count: 1, sum: 42, min: 42, max: 42, bucketCounts: [0, 1, 0, 0] })
      ])
      expect(point("reset_test_counter")).toEqual([expect.objectContaining({ value: 1 })])
      expect(point("reset_test_gauge")).toEqual([expect.objectContaining({ value: 7 })])
      expect(point("reset_test_summary_count")).toEqual([expect.objectContaining({ value: 1 })])
      expect(point("reset_test_summary_sum")).toEqual([expect.objectContaining({ value: 42 })])
      expect(point("reset_test_summary_quantiles").map((p) => [p.attributes["quantile"], p.value])).toEqual(
        expect.arrayContaining([["min", 42], ["max", 42], ["0.5", 42]])
      )
      expect(point("reset_test_frequency").map((p) => [p.attributes["key"], p.value])).toEqual([["b", 1]])
      expect(point("reset_test_api_histogram")).toEqual([expect.objectContaining({ count: 1, sum: 42, min: 42, max: 42 })])
      expect(point("reset_test_api_counter")).toEqual([expect.objectContaining({ value: 1 })])
      // Read twice, the same.
      expect(yield* Observability.metrics).toEqual(read.map((metric) => expect.objectContaining({ name: metric.name })))
    }).pipe(Effect.provide(ObservabilityTest)))
})
