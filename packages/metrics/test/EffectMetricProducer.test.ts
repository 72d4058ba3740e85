/**
 * The producer of Effect's metrics, read as the SDK reader reads it: each Effect metric kind maps to
 * the OTLP data model with its unit, description, value type, monotonicity and attributes.
 */
import { describe, expect, it } from "@effect/vitest"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { AggregationTemporality, DataPointType, type MetricData } from "@opentelemetry/sdk-metrics"
import { Effect, Metric, MetricBoundaries, MetricLabel } from "effect"
import { EffectMetricProducer, SCOPE_NAME } from "../src/internal/effectMetricProducer.js"

const resource = resourceFromAttributes({ "service.name": "producer-test" })

const collect = (producer: EffectMetricProducer) =>
  Effect.promise(() => producer.collect()).pipe(Effect.map(({ resourceMetrics }) => {
    expect(resourceMetrics.resource).toBe(resource)
    expect(resourceMetrics.scopeMetrics.map((scope) => scope.scope.name)).toEqual([SCOPE_NAME])
    const metrics = resourceMetrics.scopeMetrics[0]!.metrics
    return (name: string): MetricData => {
      const metric = metrics.find((metric) => metric.descriptor.name === name)
      expect(metric, name).toBeDefined()
      return metric!
    }
  }))

const points = (metric: MetricData) => metric.dataPoints.map((point) => [point.attributes, point.value])

describe("EffectMetricProducer", () => {
  it.effect("maps counters, gauges, histograms, frequencies and summaries with units and attributes", () =>
    Effect.gen(function*() {
      const requests = Metric.counter("producer_requests", { description: "Requests served", incremental: true })
      const withStatus = (status: string) =>
        Metric.taggedWithLabels(requests, [MetricLabel.make("unit", "{request}"), MetricLabel.make("http.response.status_code", status)])
      yield* Metric.incrementBy(withStatus("200"), 3)
      yield* Metric.increment(withStatus("503"))
      yield* Metric.incrementBy(Metric.counter("producer_bytes", { bigint: true }), 7n)
      yield* Metric.incrementBy(Metric.counter("producer_in_flight"), -2)
      yield* Metric.set(Metric.gauge("producer_lag").pipe(Metric.tagged("time_unit", "ms")), 12.5)
      const latency = Metric.histogram("producer_latency", MetricBoundaries.fromIterable([1, 5, 10]))
      for (const value of [0, 3, 7, 20, 5]) yield* Metric.update(latency, value)
      for (const value of ["a", "b", "a"]) yield* Metric.update(Metric.frequency("producer_kinds"), value)
      const sizes = Metric.summary({ name: "producer_sizes", maxAge: "1 hour", maxSize: 10, error: 0.01, quantiles: [0.5] })
      for (const value of [1, 2, 3]) yield* Metric.update(sizes, value)

      const metric = yield* collect(new EffectMetricProducer(resource))

      const counted = metric("producer_requests")
      expect(counted).toMatchObject({
        descriptor: { description: "Requests served", unit: "{request}", valueType: 1 },
        dataPointType: DataPointType.SUM,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        isMonotonic: true
      })
      // The unit tag is the metric's, not a point attribute; a status code is a number.
      expect(points(counted)).toEqual([[{ "http.response.status_code": 200 }, 3], [{ "http.response.status_code": 503 }, 1]])
      expect(metric("producer_bytes")).toMatchObject({ descriptor: { unit: "1", valueType: 0 }, isMonotonic: false })
      expect(points(metric("producer_bytes"))).toEqual([[{}, 7]])
      expect(points(metric("producer_in_flight"))).toEqual([[{}, -2]])
      expect(metric("producer_lag")).toMatchObject({ descriptor: { unit: "ms" }, dataPointType: DataPointType.GAUGE })
      expect(points(metric("producer_lag"))).toEqual([[{}, 12.5]])
      expect(metric("producer_latency").dataPointType).toBe(DataPointType.HISTOGRAM)
      expect(points(metric("producer_latency"))).toEqual([[{}, {
        buckets: { boundaries: [1, 5, 10], counts: [1, 2, 1, 1] },
        count: 5,
        sum: 35,
        min: 0,
        max: 20
      }]])
      expect(metric("producer_kinds")).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: true })
      expect(points(metric("producer_kinds"))).toEqual([[{ key: "a" }, 2], [{ key: "b" }, 1]])
      expect(metric("producer_sizes_quantiles")).toMatchObject({ isMonotonic: false })
      expect(points(metric("producer_sizes_quantiles"))).toEqual([
        [{ quantile: "min" }, 1],
        [{ quantile: "0.5" }, 1],
        [{ quantile: "max" }, 3]
      ])
      expect(metric("producer_sizes_count")).toMatchObject({ descriptor: { valueType: 0 }, isMonotonic: true })
      expect(points(metric("producer_sizes_count"))).toEqual([[{}, 3]])
      expect(points(metric("producer_sizes_sum"))).toEqual([[{}, 6]])
    }))

  it.effect("points are cumulative from the metric's first collection", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("producer_cumulative")
      yield* Metric.increment(counter)
      const producer = new EffectMetricProducer(resource)
      const first = (yield* collect(producer))("producer_cumulative").dataPoints[0]!
      yield* Metric.increment(counter)
      const second = (yield* collect(producer))("producer_cumulative").dataPoints[0]!
      expect(second.value).toBe(2)
      expect(second.startTime).toEqual(first.startTime)
    }))
})
