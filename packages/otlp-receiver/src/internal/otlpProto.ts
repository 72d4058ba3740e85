/**
 * The OTLP messages the receiver decodes (traces, metrics, logs and their Export responses), as
 * tables of field numbers and names from the official definitions (opentelemetry-proto,
 * `opentelemetry/proto/{common,resource,trace,metrics,logs}/v1` and the collector services). One
 * table per message drives three things: decoding protobuf through the engine's bounded
 * `ProtoReader`, decoding OTLP/JSON (the proto3 JSON mapping), and encoding (responses, and
 * requests for gRPC clients of the service definition). No protobuf library and no second copy of
 * the OTLP definitions is loaded at run time.
 */
import { FIXED32, FIXED64, LENGTH_DELIMITED, ProtoError, ProtoReader, VARINT } from "@lingo-obs/otlp/ProtoReader"
import { ProtoWriter } from "@lingo-obs/otlp/ProtoWriter"

/** A 64-bit integer: a bigint as decoded from protobuf or JSON. */
export type Int64 = bigint

/** Fields absent from a message are absent from its decoded object. */
type Optional<T> = T | null | undefined

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

export interface ExportTraceServiceRequest {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource?: Optional<Resource>
    readonly scopeSpans: ReadonlyArray<{
      readonly scope?: Optional<InstrumentationScope>
      readonly spans: ReadonlyArray<Span>
    }>
  }>
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

