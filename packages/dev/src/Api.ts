/**
 * The JSON shapes of the dev server's API, shared by the store, the server and the viewer. Times are
 * milliseconds since the epoch as floats (sub-microsecond precision survives), attribute values are
 * JSON: int64 beyond 2^53 as a decimal string, bytes as base64.
 */

export type Attributes = Readonly<Record<string, unknown>>

export interface Scope {
  readonly name: string
  readonly version?: string
}

export interface SpanEvent {
  readonly name: string
  readonly time: number
  readonly attributes: Attributes
}

export interface SpanLink {
  readonly traceId: string
  readonly spanId: string
  readonly attributes: Attributes
}

export interface Span {
  /** Arrival order across all signals; strictly increasing. */
  readonly seq: number
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  /** `service.name` of the resource, `"unknown_service"` when absent. */
  readonly service: string
  /** The OTLP `SpanKind`: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number
  readonly start: number
  readonly end: number
  readonly attributes: Attributes
  /** The OTLP `StatusCode`: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message?: string }
  readonly events: ReadonlyArray<SpanEvent>
  readonly links: ReadonlyArray<SpanLink>
  readonly resource: Attributes
  readonly scope: Scope
}

export interface LogRecord {
  readonly seq: number
  /** The record's time, or its observed time when the producer left it unset. */
  readonly time: number
  readonly severityNumber: number
  readonly severityText: string
  readonly body: unknown
  readonly attributes: Attributes
  readonly traceId?: string
  readonly spanId?: string
  readonly service: string
  readonly resource: Attributes
  readonly scope: Scope
}

export type MetricType = "sum" | "gauge" | "histogram" | "exponentialHistogram" | "summary"

/** One data point of one metric, as the store keeps it. */
export interface MetricPoint {
  readonly seq: number
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly type: MetricType
  readonly monotonic?: boolean
  /** 1 delta, 2 cumulative. */
  readonly temporality?: number
  readonly service: string
  /** `service.instance.id` of the resource: restarts and replicas of a service are separate series. */
  readonly instance?: string
  readonly attributes: Attributes
  readonly startTime: number
  readonly time: number
  /** Sums and gauges. */
  readonly value?: number
  readonly count?: number
  readonly sum?: number
  /** Histograms: the smallest and largest value recorded, when the producer sent them. */
  readonly min?: number
  readonly max?: number
  readonly bucketCounts?: ReadonlyArray<number>
  readonly explicitBounds?: ReadonlyArray<number>
  readonly quantileValues?: ReadonlyArray<{ readonly quantile: number; readonly value: number }>
}

/** One row of the trace list. */
export interface TraceSummary {
  readonly traceId: string
  /** The root span's name; the earliest span's when no span without a parent has arrived (see `orphanCount`). */
  readonly rootName: string
  readonly rootService: string
  readonly services: ReadonlyArray<string>
  readonly start: number
  readonly durationMs: number
  readonly spanCount: number
  readonly errorCount: number
  /** Spans whose parent is not (or no longer) in the store. */
  readonly orphanCount: number
  /** The latest arrival in the trace, to sort by recency. */
  readonly lastSeq: number
}

/** A span placed in the waterfall: depth-first, children by start time. */
export interface WaterfallRow {
  readonly span: Span
  readonly depth: number
  /** The parent was named but has not arrived (or was evicted). */
  readonly orphan: boolean
}

export interface TraceDetail {
  readonly summary: TraceSummary
  readonly rows: ReadonlyArray<WaterfallRow>
  readonly logs: ReadonlyArray<LogRecord>
}

/** One metric name with its attribute sets. */
export interface MetricInfo {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly type: MetricType
  readonly monotonic?: boolean
  readonly series: ReadonlyArray<SeriesInfo>
}

export interface SeriesInfo {
  /** Stable id of the (service, instance, attributes) triple within the metric. */
  readonly key: string
  readonly service: string
  /** `service.instance.id`, when the producer's resource has one. */
  readonly instance?: string
  readonly attributes: Attributes
  readonly points: number
  /** The latest value (sum/gauge) or count (histogram, summary). */
  readonly last?: number
}

/** A series as the charts draw it: one row per point, columns depending on the metric type. */
export interface SeriesData {
  readonly key: string
  readonly service: string
  readonly instance?: string
  readonly attributes: Attributes
  readonly times: ReadonlyArray<number>
  /**
   * Sum and gauge values; for a counter (monotonic cumulative sum) its increase per interval,
   * `null` where there is nothing to difference against.
   */
  readonly values?: ReadonlyArray<number | null>
  /** The values are a counter's increase per interval, not the running total it sent. */
  readonly perInterval?: boolean
  /** Histograms and summaries: per interval when the producer sends cumulative points. */
  readonly counts?: ReadonlyArray<number>
  readonly sums?: ReadonlyArray<number>
  readonly p50?: ReadonlyArray<number | null>
  readonly p95?: ReadonlyArray<number | null>
  readonly p99?: ReadonlyArray<number | null>
}

export interface MetricDetail {
  readonly info: MetricInfo
  readonly series: ReadonlyArray<SeriesData>
}

export interface Counts {
  readonly spans: number
  readonly logs: number
  readonly metricPoints: number
}

export interface Stats {
  /** What the store holds now; `bytes` is its estimated size in memory. */
  readonly held: Counts & { readonly traces: number; readonly bytes: number }
  readonly capacity: Counts & { readonly bytes: number }
  /** Dropped to stay within capacity since start. */
  readonly evicted: Counts
  /** Received since start (including what was reloaded from the file). */
  readonly received: Counts
  readonly services: ReadonlyArray<string>
  readonly file?: string
}

/** What a server-sent `update` event carries: the latest sequence number and what changed. */
export interface Update {
  readonly seq: number
  readonly spans: number
  readonly logs: number
  readonly metricPoints: number
  /** Traces that gained spans, newest last (bounded). */
  readonly traceIds: ReadonlyArray<string>
}
