/**
 * The receiver's OTLP codecs (tables over the engine's reader) against the official definitions
 * compiled by protobufjs (the 0.215 build, a test-only dependency now): random trace and metric
 * requests encoded by protobufjs decode to the same messages, their OTLP/JSON form decodes to the
 * same messages again, and what the codecs encode protobufjs reads back equal.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { createRequire } from "node:module"
import * as Proto from "../src/internal/otlpProto.js"

interface Generated {
  fromObject(object: object): unknown
  encode(message: unknown): { finish(): Uint8Array }
  decode(bytes: Uint8Array): unknown
  toObject(message: unknown, options: object): Record<string, unknown>
}
const generated = (createRequire(import.meta.url)("otlp-proto-definitions/build/src/generated/root.js") as {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: Generated } }
        metrics: { v1: { ExportMetricsServiceRequest: Generated } }
      }
    }
  }
}).opentelemetry.proto.collector
const OfficialTraces = generated.trace.v1.ExportTraceServiceRequest
const OfficialMetrics = generated.metrics.v1.ExportMetricsServiceRequest

const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"])

/** Bigints as decimal strings, bytes as hex (ids) or base64 (others): one comparable form. */
const comparable = (value: unknown, key?: string): unknown => {
  if (typeof value === "bigint") return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString(key !== undefined && ID_FIELDS.has(key) ? "hex" : "base64")
  if (Array.isArray(value)) return value.map((item) => comparable(item))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => !(Array.isArray(item) && item.length === 0))
        .map(([field, item]) => [field, comparable(item, field)])
    )
  }
  return value
}

/** protobufjs's reading of the same bytes in that form. */
const official = (codec: Generated, bytes: Uint8Array): unknown =>
  comparable(codec.toObject(codec.decode(bytes), { longs: String, bytes: (b: Uint8Array) => Uint8Array.from(b), arrays: true }))

/** The OTLP/JSON form: ids hex, other bytes base64, 64-bit integers as strings. */
const jsonOf = (codec: Generated, bytes: Uint8Array): unknown => {
  const hexIds = (value: unknown, key?: string): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString(key !== undefined && ID_FIELDS.has(key) ? "hex" : "base64")
    if (Array.isArray(value)) return value.map((item) => hexIds(item))
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, hexIds(item, field)]))
    }
    return value
  }
  return JSON.parse(JSON.stringify(hexIds(codec.toObject(codec.decode(bytes), {
    longs: String,
    bytes: (b: Uint8Array) => Uint8Array.from(b),
    arrays: true,
    json: true // NaN and ±Infinity as the strings proto3 JSON uses
  }))))
}

const bytesOf = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.fullUnicodeString({ maxLength: 8 }))
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String)
const anyValue: fc.Arbitrary<object> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text.map((stringValue) => ({ stringValue })),
    fc.boolean().map((boolValue) => ({ boolValue })),
    int64.map((intValue) => ({ intValue })),
    fc.double().map((doubleValue) => ({ doubleValue })),
    fc.uint8Array({ maxLength: 12 }).map((bytesValue) => ({ bytesValue })),
    fc.array(tie("value"), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
    fc.array(fc.record({ key: text, value: tie("value") }), { maxLength: 3 }).map((values) => ({ kvlistValue: { values } }))
  )
})).value as fc.Arbitrary<object>
const attributes = fc.array(fc.record({ key: text, value: anyValue }), { maxLength: 4 })
const resource = fc.record({ attributes, droppedAttributesCount: fc.nat(10) })
const scope = fc.record({ name: text, version: text, attributes, droppedAttributesCount: fc.nat(10) })

const span = fc.record({
  traceId: bytesOf(16),
  spanId: bytesOf(8),
  traceState: text,
  parentSpanId: fc.oneof(bytesOf(8), bytesOf(0)),
  flags: fc.nat(2 ** 32 - 1),
  name: text,
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: uint64,
  endTimeUnixNano: uint64,
  attributes,
  droppedAttributesCount: fc.nat(100),
  events: fc.array(fc.record({ timeUnixNano: uint64, name: text, attributes, droppedAttributesCount: fc.nat(5) }), { maxLength: 2 }),
  droppedEventsCount: fc.nat(5),
  links: fc.array(
    fc.record({ traceId: bytesOf(16), spanId: bytesOf(8), traceState: text, attributes, droppedAttributesCount: fc.nat(5), flags: fc.nat(255) }),
    { maxLength: 2 }
  ),
  droppedLinksCount: fc.nat(5),
  status: fc.record({ message: text, code: fc.integer({ min: 0, max: 2 }) })
}, { requiredKeys: ["traceId", "spanId", "name"] })
const traceRequest = fc.record({
  resourceSpans: fc.array(
    fc.record({ resource, scopeSpans: fc.array(fc.record({ scope, spans: fc.array(span, { maxLength: 3 }) }), { maxLength: 2 }) }),
    { maxLength: 2 }
  )
})