export interface ExportMetricsServiceRequest {
  readonly resourceMetrics: ReadonlyArray<{
    readonly resource?: Optional<Resource>
    readonly scopeMetrics: ReadonlyArray<{
      readonly scope?: Optional<InstrumentationScope>
      readonly metrics: ReadonlyArray<Metric>
    }>
  }>
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

export interface ExportLogsServiceRequest {
  readonly resourceLogs: ReadonlyArray<{
    readonly resource?: Optional<Resource>
    readonly scopeLogs: ReadonlyArray<{
      readonly scope?: Optional<InstrumentationScope>
      readonly logRecords: ReadonlyArray<LogRecord>
    }>
  }>
}

export interface Codec<T> {
  /** Decodes protobuf; throws a `ProtoError` (naming the field path) or an `InvalidMessage`. */
  decode(input: Uint8Array): T
  encode(message: object): Uint8Array
  /** Decodes the parsed OTLP/JSON form (lowerCamelCase keys, hex ids); throws an `InvalidMessage` naming the field. */
  fromJson(json: unknown): T
}

/** A message whose content cannot be taken (wrong JSON type, nesting beyond the bound). */
export class InvalidMessage extends Error {}

/** A view of encoded bytes as the Buffer gRPC expects, without copying. */
export const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

// ---------------------------------------------------------------------------------------------
// The message tables
// ---------------------------------------------------------------------------------------------

/** `id` is `bytes` that OTLP/JSON writes in hex (trace and span ids) instead of base64. */
type Scalar =
  | "string" | "bytes" | "id" | "bool" | "int32" | "uint32" | "sint32"
  | "int64" | "uint64" | "fixed32" | "fixed64" | "sfixed64" | "double"

interface Field {
  readonly name: string
  readonly type: Scalar | (() => Message)
  readonly repeated?: true
  /** The wire type of a scalar field and its reader; `undefined` for an embedded message. */
  readonly wire: number
  readonly read: ((reader: ProtoReader) => unknown) | undefined
}

interface Message {
  readonly name: string
  readonly fields: ReadonlyMap<number, Field>
  /** The same fields indexed by number (OTLP's are small), for the decoder's lookups. */
  readonly byNumber: ReadonlyArray<Field | undefined>
  /** The repeated fields' names: each starts as an empty array. */
  readonly repeated: ReadonlyArray<string>
  /** AnyValue: counts towards the attribute nesting bound. */
  readonly nests?: true
}

const message = (name: string, fields: Record<number, Field>, nests?: true): Message => ({
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
const one = (name: string, type: Field["type"]): Field => field(name, type, false)
const many = (name: string, type: Field["type"]): Field => field(name, type, true)

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
const ResourceSpansMessage = message("ResourceSpans", {
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
const ResourceMetricsMessage = message("ResourceMetrics", {
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
const ResourceLogsMessage = message("ResourceLogs", {
  1: one("resource", () => ResourceMessage),
  2: many("scopeLogs", () => ScopeLogsMessage),
  3: one("schemaUrl", "string")
})

// collector/{trace,metrics,logs}/v1/*_service.proto
const partialSuccess = (name: string, rejected: string): Message =>
  message(name, { 1: one(rejected, "int64"), 2: one("errorMessage", "string") })
const exportResponse = (name: string, rejected: string): Message => {
  const partial = partialSuccess(`${name}.partialSuccess`, rejected)
  return message(name, { 1: one("partialSuccess", () => partial) })
}

// ---------------------------------------------------------------------------------------------
// Decoding and encoding by table
// ---------------------------------------------------------------------------------------------

/**
 * How deep arrays and key-value lists may nest in one attribute value. OTLP sets no limit; the
 * bound keeps every later walk (conversion, JSON, the viewer) far from the stack's limit.
 */
export const MAX_NESTING = 64

/**
 * How many AnyValues may nest inside one another while decoding: `MAX_NESTING` with room for
 * flatten's own, exact check, so a request nested far deeper stops here, early.
 */
const MAX_ANY_VALUE_NESTING = MAX_NESTING + 2
/** Embedded messages per attribute level (AnyValue, KeyValueList, KeyValue) times the levels, plus the envelope. */
const MAX_MESSAGE_DEPTH = 3 * MAX_ANY_VALUE_NESTING + 16
/** Objects and arrays per attribute level in OTLP/JSON (AnyValue, KeyValueList, its array, KeyValue). */
const MAX_JSON_DEPTH = 4 * MAX_ANY_VALUE_NESTING + 24

const nestingError = (): InvalidMessage =>
  new InvalidMessage(`an attribute value nests arrays or key-value lists deeper than ${MAX_NESTING} levels`)

const emptyOf = (spec: Message): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const name of spec.repeated) out[name] = []
  return out
}

const decodeMessage = (reader: ProtoReader, spec: Message, nesting: number): Record<string, unknown> => {
  if (spec.nests && nesting > MAX_ANY_VALUE_NESTING) throw nestingError()
  const out = emptyOf(spec)
  for (let number = reader.next(); number !== undefined; number = reader.next()) {
    const field = spec.byNumber[number]
    if (field === undefined) {
      reader.skip()
      continue
    }
    const list = field.repeated ? out[field.name] as Array<unknown> : undefined
    if (field.read === undefined) {
      reader.expect(LENGTH_DELIMITED, field.name)
      const outerEnd = reader.enter(field.name, list?.length)
      const value = decodeMessage(reader, (field.type as () => Message)(), nesting + (spec.nests ? 1 : 0))
      reader.leave(outerEnd)
      if (list === undefined) out[field.name] = value
      else list.push(value)
    } else if (list !== undefined && field.wire !== LENGTH_DELIMITED) {
      reader.repeated(field.wire, field.read, list)
    } else {
      reader.expect(field.wire, field.name)
      const value = field.read(reader)
      if (list === undefined) out[field.name] = value
      else list.push(value)
    }
  }
  return out
}

const writeScalar = (writer: ProtoWriter, number: number, type: Scalar, value: unknown): void => {
  switch (type) {
    case "string": writer.string(number, String(value)); return
    case "bytes": case "id": writer.bytes(number, value as Uint8Array); return
    case "bool": writer.bool(number, Boolean(value)); return
    case "sint32": writer.sint32(number, Number(value)); return
    case "int32": case "uint32": case "int64": case "uint64": writer.varint(number, BigInt(value as bigint)); return
    case "fixed32": writer.fixed32(number, Number(value)); return
    case "fixed64": case "sfixed64": writer.fixed64(number, BigInt(value as bigint)); return
    case "double": writer.double(number, Number(value)); return
  }
}

const encodeMessage = (writer: ProtoWriter, spec: Message, value: Record<string, unknown>): void => {
  for (const [number, field] of spec.fields) {
    const present = value[field.name]
    if (present == null) continue
    for (const item of field.repeated ? present as ReadonlyArray<unknown> : [present]) {
      const type = field.type
      if (typeof type === "function") writer.message(number, (inner) => encodeMessage(inner, type(), item as Record<string, unknown>))
      else writeScalar(writer, number, type, item)
    }
  }
}

const HEX = /^(?:[0-9a-f]{2})*$/i
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/
const INTEGER = /^-?\d+$/

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "string" ? `the string ${JSON.stringify(value.slice(0, 64))}` : `a ${typeof value}`

const jsonScalar = (value: unknown, type: Scalar, path: string): unknown => {
  const wrong = (expected: string) => new InvalidMessage(`${path}: expected ${expected}, found ${describe(value)}`)
  switch (type) {
    case "string":
      if (typeof value !== "string") throw wrong("a string")
      return value
    case "bool":
      if (typeof value !== "boolean") throw wrong("true or false")
      return value
    case "id":
      if (typeof value !== "string" || !HEX.test(value)) throw wrong("hex digits")
      return Uint8Array.from(Buffer.from(value, "hex"))
    case "bytes":
      if (typeof value !== "string" || !BASE64.test(value)) throw wrong("base64")
      return Uint8Array.from(Buffer.from(value, "base64"))
    case "double":
      if (typeof value === "number") return value
      if (value === "NaN" || value === "Infinity" || value === "-Infinity") return Number(value)
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value)
      throw wrong("a number")
    default: {
      // Integers: 64-bit ones as strings or numbers (proto3 JSON), the others as numbers or strings too.
      const text = typeof value === "number" && Number.isInteger(value) ? value.toFixed(0) : typeof value === "string" ? value : undefined
      if (text === undefined || !INTEGER.test(text)) throw wrong("an integer")
      const exact = BigInt(text)
      const bits = type === "int64" || type === "uint64" || type === "fixed64" || type === "sfixed64" ? 64 : 32
      const unsigned = type.startsWith("u") || type.startsWith("fixed")
      const fits = unsigned ? BigInt.asUintN(bits, exact) === exact : BigInt.asIntN(bits, exact) === exact
      if (!fits) throw wrong(`an integer within ${unsigned ? "u" : ""}int${bits}`)
      return bits === 64 ? exact : Number(exact)
    }
  }
}

const fromJsonMessage = (json: unknown, spec: Message, path: string, depth: number, nesting: number): Record<string, unknown> => {
  if (depth > MAX_JSON_DEPTH) throw new InvalidMessage(`the JSON nests deeper than ${MAX_JSON_DEPTH} levels`)
  if (spec.nests && nesting > MAX_ANY_VALUE_NESTING) throw nestingError()
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidMessage(`${path === "" ? spec.name : path}: expected an object, found ${describe(json)}`)
  }
  const object = json as Record<string, unknown>
  const out = emptyOf(spec)
  for (const field of spec.fields.values()) {
    const value = Object.hasOwn(object, field.name) ? object[field.name] : undefined
    if (value == null) continue
    const at = path === "" ? field.name : `${path}.${field.name}`
    const type = field.type
    const convert = (item: unknown, itemPath: string): unknown =>
      typeof type === "function"
        ? fromJsonMessage(item, type(), itemPath, depth + 1, nesting + (spec.nests ? 1 : 0))
        : jsonScalar(item, type, itemPath)
    if (field.repeated) {
      if (!Array.isArray(value)) throw new InvalidMessage(`${at}: expected an array, found ${describe(value)}`)
      out[field.name] = value.map((item, index) => convert(item, `${at}[${index}]`))
    } else {
      out[field.name] = convert(value, at)
    }
  }
  return out
}

const codecOf = <T>(spec: Message): Codec<T> => ({
  decode: (input) => decodeMessage(ProtoReader.of(input, { maxDepth: MAX_MESSAGE_DEPTH }), spec, 0) as T,
  encode: (value) => {
    const writer = new ProtoWriter()
    encodeMessage(writer, spec, value as Record<string, unknown>)
    return writer.finish()
  },
  fromJson: (json) => fromJsonMessage(json, spec, "", 0, 0) as T
})

const request = (name: string, field: string, resource: Message): Message => message(name, { 1: many(field, () => resource) })

export const ExportTraceServiceRequest = codecOf<ExportTraceServiceRequest>(
  request("ExportTraceServiceRequest", "resourceSpans", ResourceSpansMessage)
)
export const ExportTraceServiceResponse = codecOf<object>(exportResponse("ExportTraceServiceResponse", "rejectedSpans"))
export const ExportMetricsServiceRequest = codecOf<ExportMetricsServiceRequest>(
  request("ExportMetricsServiceRequest", "resourceMetrics", ResourceMetricsMessage)
)
export const ExportMetricsServiceResponse = codecOf<object>(exportResponse("ExportMetricsServiceResponse", "rejectedDataPoints"))
export const ExportLogsServiceRequest = codecOf<ExportLogsServiceRequest>(
  request("ExportLogsServiceRequest", "resourceLogs", ResourceLogsMessage)
)
export const ExportLogsServiceResponse = codecOf<object>(exportResponse("ExportLogsServiceResponse", "rejectedLogRecords"))

/** The error types decoding throws, for callers that answer them as a bad request. */
export { ProtoError }

/**
 * Counts, without decoding, the embedded messages at `path` (field numbers, one set per level) of
 * an encoded message, e.g. the spans of an ExportTraceServiceRequest at [{1}, {2}, {2}]: the
 * receiver checks a request's item count before building an object for every item.
 * Throws a `ProtoError` on bytes that are not protobuf.
 */
export const countOnWire = (bytes: Uint8Array, path: ReadonlyArray<ReadonlySet<number>>): number => {
  const countIn = (reader: ProtoReader, level: number): number => {
    let count = 0
    for (let field = reader.next(); field !== undefined; field = reader.next()) {
      if (reader.wireType !== LENGTH_DELIMITED || !path[level]!.has(field)) reader.skip()
      else if (level === path.length - 1) (reader.skip(), count++)
      else count += countIn(reader.message(), level + 1)
    }
    return count
  }
  return countIn(ProtoReader.of(bytes), 0)
}
