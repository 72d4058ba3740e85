/** Order statistics of repeated runs: the median and the spread (min, max, interquartile range). */
export interface Summary {
  readonly n: number
  readonly median: number
  readonly min: number
  readonly max: number
  /** First and third quartiles (linear interpolation). */
  readonly q1: number
  readonly q3: number
  readonly values: ReadonlyArray<number>
}

/** The `p` quantile (0..1) of sorted values, linearly interpolated. */
export const quantileSorted = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN
  const position = (sorted.length - 1) * p
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  const a = sorted[lower]!
  const b = sorted[upper]!
  return a + (b - a) * (position - lower)
}

export const quantile = (values: ReadonlyArray<number>, p: number): number =>
  quantileSorted([...values].sort((a, b) => a - b), p)

export const median = (values: ReadonlyArray<number>): number => quantile(values, 0.5)

export const summarize = (values: ReadonlyArray<number>): Summary => {
  const finite = values.filter((value) => Number.isFinite(value))
  const sorted = [...finite].sort((a, b) => a - b)
  return {
    n: sorted.length,
    median: quantileSorted(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    q1: quantileSorted(sorted, 0.25),
    q3: quantileSorted(sorted, 0.75),
    values: finite
  }
}

/**
 * Latency percentiles of many samples (milliseconds). Sorting a few hundred thousand numbers
 * is cheap next to the run that produced them.
 */
export const percentiles = (samples: ReadonlyArray<number> | Float64Array) => {
  const sorted = Float64Array.from(samples).sort()
  const at = (p: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!)
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN }
}

/** The least-squares slope of y over x (units of y per unit of x). */
export const slope = (points: ReadonlyArray<readonly [number, number]>): number => {
  const n = points.length
  if (n < 2) return Number.NaN
  let sx = 0, sy = 0, sxx = 0, sxy = 0
  for (const [x, y] of points) {
    sx += x
    sy += y
    sxx += x * x
    sxy += x * y
  }
  const denominator = n * sxx - sx * sx
  return denominator === 0 ? Number.NaN : (n * sxy - sx * sy) / denominator
}
