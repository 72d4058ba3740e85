/**
 * The OTLP protobuf codecs the receiver uses, with minimal local types for the decoded messages.
 *
 * Traces and metrics come from the official definitions that `@opentelemetry/otlp-transformer`
 * ships compiled by protobufjs (aliased as `otlp-proto-definitions`). That build does not include
 * the logs protos, so the logs envelope is declared below as a small schema whose shared parts
 * (Resource, InstrumentationScope, KeyValue, AnyValue) are kept as raw bytes and decoded again by
 * the generated codecs: an embedded message and a `bytes` field are the same on the wire.
 */
import { createRequire } from "node:module"
import protobuf from "protobufjs"

/** A 64-bit integer as protobufjs decodes it: a `Long` (long.js is installed), or a plain number. */
export type Int64 = number | { toString(): string }

/** Fields that protobufjs generated with `--null-defaults` leave `null` when absent. */
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

/** A log record as the bytes-wrapped logs schema decodes it (see the module comment). */
export interface LogRecord {
  readonly timeUnixNano: Int64
  readonly observedTimeUnixNano: Int64
  readonly severityNumber: number
  readonly severityText: string
  readonly body: Uint8Array
  readonly attributes: ReadonlyArray<Uint8Array>
  readonly flags: number
  readonly traceId: Uint8Array
  readonly spanId: Uint8Array
  readonly eventName: string
}

export interface ExportLogsServiceRequest {
  readonly resourceLogs: ReadonlyArray<{
    readonly resource: Uint8Array
    readonly scopeLogs: ReadonlyArray<{
      readonly scope: Uint8Array
      readonly logRecords: ReadonlyArray<LogRecord>
    }>
  }>
}

export interface Codec<T> {
  decode(input: Uint8Array): T
  encode(message: object): { finish(): Uint8Array }
  /** Builds a message from a plain object (protobufjs's conversion, as for proto3 JSON with camelCase keys). */
  fromObject(object: Record<string, unknown>): T
}

/** A view of encoded bytes as the Buffer gRPC expects, without copying. */
export const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

interface GeneratedRoot {
  readonly opentelemetry: {
    readonly proto: {
      readonly common: {
        readonly v1: {
          readonly KeyValue: Codec<KeyValue>
          readonly AnyValue: Codec<AnyValue>
          readonly InstrumentationScope: Codec<InstrumentationScope>
        }
      }
      readonly resource: { readonly v1: { readonly Resource: Codec<Resource> } }
      readonly collector: {
        readonly trace: {
          readonly v1: {
            readonly ExportTraceServiceRequest: Codec<ExportTraceServiceRequest>
            readonly ExportTraceServiceResponse: Codec<object>
          }
        }
        readonly metrics: {
          readonly v1: {
            readonly ExportMetricsServiceRequest: Codec<ExportMetricsServiceRequest>
            readonly ExportMetricsServiceResponse: Codec<object>
          }
        }
      }
    }
  }
}

// CommonJS, and its root.d.ts types it as a reflection Root (it is not one): hence `require` and local types.
const generated = (createRequire(import.meta.url)(
  "otlp-proto-definitions/build/src/generated/root.js"
) as GeneratedRoot).opentelemetry.proto

/**
 * Field numbers follow opentelemetry/proto/logs/v1/logs.proto and collector/logs/v1/logs_service.proto;
 * the SeverityNumber enum is declared as int32, which has the same encoding.
 */
const LOGS_SCHEMA = `
syntax = "proto3";
package opentelemetry.proto.collector.logs.v1;

message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
message ResourceLogs { bytes resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message ScopeLogs { bytes scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  bytes body = 5;
  repeated bytes attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
`

const logsRoot = protobuf.parse(LOGS_SCHEMA).root

/**
 * The same logs messages with their embedded messages typed, for building a request from OTLP
 * JSON (whose `resource`, `attributes` and `body` are objects, not bytes). Encoded, it decodes with
 * the bytes-wrapped schema above, so both encodings reach the store the same way.
 */
const LOGS_JSON_SCHEMA = `
syntax = "proto3";
package otlp.json.logs;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
`

const logsJsonRequest = protobuf.parse(LOGS_JSON_SCHEMA).root.lookupType("otlp.json.logs.ExportLogsServiceRequest")

// Reflection types decode to loosely typed messages; the schema above guarantees the shape.
const logsCodec = <T>(name: string) =>
  logsRoot.lookupType(`opentelemetry.proto.collector.logs.v1.${name}`) as unknown as Codec<T>

export const ExportTraceServiceRequest = generated.collector.trace.v1.ExportTraceServiceRequest
export const ExportTraceServiceResponse = generated.collector.trace.v1.ExportTraceServiceResponse
export const ExportMetricsServiceRequest = generated.collector.metrics.v1.ExportMetricsServiceRequest
export const ExportMetricsServiceResponse = generated.collector.metrics.v1.ExportMetricsServiceResponse
const logsRequestCodec = logsCodec<ExportLogsServiceRequest>("ExportLogsServiceRequest")
export const ExportLogsServiceRequest: Codec<ExportLogsServiceRequest> = {
  decode: (input) => logsRequestCodec.decode(input),
  encode: (message) => logsRequestCodec.encode(message),
  fromObject: (object) => logsRequestCodec.decode(logsJsonRequest.encode(logsJsonRequest.fromObject(object)).finish())
}
export const ExportLogsServiceResponse = logsCodec<object>("ExportLogsServiceResponse")
export const KeyValue = generated.common.v1.KeyValue
export const AnyValue = generated.common.v1.AnyValue
export const Resource = generated.resource.v1.Resource
export const InstrumentationScope = generated.common.v1.InstrumentationScope

/**
 * Counts, without decoding, the embedded messages at `path` (field numbers, one set per level) of
 * an encoded message, e.g. the spans of an ExportTraceServiceRequest at [{1}, {2}, {2}]: the
 * receiver checks a request's item count before protobufjs builds an object for every item.
 * Throws on bytes that are not protobuf.
 */
export const countOnWire = (bytes: Uint8Array, path: ReadonlyArray<ReadonlySet<number>>): number => {
  let count = 0
  // (start, end, level) ranges still to scan; the path is a few levels, so this stays small.
  const pending: Array<readonly [number, number, number]> = [[0, bytes.length, 0]]
  while (pending.length > 0) {
    const [start, end, level] = pending.pop()!
    let position = start
    const varint = (): number => {
      let value = 0
      for (let shift = 0; shift < 35; shift += 7) {
        if (position >= end) throw new Error("truncated varint")
        const byte = bytes[position++]!
        value += (byte & 0x7f) * 2 ** shift
        if (byte < 0x80) return value
      }
      // Longer varints (64-bit values) only occur as plain values: skip their remaining bytes.
      while (position < end && bytes[position++]! >= 0x80) {}
      return value
    }
    while (position < end) {
      const tag = varint()
      const wireType = tag & 7
      const field = Math.floor(tag / 8)
      if (wireType === 0) varint()
      else if (wireType === 1) position += 8
      else if (wireType === 5) position += 4
      else if (wireType === 2) {
        const length = varint()
        if (position + length > end) throw new Error("a length runs past the end of the message")
        if (path[level]!.has(field)) {
          if (level === path.length - 1) count++
          else pending.push([position, position + length, level + 1])
        }
        position += length
      } else {
        throw new Error(`wire type ${wireType} is not used by OTLP`)
      }
      if (position > end) throw new Error("a field runs past the end of the message")
    }
  }
  return count
}
