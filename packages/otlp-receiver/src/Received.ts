/**
 * What the receiver hands back: the flat records of received spans, metric points and log records.
 * Its own module so the decoders that build them and the receiver that serves them share it
 * without importing each other.
 */

export type Signal = "traces" | "metrics" | "logs"

/**
 * OTLP attributes as plain JS: strings, booleans, numbers (int64 as bigint only beyond 2^53), arrays,
 * objects (kvlist), Uint8Array (bytes).
 */
export type Attributes = Readonly<Record<string, unknown>>

export interface ReceivedScope {
  readonly name: string
  readonly version?: string
}

export interface ReceivedSpanEvent {
  readonly name: string
  readonly timeUnixNano: bigint
  readonly attributes: Attributes
  /** What the sender's per-event attribute limit cut. */
  readonly droppedAttributes: number
}

export interface ReceivedSpanLink {
  readonly traceId: string
  readonly spanId: string
  readonly attributes: Attributes
}

export interface ReceivedSpan {
  /** Lower-case hex. */
  readonly traceId: string
  readonly spanId: string
  /** `undefined` for a root span. */
  readonly parentSpanId: string | undefined
  readonly name: string
  /** The OTLP `SpanKind`: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number
  readonly startTimeUnixNano: bigint
  readonly endTimeUnixNano: bigint
  readonly attributes: Attributes
  /** The OTLP `StatusCode`: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message?: string }
  readonly events: ReadonlyArray<ReceivedSpanEvent>
  readonly links: ReadonlyArray<ReceivedSpanLink>
  /** The resource attributes. */
  readonly resource: Attributes
  readonly scope: ReceivedScope
  /** What the sender's span limits cut (0 when nothing was). */
  readonly dropped: { readonly attributes: number; readonly events: number; readonly links: number }
}

export interface ExponentialBuckets {
  readonly offset: number
  readonly bucketCounts: ReadonlyArray<number>
}

/** One data point; which optional fields are set depends on the metric type. */
export interface ReceivedDataPoint {
  readonly attributes: Attributes
  readonly startTimeUnixNano: bigint
  readonly timeUnixNano: bigint
  /** Sum and gauge: `asInt` or `asDouble`. */
  readonly value?: number
  readonly count?: number
  readonly sum?: number
  readonly min?: number
  readonly max?: number
  readonly bucketCounts?: ReadonlyArray<number>
  readonly explicitBounds?: ReadonlyArray<number>
  readonly scale?: number
  readonly zeroCount?: number
  readonly positive?: ExponentialBuckets
  readonly negative?: ExponentialBuckets
  readonly quantileValues?: ReadonlyArray<{ readonly quantile: number; readonly value: number }>
}

export interface ReceivedMetric {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly type: "sum" | "gauge" | "histogram" | "exponentialHistogram" | "summary"
  readonly dataPoints: ReadonlyArray<ReceivedDataPoint>
  /** Sums only. */
  readonly isMonotonic?: boolean
  /** Sums and histograms: 1 delta, 2 cumulative. */
  readonly aggregationTemporality?: number
  readonly resource: Attributes
  readonly scope: ReceivedScope
}

export interface ReceivedLogRecord {
  readonly timeUnixNano: bigint
  readonly observedTimeUnixNano: bigint
  readonly severityNumber: number
  readonly severityText: string
  readonly body: unknown
  readonly attributes: Attributes
  /** Lower-case hex; `undefined` when the record is not correlated with a span. */
  readonly traceId: string | undefined
  readonly spanId: string | undefined
  readonly flags: number
  readonly eventName?: string
  readonly resource: Attributes
  readonly scope: ReceivedScope
}
