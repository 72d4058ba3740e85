/**
 * Metrics for tests: a reader that collects on demand, and the `TestMetrics` service that reads
 * Effect `Metric` values and OpenTelemetry-API instruments back as plain data, so a test asserts
 * names, attributes and values without waiting for an export interval.
 *
 * Each build of the layer has its own Effect metric registry (Effect 4's `Metric.MetricRegistry`
 * is a `Context.Reference`), so tests never see each other's metrics. `reset` makes every later
 * read exact, for every instrument kind: Effect's counters, histograms (count, sum, min, max,
 * buckets), summaries and frequencies start again from nothing (their series leave the registry
 * and are made afresh by the next update); synchronous OpenTelemetry-API instruments are read with
 * delta temporality and summed here since the last reset; observable ones report what they
 * observe. Gauges keep their last value: a gauge's current value is exact.
 *
 * @example
 * ```ts
 * it.effect("counts orders", () =>
 *   Effect.gen(function* () {
 *     yield* Metric.update(Metric.counter("orders_total"), 1)
 *     const orders = yield* MetricsTest.find("orders_total")
 *     expect(orders?.points[0]?.value).toBe(1)
 *   }).pipe(Effect.provide(MetricsTest.layer())))
 * ```
 */
import { type CollectedMetric, flatten, type MetricPoint } from "@lingo-obs/otlp/MetricData"
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources"
import { AggregationTemporality, InstrumentType, MetricReader } from "@opentelemetry/sdk-metrics"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { constVoid } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Metrics from "./Metrics.js"

export type { CollectedMetric, MetricPoint } from "@lingo-obs/otlp/MetricData"

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
export class TestMetrics extends Context.Service<TestMetrics, {
  /** Collects now: every metric with its points since the last reset. */
  readonly collect: Effect.Effect<ReadonlyArray<CollectedMetric>>
  /** Starts every metric but gauges again from nothing: later reads report only what follows. */
  readonly reset: Effect.Effect<void>
}>()("lingo-obs/MetricsTest/TestMetrics") {}

/** Collects now and returns every metric. */
export const collect: Effect.Effect<ReadonlyArray<CollectedMetric>, never, TestMetrics> = TestMetrics.use((service) =>
  service.collect
)

/** Collects now and returns the metric called `name`, if it was recorded. */
export const find = (name: string): Effect.Effect<CollectedMetric | undefined, never, TestMetrics> =>
  Effect.map(collect, (metrics) => metrics.find((metric) => metric.name === name))

/** Starts every metric but gauges again from nothing: later reads report only what follows. */
export const reset: Effect.Effect<void, never, TestMetrics> = TestMetrics.use((service) => service.reset)

const pointKey = (name: string, point: MetricPoint) => `${name}\u0000${JSON.stringify(point.attributes)}`

/** Adds a delta point (of an OpenTelemetry-API instrument) to what was recorded since the reset. */
const accumulate = (type: CollectedMetric["type"], total: MetricPoint | undefined, delta: MetricPoint): MetricPoint => {
  if (total === undefined || type === "gauge") return delta
  if (delta.count === undefined) return { ...delta, value: (total.value ?? 0) + (delta.value ?? 0) }
  const least = [total.min, delta.min].filter((value): value is number => value !== undefined)
  const most = [total.max, delta.max].filter((value): value is number => value !== undefined)
  return {
    ...delta,
    count: (total.count ?? 0) + delta.count,
    sum: (total.sum ?? 0) + (delta.sum ?? 0),
    min: least.length === 0 ? undefined : Math.min(...least),
    max: most.length === 0 ? undefined : Math.max(...most),
    bucketCounts: delta.bucketCounts?.map((bucket, i) => bucket + (total.bucketCounts?.[i] ?? 0))
  }
}

/**
 * Starts every Effect metric but gauges again from nothing: its series leaves the registry, and
 * Effect makes a fresh one (fresh count, sum, min, max, quantiles) at the next update. Series
 * registered as observers (`Metric` registrations, whose updates do nothing) stay.
 */
const restartEffectMetrics = (registry: Metric.MetricRegistry): void => {
  for (const [key, metadata] of registry) {
    if (metadata.type !== "Gauge" && metadata.hooks.update !== constVoid) registry.delete(key)
  }
}

export interface Options {
  readonly resource?: Resource | undefined
  /** Leave out the Node runtime metrics; default `false`, as the live layer. */
  readonly disableRuntimeStats?: boolean | undefined
}

/** Metrics collected on demand through `TestMetrics`, with an Effect metric registry of its own per build. */
export const layer = (options: Options = {}): Layer.Layer<TestMetrics> =>
  Layer.fresh(Layer.unwrap(Effect.sync(() => {
    const registry: Metric.MetricRegistry = new Map()
    const service = Layer.effect(
      TestMetrics,
      Effect.gen(function*() {
        const { reader } = yield* Metrics.makeProvider({
          resource: options.resource ?? resourceFromAttributes({ "service.name": "test" }),
          disableRuntimeStats: options.disableRuntimeStats,
          makeReader: (effectMetrics) =>
            new OnDemandReader({
              metricProducers: [effectMetrics],
              // Recorded values since the reset for synchronous instruments; observed ones (runtime
              // metrics) keep reporting what they observe.
              aggregationTemporalitySelector: (type) =>
                type === InstrumentType.OBSERVABLE_COUNTER || type === InstrumentType.OBSERVABLE_GAUGE ||
                  type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
                  ? AggregationTemporality.CUMULATIVE
                  : AggregationTemporality.DELTA
            })
        })
        // OpenTelemetry-API instruments report deltas; what they recorded since the reset, by point.
        const recorded = new Map<string, { readonly metric: CollectedMetric; readonly point: MetricPoint }>()
        const collectNow = Effect.promise(() => reader.collect()).pipe(
          Effect.map(({ resourceMetrics }) => {
            const cumulative: Array<CollectedMetric> = []
            for (const scope of resourceMetrics.scopeMetrics) {
              const delta = scope.metrics.filter((metric) => metric.aggregationTemporality === AggregationTemporality.DELTA)
              const rest = scope.metrics.filter((metric) => metric.aggregationTemporality !== AggregationTemporality.DELTA)
              for (const metric of flatten({ ...resourceMetrics, scopeMetrics: [{ ...scope, metrics: delta }] })) {
                for (const point of metric.points) {
                  const key = pointKey(metric.name, point)
                  recorded.set(key, { metric, point: accumulate(metric.type, recorded.get(key)?.point, point) })
                }
              }
              cumulative.push(...flatten({ ...resourceMetrics, scopeMetrics: [{ ...scope, metrics: rest }] }))
            }
            return cumulative
          })
        )
        const fromInstruments = (): ReadonlyArray<CollectedMetric> => {
          const byName = new Map<string, CollectedMetric>()
          for (const { metric, point } of recorded.values()) {
            const known = byName.get(metric.name)
            byName.set(metric.name, { ...metric, points: [...(known?.points ?? []), point] })
          }
          return [...byName.values()]
        }
        return TestMetrics.of({
          collect: Effect.map(collectNow, (effectMetrics) =>
            [...effectMetrics, ...fromInstruments()].filter((metric) => metric.points.length > 0)),
          reset: Effect.map(collectNow, () => {
            recorded.clear()
            restartEffectMetrics(registry)
          })
        })
      })
    )
    return Layer.provideMerge(service, Layer.succeed(Metric.MetricRegistry, registry))
  })))
