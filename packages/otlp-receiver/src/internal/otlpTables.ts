/**
 * The OTLP messages as tables of field numbers and names from the official definitions
 * (opentelemetry-proto, `opentelemetry/proto/{common,resource,trace,metrics,logs}/v1` and the
 * collector services), each field with its wire type and reader: what `otlpProto.ts` decodes,
 * encodes and reads from OTLP/JSON by.
 */
import { FIXED32, FIXED64, LENGTH_DELIMITED, type ProtoReader, VARINT } from "@lingo-obs/otlp/ProtoReader"


/** `id` is `bytes` that OTLP/JSON writes in hex (trace and span ids) instead of base64. */
export type Scalar =
  | "string" | "bytes" | "id" | "bool" | "int32" | "uint32" | "sint32"
  | "int64" | "uint64" | "fixed32" | "fixed64" | "sfixed64" | "double"

export interface Field {
  readonly name: string
  readonly type: Scalar | (() => Message)
  readonly repeated?: true
  /** The wire type of a scalar field and its reader; `undefined` for an embedded message. */
  readonly wire: number
  readonly read: ((reader: ProtoReader) => unknown) | undefined
}

export interface Message {
  readonly name: string
  readonly fields: ReadonlyMap<number, Field>
  /** The same fields indexed by number (OTLP's are small), for the decoder's lookups. */
  readonly byNumber: ReadonlyArray<Field | undefined>
  /** The repeated fields' names: each starts as an empty array. */
  readonly repeated: ReadonlyArray<string>
  /** AnyValue: counts towards the attribute nesting bound. */
  readonly nests?: true
}

export const message = (name: string, fields: Record<number, Field>, nests?: true): Message => ({
  name,
  fields: new Map(Object.entries(fields).map(([number, field]) => [Number(number), field])),
  byNumber: Array.from({ length: Math.max(...Object.keys(fields).map(Number)) + 1 }, (_, number) => fields[number]),
  repeated: Object.values(fields).filter((field) => field.repeated).map((field) => field.name),
  ...(nests ? { nests } : {})
})
const field = (name: string, type: Field["type"], repeated: boolean): Field => ({
  name,
  type,
  ...(repeated ? { repeated: true as const } : {}),
  wire: typeof type === "function" ? LENGTH_DELIMITED : WIRE_TYPES[type],
  read: typeof type === "function" ? undefined : READERS[type]
})
export const one = (name: string, type: Field["type"]): Field => field(name, type, false)
export const many = (name: string, type: Field["type"]): Field => field(name, type, true)

const WIRE_TYPES: Record<Scalar, number> = {
  string: LENGTH_DELIMITED, bytes: LENGTH_DELIMITED, id: LENGTH_DELIMITED,
  bool: VARINT, int32: VARINT, uint32: VARINT, sint32: VARINT, int64: VARINT, uint64: VARINT,
  fixed32: FIXED32, fixed64: FIXED64, sfixed64: FIXED64, double: FIXED64
}

const readScalar = (reader: ProtoReader, type: Scalar): unknown => {
  switch (type) {
    case "string": return reader.string()
    // A copy: a stored id or bytes value must not keep the whole request buffer alive.
    case "bytes": case "id": return Uint8Array.prototype.slice.call(reader.bytesField())
    case "bool": return reader.bool()
    case "int32": return reader.int32()
    case "uint32": return reader.uint32()
    case "sint32": return reader.sint32()
    case "int64": return reader.int64()
    case "uint64": return reader.uint64()
    case "fixed32": return reader.fixed32()
    case "fixed64": return reader.fixed64()
    case "sfixed64": return reader.sfixed64()
    case "double": return reader.double()
  }
}

/** Every scalar type's reader, so a field finds its own without a switch per value. */
const READERS = Object.fromEntries(
  Object.keys(WIRE_TYPES).map((type) => [type, (reader: ProtoReader) => readScalar(reader, type as Scalar)])
) as Record<Scalar, (reader: ProtoReader) => unknown>

