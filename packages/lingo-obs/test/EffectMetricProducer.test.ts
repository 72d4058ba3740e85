import { describe, expect, it } from "@effect/vitest"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { DataPointType } from "@opentelemetry/sdk-metrics"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { readFileSync } from "node:fs"
import { buckets, EffectMetricProducer } from "../src/metrics/internal/effectMetricProducer.js"
import { normalize, type NormalizedMetric } from "./support/metricFixture.js"

/** What the Effect 3 line's producer emitted for the same recordings (fixtures/generateEffect3Metrics.mjs). */
const effect3: { readonly scope: string; readonly metrics: ReadonlyArray<NormalizedMetric> } = JSON.parse(
  readFileSync(new URL("fixtures/effect3-metrics.json", import.meta.url), "utf8")
)

/** The recordings of the fixture, on Effect 4's APIs. */
const record = Effect.gen(function*() {
  const requests = Metric.counter("requests_total", {
    description: "Requests served",
    incremental: true,
    attributes: { "http.response.status_code": "200", unit: "{request}" }
  })
  const active = Metric.counter("active_total")
  const bytes = Metric.counter("bytes_total", { bigint: true })
  const depth = Metric.gauge("queue_depth", { attributes: { unit: "By" } })
  const amount = Metric.histogram("order_amount_eur", {
    description: "Order amounts",
    boundaries: Metric.boundariesFromIterable([10, 50, 100, 500])
  })
  // Effect 4's boundary helper drops 0: boundaries that start at 0 (the semantic conventions' RPC ones) are passed as they are.
  const rpc = Metric.histogram("rpc_duration", { boundaries: [0, 5, 10], attributes: { time_unit: "milliseconds" } })
  const statuses = Metric.frequency("status_codes")
  const latency = Metric.summary("latency", { maxAge: "1 minute", maxSize: 100, quantiles: [0.5, 0.99] })
  yield* Metric.update(requests, 1)
  yield* Metric.update(requests, 2)
  yield* Metric.update(active, 2)
  yield* Metric.update(active, -1)
  yield* Metric.update(bytes, 1024n)
  yield* Metric.update(depth, 7)
  for (const value of [5, 42, 42, 700]) yield* Metric.update(amount, value)
  for (const value of [0, 3, 12]) yield* Metric.update(rpc, value)
  for (const value of ["200", "200", "500"]) yield* Metric.update(statuses, value)
  for (const value of [1, 2, 3, 4]) yield* Metric.update(latency, value)
  return yield* Effect.context<never>()
})

const produce = Effect.gen(function*() {
  const context = yield* record
  const { resourceMetrics } = yield* Effect.promise(() =>
    new EffectMetricProducer(resourceFromAttributes({ "service.name": "test" }), context).collect()
  )
  return resourceMetrics
}).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))

describe("EffectMetricProducer (Effect 4)", () => {
  it.live("emits what the Effect 3 line's producer emits for the same recordings, every kind", () =>
    Effect.gen(function*() {
      const resourceMetrics = yield* produce
      const [scope] = resourceMetrics.scopeMetrics
      expect(scope?.scope.name).toBe(effect3.scope)
      const emitted = normalize(scope?.metrics ?? [])
      expect(emitted.map((metric) => metric.name)).toEqual(effect3.metrics.map((metric) => metric.name))
      for (const expected of effect3.metrics) {
        const actual = emitted.find((metric) => metric.name === expected.name)
        if (expected.name === "latency_quantiles") {
          // Effect 4 ranks quantiles itself (max value with at most q·n values at or below it): its
          // p99 of 1..4 is 4 where Effect 3's sampler said 3. The producer passes each on as it is.
          expect(actual?.points.find((point) => JSON.stringify(point.attributes) === `{"quantile":"0.99"}`)?.value).toBe(4)
          expect({ ...actual, points: actual?.points.filter((point) => JSON.stringify(point.attributes) !== `{"quantile":"0.99"}`) })
            .toEqual({ ...expected, points: expected.points.filter((point) => JSON.stringify(point.attributes) !== `{"quantile":"0.99"}`) })
        } else {
          expect(actual, expected.name).toEqual(expected)
        }
      }
      expect(resourceMetrics.resource.attributes["service.name"]).toBe("test")
    }))

  it.live("reads the registry of the context it was made in, not the process-wide one", () =>
    Effect.gen(function*() {
      yield* Metric.update(Metric.counter("elsewhere_total"), 1).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
      const resourceMetrics = yield* produce
      const names = resourceMetrics.scopeMetrics[0]?.metrics.map((metric) => metric.descriptor.name)
      expect(names).not.toContain("elsewhere_total")
      expect(names).toContain("requests_total")
    }))

  it.live("points stay cumulative: a metric's start time is its first collection, kept by later ones", () =>
    Effect.gen(function*() {
      const registry: Metric.MetricRegistry = new Map()
      const context = yield* Effect.context<never>().pipe(Effect.provideService(Metric.MetricRegistry, registry))
      const counter = Metric.counter("ticks_total", { incremental: true })
      yield* Metric.update(counter, 1).pipe(Effect.provideService(Metric.MetricRegistry, registry))
      const producer = new EffectMetricProducer(resourceFromAttributes({}), context)
      const first = yield* Effect.promise(() => producer.collect())
      yield* Metric.update(counter, 2).pipe(Effect.provideService(Metric.MetricRegistry, registry))
      const second = yield* Effect.promise(() => producer.collect())
      const [a] = first.resourceMetrics.scopeMetrics[0]?.metrics ?? []
      const [b] = second.resourceMetrics.scopeMetrics[0]?.metrics ?? []
      expect(a?.dataPointType).toBe(DataPointType.SUM)
      expect(a?.dataPoints[0]?.value).toBe(1)
      expect(b?.dataPoints[0]?.value).toBe(3)
      expect(b?.dataPoints[0]?.startTime).toEqual(a?.dataPoints[0]?.startTime)
    }))

  it("buckets: +Infinity as the last bound is OTLP's implicit bucket; without it, what lies above the last bound is", () => {
    expect(buckets([[10, 1], [50, 3], [Number.POSITIVE_INFINITY, 4]], 4)).toEqual({ boundaries: [10, 50], counts: [1, 2, 1] })
    expect(buckets([[0, 1], [5, 2], [10, 2]], 3)).toEqual({ boundaries: [0, 5, 10], counts: [1, 1, 0, 1] })
    expect(buckets([], 2)).toEqual({ boundaries: [], counts: [2] })
  })
})
