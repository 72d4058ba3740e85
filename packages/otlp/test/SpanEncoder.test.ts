/**
 * The specialised span encoder against the SDK's serializer: for random spans (every attribute
 * type, events, links, status, unicode), the official protobufjs decoder (the receiver's
 * definitions) reads both requests back equal.
 */
import { describe, expect, it } from "vitest"
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import fc from "fast-check"
import { createRequire } from "node:module"
import { SpanEncoder, SpanLimits } from "../src/index.js"

interface Codec {
  decode(bytes: Uint8Array): unknown
  toObject(message: unknown, options: object): unknown
}

// The receiver's protobufjs build of the official OTLP definitions (its dependency, resolved from it).
const fromReceiver = createRequire(new URL("../../otlp-receiver/package.json", import.meta.url))
const ExportTraceServiceRequest = (fromReceiver("otlp-proto-definitions/build/src/generated/root.js") as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Codec } } } } }
}).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest

const decode = (bytes: Uint8Array) =>
  ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), {
    longs: String,
    bytes: (b: Uint8Array) => Buffer.from(b).toString("hex"),
    defaults: true,
    arrays: true
  })

// -------------------------------------------------------------------------------------------
// Random spans
// -------------------------------------------------------------------------------------------

const hexId = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString("hex")).filter((h) =>
    !/^0+$/.test(h)
  )
const text = fc.oneof(fc.string(), fc.fullUnicodeString(), fc.string({ unit: "binary", maxLength: 300 }), fc.string({ minLength: 100, maxLength: 400 }))
const key = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.fullUnicodeString({ minLength: 1, maxLength: 8 }))
const int = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(2 ** 53, -(2 ** 62), 2 ** 62, 0, -1))
const double = fc.double({ noNaN: false }).filter((d) => !Number.isInteger(d))
const scalar = fc.oneof(text, fc.boolean(), int, double)
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 })
  )
})).value
const attributes = fc.dictionary(key, fc.oneof(scalar, fc.array(text, { maxLength: 3 }), fc.array(int, { maxLength: 3 }), anyValue), {
  maxKeys: 8
})
// Unix nanoseconds from 1970 to ~2200, as bigints.
const nanos = fc.bigInt({ min: 0n, max: 7_258_118_400_000_000_000n })

const event = fc.record({ name: text, time: nanos, attributes: fc.option(attributes, { nil: undefined }) })
const link = fc.record({
  traceId: hexId(16),
  spanId: hexId(8),
  traceFlags: fc.constantFrom(0, 1),
  traceState: fc.option(fc.constantFrom("a=1", "vendor=x,other=y"), { nil: undefined }),
  isRemote: fc.option(fc.boolean(), { nil: undefined }),
  attributes: fc.option(attributes, { nil: undefined })
})
const spanRecord: fc.Arbitrary<SpanEncoder.SpanRecord> = fc.record({
  traceId: hexId(16),
  spanId: hexId(8),
  traceFlags: fc.constantFrom(0, 1),
  traceState: fc.option(fc.constantFrom("a=1", "k=v,l=w"), { nil: undefined }),
  parentSpanId: fc.option(hexId(8), { nil: undefined }),
  parentIsRemote: fc.option(fc.boolean(), { nil: undefined }),
  name: text,
  kind: fc.integer({ min: 0, max: 4 }),
  startTime: nanos,
  endTime: nanos,
  attributes: fc.option(attributes, { nil: undefined }),
  droppedAttributesCount: fc.nat(1000),
  events: fc.array(event, { maxLength: 3 }),
  droppedEventsCount: fc.nat(5),
  links: fc.array(link, { maxLength: 3 }),
  droppedLinksCount: fc.nat(5),
  statusCode: fc.integer({ min: 0, max: 2 }),
  statusMessage: fc.option(text, { nil: undefined })
})

// -------------------------------------------------------------------------------------------
// The same span as the SDK's serializer reads it (a ReadableSpan's fields)
// -------------------------------------------------------------------------------------------

const hrTime = (n: bigint): [number, number] => [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)]
const traceState = (value: string | undefined) => (value === undefined ? undefined : { serialize: () => value })

const asReadableSpan = (
  span: SpanEncoder.SpanRecord,
  resource: { attributes: object; schemaUrl: string | undefined },
  scope: SpanEncoder.Scope
) => ({
  name: span.name,
  kind: span.kind,
  spanContext: () => ({ traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, traceState: traceState(span.traceState) }),
  parentSpanContext: span.parentSpanId === undefined
    ? undefined
    : { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: 1, isRemote: span.parentIsRemote },
  startTime: hrTime(span.startTime),
  endTime: hrTime(span.endTime),
  status: { code: span.statusCode, message: span.statusMessage },
  attributes: span.attributes ?? {},
  links: (span.links ?? []).map((l) => ({
    context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags, isRemote: l.isRemote, traceState: traceState(l.traceState) },
    attributes: l.attributes,
    droppedAttributesCount: 0
  })),
  events: (span.events ?? []).map((e) => ({ name: e.name, time: hrTime(e.time), attributes: e.attributes, droppedAttributesCount: 0 })),
  duration: [0, 0],
  ended: true,
  resource,
  instrumentationScope: scope,
  droppedAttributesCount: span.droppedAttributesCount ?? 0,
  droppedEventsCount: span.droppedEventsCount ?? 0,
  droppedLinksCount: span.droppedLinksCount ?? 0
})