// common/v1/common.proto
const AnyValueMessage: Message = message("AnyValue", {
  1: one("stringValue", "string"),
  2: one("boolValue", "bool"),
  3: one("intValue", "int64"),
  4: one("doubleValue", "double"),
  5: one("arrayValue", () => ArrayValueMessage),
  6: one("kvlistValue", () => KeyValueListMessage),
  7: one("bytesValue", "bytes")
}, true)
const ArrayValueMessage = message("ArrayValue", { 1: many("values", () => AnyValueMessage) })
const KeyValueMessage = message("KeyValue", { 1: one("key", "string"), 2: one("value", () => AnyValueMessage) })
const KeyValueListMessage = message("KeyValueList", { 1: many("values", () => KeyValueMessage) })
const ScopeMessage = message("InstrumentationScope", {
  1: one("name", "string"),
  2: one("version", "string"),
  3: many("attributes", () => KeyValueMessage),
  4: one("droppedAttributesCount", "uint32")
})
// resource/v1/resource.proto
const ResourceMessage = message("Resource", {
  1: many("attributes", () => KeyValueMessage),
  2: one("droppedAttributesCount", "uint32")
})

// trace/v1/trace.proto
const EventMessage = message("Span.Event", {
  1: one("timeUnixNano", "fixed64"),
  2: one("name", "string"),
  3: many("attributes", () => KeyValueMessage),
  4: one("droppedAttributesCount", "uint32")
})
const LinkMessage = message("Span.Link", {
  1: one("traceId", "id"),
  2: one("spanId", "id"),
  3: one("traceState", "string"),
  4: many("attributes", () => KeyValueMessage),
  5: one("droppedAttributesCount", "uint32"),
  6: one("flags", "fixed32")
})
const StatusMessage = message("Status", { 2: one("message", "string"), 3: one("code", "int32") })
const SpanMessage = message("Span", {
  1: one("traceId", "id"),
  2: one("spanId", "id"),
  3: one("traceState", "string"),
  4: one("parentSpanId", "id"),
  16: one("flags", "fixed32"),
  5: one("name", "string"),
  6: one("kind", "int32"),
  7: one("startTimeUnixNano", "fixed64"),
  8: one("endTimeUnixNano", "fixed64"),
  9: many("attributes", () => KeyValueMessage),
  10: one("droppedAttributesCount", "uint32"),
  11: many("events", () => EventMessage),
  12: one("droppedEventsCount", "uint32"),
  13: many("links", () => LinkMessage),
  14: one("droppedLinksCount", "uint32"),
  15: one("status", () => StatusMessage)
})
const ScopeSpansMessage = message("ScopeSpans", {
  1: one("scope", () => ScopeMessage),
  2: many("spans", () => SpanMessage),
  3: one("schemaUrl", "string")
})
export const ResourceSpansMessage = message("ResourceSpans", {
  1: one("resource", () => ResourceMessage),
  2: many("scopeSpans", () => ScopeSpansMessage),
  3: one("schemaUrl", "string")
})

