/**
 * The producer of Effect's metrics: at each collection it snapshots Effect's process-wide metric
 * registry and hands the SDK reader one `ScopeMetrics`, beside what the OpenTelemetry-API
 * instruments recorded. Every Effect metric kind maps onto OTLP's data model:
 *
 * - counter → sum (monotonic when incremental), gauge → gauge, histogram → explicit-bucket
 *   histogram (Effect's cumulative bucket counts become per-bucket counts);
 * - frequency → a monotonic sum with one point per occurrence, keyed by a `key` attribute;
 * - summary → `<name>_quantiles` (points for `min`, each quantile and `max`, keyed by `quantile`),
 *   `<name>_count` and `<name>_sum`.
 *
 * Effect's registry is cumulative, so every point is cumulative and starts when the metric was
 * first collected. Points of one name (the same metric with other tags) form one metric.
 */
import { type HrTime, ValueType } from "@opentelemetry/api"
import type { Resource } from "@opentelemetry/resources"
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricData,
  type MetricDescriptor,
  type MetricProducer
} from "@opentelemetry/sdk-metrics"
import * as Metric from "effect/Metric"
import type * as MetricKey from "effect/MetricKey"
import * as MetricKeyType from "effect/MetricKeyType"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"
import { pointAttributes, unitOf } from "./effectMetricAttributes.js"

/** The instrumentation scope Effect's metrics are reported under. */
export const SCOPE_NAME = "@lingo-obs/metrics/effect"

const hrTime = (millis: number): HrTime => [Math.floor(millis / 1000), (millis % 1000) * 1_000_000]

type Point<A> = Omit<DataPoint<A>, "startTime" | "endTime">

/** A metric's description, unit and value type, from its key (`suffix` names a summary's parts). */
const descriptor = (key: MetricKey.MetricKey.Untyped, unit: string, suffix?: string): MetricDescriptor => ({
  name: suffix === undefined ? key.name : `${key.name}_${suffix}`,
  description: Option.getOrElse(key.description, () => ""),
  unit,
  valueType: MetricKeyType.isCounterKey(key.keyType) && key.keyType.bigint ? ValueType.INT : ValueType.DOUBLE
})

/** Per-bucket counts and the finite upper bounds, from Effect's cumulative `[bound, count]` pairs. */
const buckets = (cumulative: ReadonlyArray<readonly [number, number]>): Histogram["buckets"] => {
  const boundaries: Array<number> = []
  const counts: Array<number> = []
  let below = 0
  cumulative.forEach(([bound, count], i) => {
    // The last bound is +Infinity: OTLP's last bucket is implicit.
    if (i < cumulative.length - 1) boundaries.push(bound)
    counts.push(count - below)
    below = count
  })
  return { boundaries, counts }
}

/** Collects the metrics of one snapshot, merging the points of metrics that share a name. */
class Collection {
  private readonly byName = new Map<string, MetricData>()

  constructor(private readonly startTimeOf: (name: string) => HrTime, private readonly now: HrTime) {}

  add(
    metric: Omit<MetricData, "dataPoints">,
    points: ReadonlyArray<Point<number>> | ReadonlyArray<Point<Histogram>>
  ): void {
    const name = metric.descriptor.name
    const startTime = this.startTimeOf(name)
    const dataPoints = points.map((point) => ({ ...point, startTime, endTime: this.now }))
    const known = this.byName.get(name)
    if (known === undefined) {
      this.byName.set(name, { ...metric, dataPoints } as MetricData)
    } else {
      ;(known.dataPoints as Array<DataPoint<unknown>>).push(...dataPoints)
    }
  }

  metrics(): Array<MetricData> {
    return [...this.byName.values()]
  }
}

const sum = (descriptor: MetricDescriptor, isMonotonic: boolean) => ({
  descriptor,
  dataPointType: DataPointType.SUM,
  aggregationTemporality: AggregationTemporality.CUMULATIVE,
  isMonotonic
}) as const

export class EffectMetricProducer implements MetricProducer {
  /** When each metric was first collected: the start of its cumulative points. */
  private readonly startTimes = new Map<string, HrTime>()

  constructor(private readonly resource: Resource) {}

  private startTimeOf(name: string, now: HrTime): HrTime {
    const known = this.startTimes.get(name)
    if (known !== undefined) return known
    this.startTimes.set(name, now)
    return now
  }

  collect(): Promise<CollectionResult> {
    const now = hrTime(Date.now())
    const collection = new Collection((name) => this.startTimeOf(name, now), now)
    for (const { metricKey: key, metricState: state } of Metric.unsafeSnapshot()) {
      const attributes = pointAttributes(key.tags)
      const unit = unitOf(key.tags)
      if (MetricState.isCounterState(state)) {
        const incremental = MetricKeyType.isCounterKey(key.keyType) && key.keyType.incremental
        collection.add(sum(descriptor(key, unit), incremental), [{ attributes, value: Number(state.count) }])
      } else if (MetricState.isGaugeState(state)) {
        collection.add(
          { descriptor: descriptor(key, unit), dataPointType: DataPointType.GAUGE, aggregationTemporality: AggregationTemporality.CUMULATIVE },
          [{ attributes, value: Number(state.value) }]
        )
      } else if (MetricState.isHistogramState(state)) {
        collection.add(
          {
            descriptor: descriptor(key, unit),
            dataPointType: DataPointType.HISTOGRAM,
            aggregationTemporality: AggregationTemporality.CUMULATIVE
          },
          [{
            attributes,
            value: { buckets: buckets(state.buckets), count: state.count, sum: state.sum, min: state.min, max: state.max }
          }]
        )
      } else if (MetricState.isFrequencyState(state)) {
        const points = [...state.occurrences].map(([occurrence, count]) => ({ attributes: { ...attributes, key: occurrence }, value: count }))
        collection.add(sum(descriptor(key, unit), true), points)
      } else if (MetricState.isSummaryState(state)) {
        const quantiles = [
          { attributes: { ...attributes, quantile: "min" }, value: state.min },
          ...state.quantiles.map(([quantile, value]) => ({
            attributes: { ...attributes, quantile: quantile.toString() },
            value: Option.getOrElse(value, () => 0)
          })),
          { attributes: { ...attributes, quantile: "max" }, value: state.max }
        ]
        collection.add(sum(descriptor(key, unit, "quantiles"), false), quantiles)
        collection.add(sum({ ...descriptor(key, "1", "count"), valueType: ValueType.INT }, true), [{ attributes, value: state.count }])
        collection.add(sum({ ...descriptor(key, "1", "sum"), valueType: ValueType.DOUBLE }, true), [{ attributes, value: state.sum }])
      }
    }
    return Promise.resolve({
      resourceMetrics: { resource: this.resource, scopeMetrics: [{ scope: { name: SCOPE_NAME }, metrics: collection.metrics() }] },
      errors: []
    })
  }
}
