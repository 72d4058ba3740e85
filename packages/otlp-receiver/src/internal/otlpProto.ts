/**
 * The OTLP messages the receiver decodes (traces, metrics, logs and their Export responses), by
 * the tables of field numbers and names of `otlpTables.ts` (from the official definitions). One
 * table per message drives three things: decoding protobuf through the engine's bounded
 * `ProtoReader`, decoding OTLP/JSON (the proto3 JSON mapping), and encoding (responses, and
 * requests for gRPC clients of the service definition). No protobuf library and no second copy of
 * the OTLP definitions is loaded at run time.
 */
import { LENGTH_DELIMITED, ProtoError, ProtoReader } from "@lingo-obs/otlp/ProtoReader"
import { ProtoWriter } from "@lingo-obs/otlp/ProtoWriter"
import type { InstrumentationScope, LogRecord, Metric, Optional, Resource, Span } from "./otlpMessages.js"
import {
  exportResponse,
  many,
  type Message,
  message,
  ResourceLogsMessage,
  ResourceMetricsMessage,
  ResourceSpansMessage,
  type Scalar
} from "./otlpTables.js"

export type {
  Int64,
  AnyValue,
  KeyValue,
  Resource,
  InstrumentationScope,
  Span,
  DataPointBase,
  NumberDataPoint,
  HistogramDataPoint,
  ExponentialHistogramDataPoint,
  ExponentialBuckets,
  SummaryDataPoint,
  Metric,
  LogRecord
} from "./otlpMessages.js"

/** The requests of the collector services (each also a codec, below). */
export interface ExportTraceServiceRequest {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource?: Optional<Resource>
    readonly scopeSpans: ReadonlyArray<{
      readonly scope?: Optional<InstrumentationScope>
      readonly spans: ReadonlyArray<Span>
    }>
  }>
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