// metrics/v1/metrics.proto (exemplars and metadata are skipped: nothing reads them)
const NumberDataPointMessage = message("NumberDataPoint", {
  7: many("attributes", () => KeyValueMessage),
  2: one("startTimeUnixNano", "fixed64"),
  3: one("timeUnixNano", "fixed64"),
  4: one("asDouble", "double"),
  6: one("asInt", "sfixed64"),
  8: one("flags", "uint32")
})
const HistogramDataPointMessage = message("HistogramDataPoint", {
  9: many("attributes", () => KeyValueMessage),
  2: one("startTimeUnixNano", "fixed64"),
  3: one("timeUnixNano", "fixed64"),
  4: one("count", "fixed64"),
  5: one("sum", "double"),
  6: many("bucketCounts", "fixed64"),
  7: many("explicitBounds", "double"),
  10: one("flags", "uint32"),
  11: one("min", "double"),
  12: one("max", "double")
})
const BucketsMessage = message("ExponentialHistogramDataPoint.Buckets", {
  1: one("offset", "sint32"),
  2: many("bucketCounts", "uint64")
})
const ExponentialHistogramDataPointMessage = message("ExponentialHistogramDataPoint", {
  1: many("attributes", () => KeyValueMessage),
  2: one("startTimeUnixNano", "fixed64"),
  3: one("timeUnixNano", "fixed64"),
  4: one("count", "fixed64"),
  5: one("sum", "double"),
  6: one("scale", "sint32"),
  7: one("zeroCount", "fixed64"),
  8: one("positive", () => BucketsMessage),
  9: one("negative", () => BucketsMessage),
  10: one("flags", "uint32"),
  12: one("min", "double"),
  13: one("max", "double"),
  14: one("zeroThreshold", "double")
})
const ValueAtQuantileMessage = message("SummaryDataPoint.ValueAtQuantile", {
  1: one("quantile", "double"),
  2: one("value", "double")
})
const SummaryDataPointMessage = message("SummaryDataPoint", {
  7: many("attributes", () => KeyValueMessage),
  2: one("startTimeUnixNano", "fixed64"),
  3: one("timeUnixNano", "fixed64"),
  4: one("count", "fixed64"),
  5: one("sum", "double"),
  6: many("quantileValues", () => ValueAtQuantileMessage),
  8: one("flags", "uint32")
})
const points = (name: string, point: () => Message, temporal: boolean, monotonic = false): Message =>
  message(name, {
    1: many("dataPoints", point),
    ...(temporal ? { 2: one("aggregationTemporality", "int32") } : {}),
    ...(monotonic ? { 3: one("isMonotonic", "bool") } : {})
  })
const GaugeMessage = points("Gauge", () => NumberDataPointMessage, false)
const SumMessage = points("Sum", () => NumberDataPointMessage, true, true)
const HistogramMessage = points("Histogram", () => HistogramDataPointMessage, true)
const ExponentialHistogramMessage = points("ExponentialHistogram", () => ExponentialHistogramDataPointMessage, true)
const SummaryMessage = points("Summary", () => SummaryDataPointMessage, false)
const MetricMessage = message("Metric", {
  1: one("name", "string"),
  2: one("description", "string"),
  3: one("unit", "string"),
  5: one("gauge", () => GaugeMessage),
  7: one("sum", () => SumMessage),
  9: one("histogram", () => HistogramMessage),
  10: one("exponentialHistogram", () => ExponentialHistogramMessage),
  11: one("summary", () => SummaryMessage)
})
const ScopeMetricsMessage = message("ScopeMetrics", {
  1: one("scope", () => ScopeMessage),
  2: many("metrics", () => MetricMessage),
  3: one("schemaUrl", "string")
})
export const ResourceMetricsMessage = message("ResourceMetrics", {
  1: one("resource", () => ResourceMessage),
  2: many("scopeMetrics", () => ScopeMetricsMessage),
  3: one("schemaUrl", "string")
})

// logs/v1/logs.proto (severity_number is an enum: an int32 on the wire)
const LogRecordMessage = message("LogRecord", {
  1: one("timeUnixNano", "fixed64"),
  11: one("observedTimeUnixNano", "fixed64"),
  2: one("severityNumber", "int32"),
  3: one("severityText", "string"),
  5: one("body", () => AnyValueMessage),
  6: many("attributes", () => KeyValueMessage),
  7: one("droppedAttributesCount", "uint32"),
  8: one("flags", "fixed32"),
  9: one("traceId", "id"),
  10: one("spanId", "id"),
  12: one("eventName", "string")
})
const ScopeLogsMessage = message("ScopeLogs", {
  1: one("scope", () => ScopeMessage),
  2: many("logRecords", () => LogRecordMessage),
  3: one("schemaUrl", "string")
})
export const ResourceLogsMessage = message("ResourceLogs", {
  1: one("resource", () => ResourceMessage),
  2: many("scopeLogs", () => ScopeLogsMessage),
  3: one("schemaUrl", "string")
})

// collector/{trace,metrics,logs}/v1/*_service.proto
const partialSuccess = (name: string, rejected: string): Message =>
  message(name, { 1: one(rejected, "int64"), 2: one("errorMessage", "string") })
export const exportResponse = (name: string, rejected: string): Message => {
  const partial = partialSuccess(`${name}.partialSuccess`, rejected)
  return message(name, { 1: one("partialSuccess", () => partial) })
}
