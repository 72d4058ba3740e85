import { hrTimeToMicroseconds } from "@opentelemetry/core"
import { DataPointType, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics"

/** One data point as plain data: a number for sums and gauges, a distribution for histograms. */
export interface MetricPoint {
  readonly attributes: Readonly<Record<string, unknown>>
  readonly value?: number | undefined
  readonly count?: number | undefined
  readonly sum?: number | undefined
  readonly min?: number | undefined
  readonly max?: number | undefined
  readonly boundaries?: ReadonlyArray<number> | undefined
  readonly bucketCounts?: ReadonlyArray<number> | undefined
  readonly timeUnixMicros: number
}

/** One metric as plain data, as tests read it and as the stdout exporter prints it. */
export interface CollectedMetric {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly type: "sum" | "gauge" | "histogram" | "exponential_histogram"
  readonly scope: string
  readonly points: ReadonlyArray<MetricPoint>
}

const TYPES = {
  [DataPointType.SUM]: "sum",
  [DataPointType.GAUGE]: "gauge",
  [DataPointType.HISTOGRAM]: "histogram",
  [DataPointType.EXPONENTIAL_HISTOGRAM]: "exponential_histogram"
} as const

const toPoints = (metric: MetricData): ReadonlyArray<MetricPoint> => {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
    case DataPointType.GAUGE:
      return metric.dataPoints.map((point) => ({
        attributes: point.attributes,
        value: point.value,
        timeUnixMicros: hrTimeToMicroseconds(point.endTime)
      }))
    case DataPointType.HISTOGRAM:
      return metric.dataPoints.map((point) => ({
        attributes: point.attributes,
        count: point.value.count,
        sum: point.value.sum,
        min: point.value.min,
        max: point.value.max,
        boundaries: point.value.buckets.boundaries,
        bucketCounts: point.value.buckets.counts,
        timeUnixMicros: hrTimeToMicroseconds(point.endTime)
      }))
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return metric.dataPoints.map((point) => ({
        attributes: point.attributes,
        count: point.value.count,
        sum: point.value.sum,
        min: point.value.min,
        max: point.value.max,
        timeUnixMicros: hrTimeToMicroseconds(point.endTime)
      }))
  }
}

/** Flattens the SDK's nested resource → scope → metric structure. */
export const flatten = (resourceMetrics: ResourceMetrics): ReadonlyArray<CollectedMetric> =>
  resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics.map((metric) => ({
      name: metric.descriptor.name,
      description: metric.descriptor.description,
      unit: metric.descriptor.unit,
      type: TYPES[metric.dataPointType],
      scope: scope.scope.name,
      points: toPoints(metric)
    }))
  )
