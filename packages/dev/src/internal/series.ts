/**
 * Metric points grouped into series (one per service, `service.instance.id` and attribute set) and
 * turned into the columns the charts draw, so the viewer only draws:
 *
 * - a monotonic cumulative sum (a counter) becomes its increase per export interval: the difference
 *   between consecutive points, starting again from zero when the counter resets (its start time
 *   changes or its value drops), never a negative;
 * - delta sums, non-monotonic sums and gauges are shown as they arrive;
 * - histograms sent cumulatively are differenced point to point, so the count, sum and percentiles
 *   describe each interval; percentile estimates never leave the histogram's own min and max.
 */
import type * as Api from "../Api.js"

const CUMULATIVE = 2

/** What identifies a series: its producer (service and instance) and its attribute set. */
export interface SeriesIdentity {
  readonly service: string
  readonly instance?: string | undefined
  readonly attributes: Api.Attributes
}

/** A stable key: service, instance and the attributes' sorted entries, as JSON. */
export const seriesKey = (identity: SeriesIdentity): string =>
  JSON.stringify([
    identity.service,
    identity.instance ?? null,
    Object.keys(identity.attributes).sort().map((key) => [key, identity.attributes[key]])
  ])

/**
 * The `quantile` (0..1) of a histogram by linear interpolation inside the bucket it falls in,
 * within `[min, max]` when the producer sent them (every value lies there, whatever the bucket
 * bounds say); `null` for an empty histogram. Without a max, the overflow bucket answers its lower
 * bound.
 */
export const percentile = (
  bounds: ReadonlyArray<number>,
  counts: ReadonlyArray<number>,
  quantile: number,
  range: { readonly min?: number | undefined; readonly max?: number | undefined } = {}
): number | null => {
  const total = counts.reduce((sum, count) => sum + count, 0)
  if (total <= 0) return null
  const min = range.min ?? -Infinity
  const max = range.max ?? Infinity
  const clamp = (value: number) => Math.min(Math.max(value, min), max)
  const rank = quantile * total
  let seen = 0
  for (let index = 0; index < counts.length; index++) {
    const count = counts[index]!
    if (count > 0 && seen + count >= rank) {
      const bucketLower = index === 0 ? (range.min ?? Math.min(0, bounds[0] ?? 0)) : bounds[index - 1]!
      const bucketUpper = index >= bounds.length ? (range.max ?? bucketLower) : bounds[index]!
      const lower = clamp(bucketLower)
      const upper = clamp(bucketUpper)
      return clamp(lower + (upper - lower) * ((rank - seen) / count))
    }
    seen += count
  }
  return clamp(bounds[bounds.length - 1] ?? 0)
}

/** Consecutive points of one cumulative stream: same start time, nothing counted backwards. */
const continues = (point: Api.MetricPoint, previous: Api.MetricPoint | undefined, value: (point: Api.MetricPoint) => number) =>
  previous !== undefined && previous.startTime === point.startTime && value(previous) <= value(point)

/** The median gap between consecutive points: the producer's export interval. */
const exportInterval = (sorted: ReadonlyArray<Api.MetricPoint>): number | undefined => {
  const gaps = sorted.slice(1).map((point, index) => point.time - sorted[index]!.time).filter((gap) => gap > 0).sort((a, b) => a - b)
  return gaps.length === 0 ? undefined : gaps[Math.floor(gaps.length / 2)]
}

/**
 * A counter's increase per interval. A value lower than the previous one means the counter reset
 * during the interval and counted from zero since: the value is the increase. For the first point
 * and after a new start time the counter counted from zero since its start time: its value is
 * shown when that span is about one export interval (a fresh start), a gap (`null`) when it is much
 * longer (the viewer started long after the service) or unknown, so one point never dwarfs the rest.
 */
