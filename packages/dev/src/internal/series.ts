/**
 * Metric points grouped into series (one per service and attribute set) and turned into the columns
 * the charts draw. Histograms sent cumulatively are differenced point to point, so the count, sum
 * and percentiles describe each export interval rather than everything since the process started.
 */
import type * as Api from "../Api.js"

const CUMULATIVE = 2

/** A stable key for an attribute set: sorted entries as JSON. */
export const seriesKey = (service: string, attributes: Api.Attributes): string =>
  JSON.stringify([service, Object.keys(attributes).sort().map((key) => [key, attributes[key]])])

/**
 * The `quantile` (0..1) of a histogram by linear interpolation inside the bucket it falls in;
 * `null` for an empty histogram. The overflow bucket answers its lower bound.
 */
export const percentile = (
  bounds: ReadonlyArray<number>,
  counts: ReadonlyArray<number>,
  quantile: number
): number | null => {
  const total = counts.reduce((sum, count) => sum + count, 0)
  if (total <= 0) return null
  const rank = quantile * total
  let seen = 0
  for (let index = 0; index < counts.length; index++) {
    const count = counts[index]!
    if (count > 0 && seen + count >= rank) {
      if (index >= bounds.length) return bounds[bounds.length - 1] ?? null
      const upper = bounds[index]!
      const lower = index === 0 ? Math.min(0, upper) : bounds[index - 1]!
      return lower + (upper - lower) * ((rank - seen) / count)
    }
    seen += count
  }
  return bounds[bounds.length - 1] ?? null
}

/** The interval's buckets: this point minus the previous one of the same cumulative stream. */
const intervalOf = (point: Api.MetricPoint, previous: Api.MetricPoint | undefined) => {
  const counts = point.bucketCounts ?? []
  const sameStream =
    point.temporality === CUMULATIVE &&
    previous !== undefined &&
    previous.startTime === point.startTime &&
    (previous.count ?? 0) <= (point.count ?? 0) &&
    (previous.bucketCounts?.length ?? -1) === counts.length
  if (!sameStream) return { count: point.count ?? 0, sum: point.sum ?? 0, counts }
  return {
    count: (point.count ?? 0) - (previous.count ?? 0),
    sum: (point.sum ?? 0) - (previous.sum ?? 0),
    counts: counts.map((count, index) => count - (previous.bucketCounts?.[index] ?? 0))
  }
}

/** The columns of one series, points in time order. */
export const seriesData = (
  key: string,
  service: string,
  attributes: Api.Attributes,
  points: ReadonlyArray<Api.MetricPoint>
): Api.SeriesData => {
  const sorted = [...points].sort((a, b) => a.time - b.time || a.seq - b.seq)
  const times = sorted.map((point) => point.time)
  const base = { key, service, attributes, times }
  const type = sorted[0]?.type
  if (type === "sum" || type === "gauge") return { ...base, values: sorted.map((point) => point.value ?? 0) }
  if (type === "histogram") {
    const intervals = sorted.map((point, index) => intervalOf(point, sorted[index - 1]))
    const quantiles = (q: number) =>
      intervals.map((interval, index) => percentile(sorted[index]!.explicitBounds ?? [], interval.counts, q))
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

/** The value a series list shows: the latest value, or the latest count. */
export const lastValue = (point: Api.MetricPoint | undefined): number | undefined =>
  point === undefined ? undefined : (point.value ?? point.count)