// The SDK groups spans by resource and scope identity: one object each, as a tracer provider has.
const sdkBytes = (spans: ReadonlyArray<SpanEncoder.SpanRecord>, resource: SpanEncoder.ResourceInput, scope: SpanEncoder.Scope) => {
  const sdkResource = { attributes: resource.attributes, schemaUrl: resource.schemaUrl }
  return ProtobufTraceSerializer.serializeRequest(spans.map((s) => asReadableSpan(s, sdkResource, scope)) as never)!
}

describe("SpanEncoder", () => {
  it("decodes equal to the SDK serializer's request, for random spans", () => {
    fc.assert(
      fc.property(
        fc.array(spanRecord, { minLength: 1, maxLength: 6 }),
        attributes,
        fc.record({
          name: text,
          version: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
          schemaUrl: fc.option(fc.constant("https://opentelemetry.io/schemas/1.38.0"), { nil: undefined })
        }),
        fc.option(fc.constant("https://opentelemetry.io/schemas/1.37.0"), { nil: undefined }),
        (spans, resourceAttributes, scope, resourceSchemaUrl) => {
          const resource = { attributes: resourceAttributes, schemaUrl: resourceSchemaUrl }
          const encoder = new SpanEncoder.SpanEncoder({ resource, scope, limits: SpanLimits.unlimited })
          const ours = SpanEncoder.request(encoder.header, spans.map((span) => encoder.encodeSpan(span)))!
          expect(decode(ours)).toEqual(decode(sdkBytes(spans, resource, scope)))
        }
      ),
      { numRuns: 300 }
    )
  })

  it("keeps each span's bytes intact across chunk boundaries (many spans, large values)", () => {
    const resource = { attributes: { "service.name": "big" } }
    const scope = { name: "s" }
    const encoder = new SpanEncoder.SpanEncoder({ resource, scope, limits: SpanLimits.unlimited })
    const spans = Array.from({ length: 400 }, (_, i): SpanEncoder.SpanRecord => ({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: (i + 1).toString(16).padStart(16, "0"),
      traceFlags: 1,
      name: `span ${i}`,
      kind: 0,
      startTime: 1_700_000_000_000_000_000n + BigInt(i),
      endTime: 1_700_000_000_000_000_100n + BigInt(i),
      attributes: new Map<string, unknown>([["payload", "x".repeat(i * 50)], ["i", i]]),
      statusCode: 0
    }))
    const ours = SpanEncoder.request(encoder.header, spans.map((span) => encoder.encodeSpan(span)))!
    const asRecords = spans.map((s) => ({ ...s, attributes: Object.fromEntries(s.attributes as Map<string, unknown>) }))
    expect(decode(ours)).toEqual(decode(sdkBytes(asRecords, resource, scope)))
  })

  it("cuts string values, event and link attributes at their limits and counts what it dropped", () => {
    const limits = { ...SpanLimits.defaults, attributeValueLengthLimit: 4, eventAttributeCountLimit: 1, linkAttributeCountLimit: 2 }
    const encoder = new SpanEncoder.SpanEncoder({ resource: { attributes: {} }, scope: { name: "s" }, limits })
    const bytes = SpanEncoder.request(encoder.header, [
      encoder.encodeSpan({
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: 1,
        name: "limited",
        kind: 0,
        startTime: 1n,
        endTime: 2n,
        attributes: { long: "abcdefgh", list: ["abcdef", "ab"], n: 123456 },
        events: [{ name: "e", time: 1n, attributes: { a: 1, b: 2, c: 3 } }],
        links: [{ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203332", traceFlags: 1, attributes: { a: 1, b: 2, c: 3 } }],
        statusCode: 0
      })
    ])!
    const span = (decode(bytes) as any).resourceSpans[0].scopeSpans[0].spans[0]
    expect(span.attributes.map((kv: any) => [kv.key, kv.value.stringValue ?? kv.value.arrayValue?.values.map((v: any) => v.stringValue) ?? kv.value.intValue]))
      .toEqual([["long", "abcd"], ["list", ["abcd", "ab"]], ["n", "123456"]])
    expect(span.events[0].attributes).toHaveLength(1)
    expect(span.events[0].droppedAttributesCount).toBe(2)
    expect(span.links[0].attributes).toHaveLength(2)
    expect(span.links[0].droppedAttributesCount).toBe(1)
  })

  it("makes random ids of the right length, never all zero, different each time", () => {
    const ids = new Set(Array.from({ length: 2_000 }, () => SpanEncoder.randomId(8)))
    expect(ids.size).toBe(2_000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(SpanEncoder.randomId(16)).toMatch(/^[0-9a-f]{32}$/)
  })
})
