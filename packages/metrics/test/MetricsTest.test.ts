import { describe, expect, it } from "@effect/vitest"
import * as OtelApi from "@opentelemetry/api"
import { Effect, Metric, MetricBoundaries } from "effect"
import { MetricsTest } from "../src/index.js"

describe("MetricsTest", () => {
  it.effect("reads back Effect counters and histograms and OpenTelemetry-API instruments", () =>
    Effect.gen(function*() {
      const orders = Metric.counter("test_orders_total").pipe(Metric.tagged("region", "eu"))
      const latency = Metric.histogram("test_latency_ms", MetricBoundaries.fromIterable([10, 100]))
      yield* Metric.increment(orders)
      yield* Metric.increment(orders)
      yield* Metric.update(latency, 5)
      yield* Metric.update(latency, 50)
      OtelApi.metrics.getMeter("test").createCounter("test_api_calls").add(3, { route: "/a" })

      const collected = yield* MetricsTest.collect
      const byName = new Map(collected.map((metric) => [metric.name, metric]))
      expect(byName.get("test_orders_total")!.points).toMatchObject([{ attributes: { region: "eu" }, value: 2 }])
      expect(byName.get("test_latency_ms")!.points[0]).toMatchObject({ count: 2, sum: 55 })
      expect(byName.get("test_api_calls")!.points).toMatchObject([{ attributes: { route: "/a" }, value: 3 }])
    }).pipe(Effect.provide(MetricsTest.layer())))

  it.effect("reset starts the metrics again from nothing", () =>
    Effect.gen(function*() {
      const jobs = Metric.counter("test_jobs_total")
      yield* Metric.incrementBy(jobs, 5)
      yield* MetricsTest.reset
      expect(yield* MetricsTest.find("test_jobs_total")).toBeUndefined()
      yield* Metric.increment(jobs)
      const after = yield* MetricsTest.find("test_jobs_total")
      expect(after!.points[0]!.value).toBe(1)
    }).pipe(Effect.provide(MetricsTest.layer())))
})
