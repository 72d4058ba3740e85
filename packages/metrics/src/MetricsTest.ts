/**
 * Metrics for tests: a reader that collects on demand, and the `TestMetrics` service that reads
 * Effect `Metric` values and OpenTelemetry-API instruments back as plain data, so a test asserts
 * names, attributes and values without waiting for an export interval.
 *
 * Effect's metric registry is global to the process, so `reset` does not zero the metrics:
 * it takes a baseline, and later reads report counters and histograms relative to it.
 *
 * @example
 * ```ts
 * import { MetricsTest } from "@lingo-obs/metrics"
 *
 * it.effect("counts orders", () =>
 *   Effect.gen(function* () {
 *     yield* Metric.increment(Metric.counter("orders_total"))
 *     const orders = yield* MetricsTest.find("orders_total")
 *     expect(orders?.points[0]?.value).toBe(1)
 *   }).pipe(Effect.provide(MetricsTest.layer())))
 * ```
 */
import { Config } from "@lingo-obs/core"
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources"
import { MetricReader } from "@opentelemetry/sdk-metrics"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type CollectedMetric, flatten, type MetricPoint } from "./internal/metricData.js"
import * as Metrics from "./Metrics.js"

export type { CollectedMetric, MetricPoint } from "./internal/metricData.js"

/** A reader that only collects when asked to. */
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** Reads and resets the metrics recorded so far. */
export class TestMetrics extends Context.Tag("@lingo-obs/metrics/MetricsTest/TestMetrics")<TestMetrics, {
  /** Collects now: every metric with its current points (counters relative to the last reset). */
  readonly collect: Effect.Effect<ReadonlyArray<CollectedMetric>>
  /** Makes later reads report counters and histograms relative to their current values. */
  readonly reset: Effect.Effect<void>
}>() {}

/** Collects now and returns every metric. */
export const collect: Effect.Effect<ReadonlyArray<CollectedMetric>, never, TestMetrics> = Effect.flatMap(
  TestMetrics,
  (service) => service.collect
)

/** Collects now and returns the metric called `name`, if it was recorded. */
export const find = (name: string): Effect.Effect<CollectedMetric | undefined, never, TestMetrics> =>
  Effect.map(collect, (metrics) => metrics.find((metric) => metric.name === name))

/** Takes a baseline: later reads report counters and histograms relative to it. */
export const reset: Effect.Effect<void, never, TestMetrics> = Effect.flatMap(TestMetrics, (service) => service.reset)

const pointKey = (name: string, point: MetricPoint) => `${name}\u0000${JSON.stringify(point.attributes)}`

const subtract = (point: MetricPoint, base: MetricPoint | undefined): MetricPoint | undefined => {
  if (base === undefined) return point
  if (point.count !== undefined) {
    const count = point.count - (base.count ?? 0)
    if (count === 0) return undefined
    return {
      ...point,
      count,
      sum: (point.sum ?? 0) - (base.sum ?? 0),
      bucketCounts: point.bucketCounts?.map((bucket, i) => bucket - (base.bucketCounts?.[i] ?? 0))
    }
  }
  const value = (point.value ?? 0) - (base.value ?? 0)
  return value === 0 ? undefined : { ...point, value }
}

const relativeTo = (baseline: ReadonlyMap<string, MetricPoint>) => (metric: CollectedMetric): CollectedMetric => {
  if (metric.type === "gauge") return metric
  const points = metric.points.flatMap((point) => subtract(point, baseline.get(pointKey(metric.name, point))) ?? [])
  return { ...metric, points }
}

/** Metrics collected on demand through `TestMetrics`. */
export const layer = (options: {
  readonly config?: Partial<Config.MetricsConfig> | undefined
  readonly resource?: Resource | undefined
} = {}): Layer.Layer<TestMetrics> =>
  Layer.scoped(
    TestMetrics,
    Effect.gen(function*() {
      const { reader } = yield* Metrics.makeProvider({
        config: { ...Config.defaults.metrics, ...options.config },
        resource: options.resource ?? resourceFromAttributes({ "service.name": "test" }),
        makeReader: (effectMetrics) => new OnDemandReader({ metricProducers: [effectMetrics] })
      })
      let baseline: ReadonlyMap<string, MetricPoint> = new Map()
      const collectRaw = Effect.promise(() => reader.collect()).pipe(
        Effect.map(({ resourceMetrics }) => flatten(resourceMetrics))
      )
      return TestMetrics.of({
        collect: Effect.map(collectRaw, (metrics) => metrics.map(relativeTo(baseline)).filter((m) => m.points.length > 0)),
        reset: Effect.map(collectRaw, (metrics) => {
          baseline = new Map(metrics.flatMap((metric) => metric.points.map((point) => [pointKey(metric.name, point), point])))
        })
      })
    })
  )
