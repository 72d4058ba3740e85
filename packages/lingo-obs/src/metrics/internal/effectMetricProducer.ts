/**
 * The producer of Effect 4's metrics: at each collection it snapshots the metric registry of the
 * context it was made in (Effect 4's registry is a `Context.Reference`: the process-wide default
 * map, or the one a test layer provides) and hands the SDK reader one `ScopeMetrics`, beside what
 * the OpenTelemetry-API instruments recorded. The mapping is the Effect 3 line's, point for point:
 *
 * - counter → sum (monotonic when incremental; integer when bigint), gauge → gauge, histogram →
 *   explicit-bucket histogram (Effect's cumulative bucket counts become per-bucket counts);
 * - frequency → a monotonic sum with one point per occurrence, keyed by a `key` attribute;
 * - summary → `<name>_quantiles` (points for `min`, each quantile and `max`, keyed by `quantile`),
 *   `<name>_count` and `<name>_sum`.
 *
 * Effect's registry is cumulative, so every point is cumulative and starts when the metric was
 * first collected. Points of one name (the same metric with other attributes) form one metric.
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
import type * as Context from "effect/Context"
import * as Metric from "effect/Metric"
import { pointAttributes, unitOf } from "./effectMetricAttributes.js"

/** The instrumentation scope Effect's metrics are reported under: the Effect 3 line's, so dashboards keyed on it carry over. */
export const SCOPE_NAME = "@lingo-obs/metrics/effect"

const hrTime = (millis: number): HrTime => [Math.floor(millis / 1000), (millis % 1000) * 1_000_000]

type Point<A> = Omit<DataPoint<A>, "startTime" | "endTime">

/** A metric's description, unit and value type (`suffix` names a summary's parts). */
const descriptor = (snapshot: Metric.Metric.Snapshot, unit: string, valueType: ValueType, suffix?: string): MetricDescriptor => ({
  name: suffix === undefined ? snapshot.id : `${snapshot.id}_${suffix}`,
  description: snapshot.description ?? "",
  unit,
  valueType
})

/**
 * Per-bucket counts and the finite upper bounds, from Effect's cumulative `[bound, count]` pairs.
 * Effect 4 reports a pair per boundary it was given: with `Metric.boundariesFromIterable` the last
 * is +Infinity (OTLP's implicit last bucket); with boundaries passed as they are (the semantic
 * conventions' arrays, which start at 0 and which that helper would cut) the values above the last
 * bound are only in `count`, and become the last bucket here.
 */
export const buckets = (cumulative: ReadonlyArray<readonly [number, number]>, count: number): Histogram["buckets"] => {
  const boundaries: Array<number> = []
  const counts: Array<number> = []
  let below = 0
  for (const [bound, total] of cumulative) {
    if (bound !== Number.POSITIVE_INFINITY) boundaries.push(bound)
    counts.push(total - below)
    below = total
  }
  if (cumulative.at(-1)?.[0] !== Number.POSITIVE_INFINITY) counts.push(count - below)
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

/** The SDK metric data of one registry snapshot, at `now`. */
export const toMetricData = (
  snapshots: ReadonlyArray<Metric.Metric.Snapshot>,
  now: HrTime,
  startTimeOf: (name: string) => HrTime
): Array<MetricData> => {
  const collection = new Collection(startTimeOf, now)
  for (const snapshot of snapshots) {
    const attributes = pointAttributes(snapshot.attributes)
    const unit = unitOf(snapshot.attributes)
    switch (snapshot.type) {
      case "Counter": {
        const state = snapshot.state
        const valueType = typeof state.count === "bigint" ? ValueType.INT : ValueType.DOUBLE
        collection.add(sum(descriptor(snapshot, unit, valueType), state.incremental), [{ attributes, value: Number(state.count) }])
        break
      }
      case "Gauge":
        collection.add(
          {
            descriptor: descriptor(snapshot, unit, ValueType.DOUBLE),
            dataPointType: DataPointType.GAUGE,
            aggregationTemporality: AggregationTemporality.CUMULATIVE
          },
          [{ attributes, value: Number(snapshot.state.value) }]
        )
        break
      case "Histogram": {
        const state = snapshot.state
        collection.add(
          {
            descriptor: descriptor(snapshot, unit, ValueType.DOUBLE),
            dataPointType: DataPointType.HISTOGRAM,
            aggregationTemporality: AggregationTemporality.CUMULATIVE
          },
          [{
            attributes,
            value: { buckets: buckets(state.buckets, state.count), count: state.count, sum: state.sum, min: state.min, max: state.max }
          }]
        )
        break
      }
      case "Frequency": {
        const points = [...snapshot.state.occurrences].map(([occurrence, count]) => ({
          attributes: { ...attributes, key: occurrence },
          value: count
        }))
        collection.add(sum(descriptor(snapshot, unit, ValueType.DOUBLE), true), points)
        break
      }
      case "Summary": {
        const state = snapshot.state
        const quantiles = [
          { attributes: { ...attributes, quantile: "min" }, value: state.min },
          ...state.quantiles.map(([quantile, value]) => ({
            attributes: { ...attributes, quantile: quantile.toString() },
            value: value ?? 0
          })),
          { attributes: { ...attributes, quantile: "max" }, value: state.max }
        ]
        collection.add(sum(descriptor(snapshot, unit, ValueType.DOUBLE, "quantiles"), false), quantiles)
        collection.add(sum(descriptor(snapshot, "1", ValueType.INT, "count"), true), [{ attributes, value: state.count }])
        collection.add(sum(descriptor(snapshot, "1", ValueType.DOUBLE, "sum"), true), [{ attributes, value: state.sum }])
        break
      }
    }
  }
  return collection.metrics()
}

export class EffectMetricProducer implements MetricProducer {
  /** When each metric was first collected: the start of its cumulative points. */
  private readonly startTimes = new Map<string, HrTime>()

  /** `context` holds the registry read at each collection (`Metric.MetricRegistry`). */
  constructor(private readonly resource: Resource, private readonly context: Context.Context<never>) {}

  private startTimeOf(name: string, now: HrTime): HrTime {
    const known = this.startTimes.get(name)
    if (known !== undefined) return known
    this.startTimes.set(name, now)
    return now
  }

  collect(): Promise<CollectionResult> {
    const now = hrTime(Date.now())
    const metrics = toMetricData(Metric.snapshotUnsafe(this.context), now, (name) => this.startTimeOf(name, now))
    return Promise.resolve({
      resourceMetrics: { resource: this.resource, scopeMetrics: [{ scope: { name: SCOPE_NAME }, metrics }] },
      errors: []
    })
  }
}
