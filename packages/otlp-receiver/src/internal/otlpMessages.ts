/**
 * The parts of the OTLP request messages as the receiver decodes them (values, resources, spans,
 * metrics and their data points, log records): the shapes the message tables (`otlpTables.ts`)
 * produce from protobuf and from OTLP/JSON.
 */

/** A 64-bit integer: a bigint as decoded from protobuf or JSON. */
export type Int64 = bigint

/** Fields absent from a message are absent from its decoded object. */
export type Optional<T> = T | null | undefined

export interface AnyValue {
  readonly stringValue?: Optional<string>
  readonly boolValue?: Optional<boolean>
  readonly intValue?: Optional<Int64>
  readonly doubleValue?: Optional<number>
  readonly arrayValue?: Optional<{ readonly values: ReadonlyArray<AnyValue> }>
  readonly kvlistValue?: Optional<{ readonly values: ReadonlyArray<KeyValue> }>
  readonly bytesValue?: Optional<Uint8Array>
}

export interface KeyValue {
  readonly key?: Optional<string>
  readonly value?: Optional<AnyValue>
}

export interface Resource {
  readonly attributes: ReadonlyArray<KeyValue>
}

export interface InstrumentationScope {
  readonly name?: Optional<string>
  readonly version?: Optional<string>
}

export interface Span {
  readonly traceId?: Optional<Uint8Array>
  readonly spanId?: Optional<Uint8Array>
  readonly parentSpanId?: Optional<Uint8Array>
  readonly name?: Optional<string>
  readonly kind?: Optional<number>
  readonly startTimeUnixNano?: Optional<Int64>
  readonly endTimeUnixNano?: Optional<Int64>
  readonly attributes: ReadonlyArray<KeyValue>
  readonly events: ReadonlyArray<{
    readonly timeUnixNano?: Optional<Int64>
    readonly name?: Optional<string>
    readonly attributes: ReadonlyArray<KeyValue>
    readonly droppedAttributesCount?: Optional<number>
  }>
  readonly links: ReadonlyArray<{
    readonly traceId?: Optional<Uint8Array>
    readonly spanId?: Optional<Uint8Array>
    readonly attributes: ReadonlyArray<KeyValue>
    readonly droppedAttributesCount?: Optional<number>
  }>
  readonly status?: Optional<{ readonly code?: Optional<number>; readonly message?: Optional<string> }>
  readonly droppedAttributesCount?: Optional<number>
  readonly droppedEventsCount?: Optional<number>
  readonly droppedLinksCount?: Optional<number>
}

export interface DataPointBase {
  readonly attributes: ReadonlyArray<KeyValue>
  readonly startTimeUnixNano?: Optional<Int64>
  readonly timeUnixNano?: Optional<Int64>
}

export interface NumberDataPoint extends DataPointBase {
  readonly asDouble?: Optional<number>
  readonly asInt?: Optional<Int64>
}

export interface HistogramDataPoint extends DataPointBase {
  readonly count?: Optional<Int64>
  readonly sum?: Optional<number>
  readonly bucketCounts: ReadonlyArray<Int64>
  readonly explicitBounds: ReadonlyArray<number>
  readonly min?: Optional<number>
  readonly max?: Optional<number>
}

export interface ExponentialHistogramDataPoint extends DataPointBase {
  readonly count?: Optional<Int64>
  readonly sum?: Optional<number>
  readonly scale?: Optional<number>
  readonly zeroCount?: Optional<Int64>
  readonly positive?: Optional<ExponentialBuckets>
  readonly negative?: Optional<ExponentialBuckets>
  readonly min?: Optional<number>
  readonly max?: Optional<number>
}

export interface ExponentialBuckets {
  readonly offset?: Optional<number>
  readonly bucketCounts: ReadonlyArray<Int64>
}

export interface SummaryDataPoint extends DataPointBase {
  readonly count?: Optional<Int64>
  readonly sum?: Optional<number>
  readonly quantileValues: ReadonlyArray<{ readonly quantile?: Optional<number>; readonly value?: Optional<number> }>
}

interface Temporal {
  readonly aggregationTemporality?: Optional<number>
}

export interface Metric {
  readonly name?: Optional<string>
  readonly description?: Optional<string>
  readonly unit?: Optional<string>
  readonly gauge?: Optional<{ readonly dataPoints: ReadonlyArray<NumberDataPoint> }>
  readonly sum?: Optional<
    Temporal & { readonly dataPoints: ReadonlyArray<NumberDataPoint>; readonly isMonotonic?: Optional<boolean> }
  >
  readonly histogram?: Optional<Temporal & { readonly dataPoints: ReadonlyArray<HistogramDataPoint> }>
  readonly exponentialHistogram?: Optional<
    Temporal & { readonly dataPoints: ReadonlyArray<ExponentialHistogramDataPoint> }
  >
  readonly summary?: Optional<{ readonly dataPoints: ReadonlyArray<SummaryDataPoint> }>
}

export interface LogRecord {
  readonly timeUnixNano?: Optional<Int64>
  readonly observedTimeUnixNano?: Optional<Int64>
  readonly severityNumber?: Optional<number>
  readonly severityText?: Optional<string>
  readonly body?: Optional<AnyValue>
  readonly attributes: ReadonlyArray<KeyValue>
  readonly flags?: Optional<number>
  readonly traceId?: Optional<Uint8Array>
  readonly spanId?: Optional<Uint8Array>
  readonly eventName?: Optional<string>
}