const pointBase = { attributes, startTimeUnixNano: uint64, timeUnixNano: uint64, flags: fc.nat(1) }
const numberPoint = fc.oneof(
  fc.record({ ...pointBase, asDouble: fc.double() }),
  fc.record({ ...pointBase, asInt: int64 })
)
const buckets = fc.record({ offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), bucketCounts: fc.array(uint64, { maxLength: 4 }) })
const metricData = fc.oneof(
  fc.record({ gauge: fc.record({ dataPoints: fc.array(numberPoint, { maxLength: 2 }) }) }),
  fc.record({ sum: fc.record({ dataPoints: fc.array(numberPoint, { maxLength: 2 }), aggregationTemporality: fc.integer({ min: 0, max: 2 }), isMonotonic: fc.boolean() }) }),
  fc.record({
    histogram: fc.record({
      dataPoints: fc.array(fc.record({
        ...pointBase,
        count: uint64,
        sum: fc.double(),
        bucketCounts: fc.array(uint64, { maxLength: 4 }),
        explicitBounds: fc.array(fc.double(), { maxLength: 3 }),
        min: fc.double(),
        max: fc.double()
      }, { requiredKeys: [] }), { maxLength: 2 }),
      aggregationTemporality: fc.integer({ min: 0, max: 2 })
    })
  }),
  fc.record({
    exponentialHistogram: fc.record({
      dataPoints: fc.array(fc.record({
        ...pointBase,
        count: uint64,
        sum: fc.double(),
        scale: fc.integer({ min: -10, max: 20 }),
        zeroCount: uint64,
        positive: buckets,
        negative: buckets,
        min: fc.double(),
        max: fc.double(),
        zeroThreshold: fc.double()
      }, { requiredKeys: [] }), { maxLength: 2 }),
      aggregationTemporality: fc.integer({ min: 0, max: 2 })
    })
  }),
  fc.record({
    summary: fc.record({
      dataPoints: fc.array(fc.record({
        ...pointBase,
        count: uint64,
        sum: fc.double(),
        quantileValues: fc.array(fc.record({ quantile: fc.double(), value: fc.double() }), { maxLength: 3 })
      }), { maxLength: 2 })
    })
  })
)
const metric = fc.tuple(fc.record({ name: text, description: text, unit: text }), metricData).map(([described, data]) => ({ ...described, ...data }))
const metricsRequest = fc.record({
  resourceMetrics: fc.array(
    fc.record({ resource, scopeMetrics: fc.array(fc.record({ scope, metrics: fc.array(metric, { maxLength: 3 }) }), { maxLength: 2 }) }),
    { maxLength: 2 }
  )
})

const agree = <T>(codec: Proto.Codec<T>, officialCodec: Generated, request: object) => {
  const bytes = officialCodec.encode(officialCodec.fromObject(request)).finish()
  const decoded = codec.decode(bytes)
  const expected = official(officialCodec, bytes)
  expect(comparable(decoded)).toEqual(expected)
  expect(comparable(codec.fromJson(jsonOf(officialCodec, bytes)))).toEqual(expected)
  expect(official(officialCodec, codec.encode(decoded as object))).toEqual(expected)
}

describe("the receiver's OTLP codecs against the official definitions", () => {
  it("decode trace requests as protobufjs does, from protobuf and from OTLP/JSON, and encode them back", () => {
    fc.assert(fc.property(traceRequest, (request) => agree(Proto.ExportTraceServiceRequest, OfficialTraces, request)), { numRuns: 150 })
  })

  it("decode metric requests of every kind as protobufjs does, from protobuf and from OTLP/JSON, and encode them back", () => {
    fc.assert(fc.property(metricsRequest, (request) => agree(Proto.ExportMetricsServiceRequest, OfficialMetrics, request)), { numRuns: 150 })
  })

  it("name the field and the expected type when OTLP/JSON holds the wrong one", () => {
    const spans = (span: object) => ({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })
    expect(() => Proto.ExportTraceServiceRequest.fromJson(spans({ traceId: "xyz" }))).toThrow(
      "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected hex digits, found the string \"xyz\""
    )
    expect(() => Proto.ExportTraceServiceRequest.fromJson(spans({ startTimeUnixNano: "12.5" }))).toThrow(
      "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an integer"
    )
    expect(() => Proto.ExportTraceServiceRequest.fromJson(spans({ startTimeUnixNano: "-1" }))).toThrow(/within uint64/)
    expect(() => Proto.ExportTraceServiceRequest.fromJson({ resourceSpans: {} })).toThrow("resourceSpans: expected an array, found a object")
  })

  it("name the field path when protobuf holds a wrong wire type or runs short", () => {
    // ExportTraceServiceRequest.resource_spans[0].scope_spans[0].spans[0].name (field 5) sent as a varint.
    const nameAsVarint = Uint8Array.of(0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x28, 0x01)
    expect(() => Proto.ExportTraceServiceRequest.decode(nameAsVarint)).toThrow(
      "resourceSpans[0].scopeSpans[0].spans[0].#5: name has wire type varint, expected length-delimited"
    )
    expect(() => Proto.ExportTraceServiceRequest.decode(Uint8Array.of(0x0a, 0x06, 0x12))).toThrow(/runs past the end/)
  })
})
