/**
 * The SDK metric data a producer emits, without its times, in a stable order: the form both
 * lines' producers are compared in (`fixtures/effect3-metrics.json` is the Effect 3 line's,
 * written by `fixtures/generateEffect3Metrics.mjs`). No imports: the Effect 3 script loads it too.
 */
export interface NormalizedMetric {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly valueType: number
  readonly dataPointType: number
  readonly isMonotonic: boolean | undefined
  readonly points: ReadonlyArray<{ readonly attributes: unknown; readonly value: unknown }>
}

interface MetricDataLike {
  readonly descriptor: { readonly name: string; readonly description: string; readonly unit: string; readonly valueType: number }
  readonly dataPointType: number
  readonly isMonotonic?: boolean
  readonly dataPoints: ReadonlyArray<{ readonly attributes: unknown; readonly value: unknown }>
}

export const normalize = (metrics: ReadonlyArray<MetricDataLike>): Array<NormalizedMetric> =>
  metrics
    .map((metric) => ({
      name: metric.descriptor.name,
      description: metric.descriptor.description,
      unit: metric.descriptor.unit,
      valueType: metric.descriptor.valueType,
      dataPointType: metric.dataPointType,
      isMonotonic: metric.isMonotonic,
      points: metric.dataPoints
        .map((point) => ({ attributes: point.attributes, value: point.value }))
        .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)))
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
