import { describe, expect, it } from "@effect/vitest"
import * as OtelApi from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { ObservabilityTest } from "../src/index.js"

const orders = Metric.counter("orders_placed_total", { incremental: true })
const amount = Metric.histogram("order_amount_eur", { boundaries: Metric.boundariesFromIterable([10, 50, 100, 500]) })
const depth = Metric.gauge("queue_depth")
const latency = Metric.summary("latency_ms", { maxAge: "1 minute", maxSize: 100, quantiles: [0.5] })
const statuses = Metric.frequency("status_codes")

const find = (name: string) =>
  Effect.map(ObservabilityTest.metrics, (metrics) => metrics.find((metric) => metric.name === name))

const placeOrder = (id: string, value: number) =>
  Effect.gen(function*() {
    yield* Effect.sleep("20 millis").pipe(Effect.withSpan("charge-card", { kind: "client" }))
    yield* Metric.update(orders, 1)
    yield* Metric.update(amount, value)
    yield* Effect.logInfo(`order ${id} placed`)
  }).pipe(Effect.withSpan("place-order", { attributes: { "order.id": id } }))

describe("ObservabilityTest metrics and logs (Effect 4)", () => {
  it.effect("the README's test: spans, a counter and a log record with its span", () =>
    Effect.gen(function*() {
      yield* placeOrder("o-1", 42)
      const spans = yield* ObservabilityTest.spans
      const parent = spans.find((span) => span.name === "place-order")!
      expect(spans.find((span) => span.name === "charge-card")?.durationMicros).toBe(20_000)
      expect((yield* find("orders_placed_total"))?.points[0]?.value).toBe(1)
      const placed = (yield* ObservabilityTest.logs).find((log) => log.message === "order o-1 placed")!
      expect(placed.spanId).toBe(parent.spanId)
      expect(placed.traceId).toBe(parent.traceId)
      expect(placed.level).toBe("INFO")
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("after reset, a counter and a histogram read back exactly (count, sum, min, max, buckets)", () =>
    Effect.gen(function*() {
      yield* placeOrder("o-1", 700)
      yield* placeOrder("o-2", 5)
      expect((yield* find("orders_placed_total"))?.points[0]?.value).toBe(2)
      yield* ObservabilityTest.reset
      expect(yield* find("orders_placed_total")).toBeUndefined()
      expect(yield* find("order_amount_eur")).toBeUndefined()
      expect(yield* ObservabilityTest.spans).toEqual([])
      expect(yield* ObservabilityTest.logs).toEqual([])
      yield* placeOrder("o-3", 42)
      yield* placeOrder("o-4", 60)
      expect((yield* find("orders_placed_total"))?.points).toMatchObject([{ value: 2 }])
      const [point] = (yield* find("order_amount_eur"))?.points ?? []
      expect(point).toMatchObject({ count: 2, sum: 102, min: 42, max: 60, boundaries: [10, 50, 100, 500], bucketCounts: [0, 1, 1, 0, 0] })
      expect((yield* ObservabilityTest.logs).map((log) => log.message)).toEqual(["order o-3 placed", "order o-4 placed"])
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("after reset: summaries and frequencies start again, gauges keep their value", () =>
    Effect.gen(function*() {
      yield* Metric.update(depth, 7)
      for (const value of [100, 200]) yield* Metric.update(latency, value)
      yield* Metric.update(statuses, "500")
      yield* ObservabilityTest.reset
      for (const value of [1, 3]) yield* Metric.update(latency, value)
      yield* Metric.update(statuses, "200")
      expect((yield* find("queue_depth"))?.points[0]?.value).toBe(7)
      const quantiles = (yield* find("latency_ms_quantiles"))?.points.map((point) => [point.attributes["quantile"], point.value])
      expect(quantiles).toEqual([["min", 1], ["0.5", 1], ["max", 3]])
      expect((yield* find("latency_ms_count"))?.points[0]?.value).toBe(2)
      expect((yield* find("latency_ms_sum"))?.points[0]?.value).toBe(4)
      expect((yield* find("status_codes"))?.points.map((point) => [point.attributes["key"], point.value])).toEqual([["200", 1]])
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("OpenTelemetry-API instruments go through the same provider, exact after reset", () =>
    Effect.gen(function*() {
      const meter = OtelApi.metrics.getMeter("library")
      const calls = meter.createCounter("library_calls_total")
      const sizes = meter.createHistogram("library_payload_bytes", { advice: { explicitBucketBoundaries: [100, 1000] } })
      calls.add(5, { route: "/a" })
      sizes.record(50)
      expect((yield* find("library_calls_total"))?.points).toMatchObject([{ attributes: { route: "/a" }, value: 5 }])
      yield* ObservabilityTest.reset
      calls.add(2, { route: "/a" })
      yield* ObservabilityTest.metrics
      calls.add(1, { route: "/a" })
      sizes.record(500)
      sizes.record(2000)
      expect((yield* find("library_calls_total"))?.points).toMatchObject([{ value: 3 }])
      expect((yield* find("library_payload_bytes"))?.points).toMatchObject([{ count: 2, sum: 2500, min: 500, max: 2000, bucketCounts: [0, 1, 1] }])
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("each layer build has its own metric registry: a test never sees another's metrics", () =>
    Effect.gen(function*() {
      yield* Metric.update(orders, 1).pipe(Effect.provide(ObservabilityTest.layer()))
      expect(yield* find("orders_placed_total")).toBeUndefined()
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("runtime metrics are collected beside Effect's, as on the Effect 3 line", () =>
    Effect.gen(function*() {
      const names = (yield* ObservabilityTest.metrics).map((metric) => metric.name)
      expect(names).toContain("process.memory.usage")
      expect(names).toContain("v8js.memory.heap.used")
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("a log outside any span has no ids; annotations are kept", () =>
    Effect.gen(function*() {
      yield* Effect.logWarning("low stock").pipe(Effect.annotateLogs({ sku: "A-1" }))
      const [record] = yield* ObservabilityTest.logs
      expect(record).toMatchObject({ level: "WARN", message: "low stock", annotations: { sku: "A-1" }, spanId: undefined, traceId: undefined })
    }).pipe(Effect.provide(ObservabilityTest.layer())))
})