export const increases = (sorted: ReadonlyArray<Api.MetricPoint>): Array<number | null> => {
  const interval = exportInterval(sorted)
  return sorted.map((point, index) => {
    const value = point.value ?? 0
    const previous = sorted[index - 1]
    if (previous !== undefined && previous.startTime === point.startTime) {
      const before = previous.value ?? 0
      return value >= before ? value - before : value
    }
    const counted = point.time - point.startTime
    const fresh = point.startTime > 0 && counted > 0 && (interval === undefined || counted <= interval * 1.5)
    return fresh ? value : null
  })
}

/** The interval's buckets: this point minus the previous one of the same cumulative stream. */
const intervalOf = (point: Api.MetricPoint, previous: Api.MetricPoint | undefined) => {
  const counts = point.bucketCounts ?? []
  const sameStream =
    point.temporality === CUMULATIVE &&
    continues(point, previous, (p) => p.count ?? 0) &&
    (previous!.bucketCounts?.length ?? -1) === counts.length
  if (!sameStream) return { count: point.count ?? 0, sum: point.sum ?? 0, counts }
  return {
    count: (point.count ?? 0) - (previous!.count ?? 0),
    sum: (point.sum ?? 0) - (previous!.sum ?? 0),
    counts: counts.map((count, index) => count - (previous!.bucketCounts?.[index] ?? 0))
  }
}

/** A monotonic sum sent cumulatively: a counter whose running total is worth little, its rate much. */
export const isCumulativeCounter = (point: Api.MetricPoint | undefined): boolean =>
  point?.type === "sum" && point.monotonic === true && point.temporality === CUMULATIVE

const identityOf = (
  points: ReadonlyArray<Api.MetricPoint>,
  fallback: SeriesIdentity
): { service: string; instance?: string; attributes: Api.Attributes } => {
  const latest: SeriesIdentity = points[points.length - 1] ?? fallback
  return { service: latest.service, ...(latest.instance === undefined ? {} : { instance: latest.instance }), attributes: latest.attributes }
}

/** The columns of one series, points in time order. */
export const seriesData = (key: string, identity: SeriesIdentity, points: ReadonlyArray<Api.MetricPoint>): Api.SeriesData => {
  const sorted = [...points].sort((a, b) => a.time - b.time || a.seq - b.seq)
  const times = sorted.map((point) => point.time)
  const base = { key, ...identityOf(sorted, identity), times }
  const type = sorted[0]?.type
  if (type === "sum" && isCumulativeCounter(sorted[0])) return { ...base, values: increases(sorted), perInterval: true }
  if (type === "sum" || type === "gauge") return { ...base, values: sorted.map((point) => point.value ?? 0) }
  if (type === "histogram") {
    const intervals = sorted.map((point, index) => intervalOf(point, sorted[index - 1]))
    const quantiles = (q: number) =>
      intervals.map((interval, index) => {
        const point = sorted[index]!
        return percentile(point.explicitBounds ?? [], interval.counts, q, { min: point.min, max: point.max })
      })
    return {
      ...base,
      counts: intervals.map((interval) => interval.count),
      sums: intervals.map((interval) => interval.sum),
      p50: quantiles(0.5),
      p95: quantiles(0.95),
      p99: quantiles(0.99)
    }
  }
  const quantileOf = (point: Api.MetricPoint, q: number) =>
    point.quantileValues?.find((value) => value.quantile === q)?.value ?? null
  return {
    ...base,
    counts: sorted.map((point) => point.count ?? 0),
    sums: sorted.map((point) => point.sum ?? 0),
    p50: sorted.map((point) => quantileOf(point, 0.5)),
    p95: sorted.map((point) => quantileOf(point, 0.95)),
    p99: sorted.map((point) => quantileOf(point, 0.99))
  }
}

/** A series as the metric list shows it: who sent it, how many points, the latest value or count. */
export const seriesInfo = (key: string, identity: SeriesIdentity, points: ReadonlyArray<Api.MetricPoint>): Api.SeriesInfo => {
  const latest = points[points.length - 1]
  const last = latest === undefined ? undefined : (latest.value ?? latest.count)
  return { key, ...identityOf(points, identity), points: points.length, ...(last === undefined ? {} : { last }) }
}
