/**
 * A specialised OTLP/protobuf span encoder: each span is written straight into a pooled byte
 * chunk the moment it ends (its `Span` message, without the enclosing tag), and a batch of such
 * spans becomes an `ExportTraceServiceRequest` by one copy behind a resource/scope header
 * encoded once. Nothing is held per span but its bytes, so the span objects die young (the
 * garbage collector's cheapest case), and a batch is never walked twice (the SDK serializer
 * estimates the size in a first pass, then writes).
 *
 * The bytes decode to what `@opentelemetry/otlp-transformer`'s `ProtobufTraceSerializer` writes
 * for the same span (a property test holds both to it): the same attribute value mapping
 * (integers within int64 as `int_value`, other numbers as `double_value`, `Uint8Array` as bytes,
 * arrays, objects as `kvlist_value`), span kind + 1, flags with the has-is-remote bit.
 *
 * Limits are applied while writing where they are the encoder's to apply: string values
 * truncated to `attributeValueLengthLimit`, event and link attributes cut at their count limits
 * (the dropped counts written). The span's own attribute, event and link counts are limited by
 * whoever records them (see `SpanLimits`), which passes the dropped counts in.
 *
 * Plain TypeScript, no Effect: the export engine's own code.
 *
 * @example
 * ```ts
 * const encoder = new SpanEncoder.SpanEncoder({ resource, scope: { name: "checkout" } })
 * pipeline.offer(encoder.encodeSpan(span))        // when a span ends
 * transport.send(SpanEncoder.request(header, batch)) // when a batch is cut
 * ```
 */
import { randomFillSync } from "node:crypto"
import { type AttributesInput, varintSize, Writer } from "./internal/spanWriter.js"
import * as SpanLimits from "./SpanLimits.js"

export type { AnyValue, AttributesInput } from "./internal/spanWriter.js"

export interface EventRecord {
  readonly name: string
  /** Unix epoch nanoseconds. */
  readonly time: bigint
  readonly attributes?: AttributesInput | undefined
}

export interface LinkRecord {
  readonly traceId: string
  readonly spanId: string
  readonly traceFlags: number
  readonly traceState?: string | undefined
  readonly isRemote?: boolean | undefined
  readonly attributes?: AttributesInput | undefined
}

/** Everything one span's `Span` message carries. Ids are lower-case hex, as the OTel API has them. */
export interface SpanRecord {
  readonly traceId: string
  readonly spanId: string
  readonly traceFlags: number
  readonly traceState?: string | undefined
  readonly parentSpanId?: string | undefined
  readonly parentIsRemote?: boolean | undefined
  readonly name: string
  /** The OpenTelemetry API's `SpanKind` (INTERNAL = 0 … CONSUMER = 4). */
  readonly kind: number
  /** Unix epoch nanoseconds. */
  readonly startTime: bigint
  readonly endTime: bigint
  readonly attributes?: AttributesInput | undefined
  /** Attributes written after `attributes` (the toolkit's own, e.g. for an interrupted span). */
  readonly extraAttributes?: Readonly<Record<string, unknown>> | undefined
  readonly droppedAttributesCount?: number | undefined
  readonly events?: ReadonlyArray<EventRecord> | undefined
  readonly droppedEventsCount?: number | undefined
  readonly links?: ReadonlyArray<LinkRecord> | undefined
  readonly droppedLinksCount?: number | undefined
  /** The OpenTelemetry API's `SpanStatusCode` (UNSET = 0, OK = 1, ERROR = 2). */
  readonly statusCode: number
  readonly statusMessage?: string | undefined
}

export interface Scope {
  readonly name: string
  readonly version?: string | undefined
  readonly schemaUrl?: string | undefined
}

export interface ResourceInput {
  readonly attributes: Readonly<Record<string, unknown>>
  readonly schemaUrl?: string | undefined
}

const spanFlags = (traceFlags: number, isRemote: boolean | undefined) =>
  (traceFlags & 0xff) | 0x100 | (isRemote === true ? 0x200 : 0)

// -------------------------------------------------------------------------------------------
// Spans and requests
// -------------------------------------------------------------------------------------------

/** The encoded resource and scope every span of one tracer shares: the request's envelope. */
export interface Header {
  /** `resource` (field 1 of ResourceSpans) with its tag, and the schema URL (field 3), if any. */
  readonly resource: Uint8Array
  readonly resourceSchemaUrl: Uint8Array
  /** `scope` (field 1 of ScopeSpans) with its tag, and the scope's schema URL (field 3), if any. */
  readonly scope: Uint8Array
  readonly scopeSchemaUrl: Uint8Array
}

/** Encodes the spans of one resource and instrumentation scope. */
export class SpanEncoder {
  private readonly writer: Writer
  readonly header: Header

  constructor(options: { readonly resource: ResourceInput; readonly scope: Scope; readonly limits?: SpanLimits.SpanLimits | undefined }) {
    this.writer = new Writer(options.limits ?? SpanLimits.defaults)
    this.header = encodeHeader(options.resource, options.scope)
  }

  /** One span's `Span` message (without its tag and length), as a view of a pooled chunk. */
  encodeSpan(span: SpanRecord): Uint8Array {
    const w = this.writer
    const limits = w.limits
    try {
      w.tag(1, 2)
      w.hex(span.traceId, 16)
      w.tag(2, 2)
      w.hex(span.spanId, 8)
      if (span.traceState) {
        w.tag(3, 2)
        w.string(span.traceState)
      }
      if (span.parentSpanId) {
        w.tag(4, 2)
        w.hex(span.parentSpanId, 8)
      }
      w.tag(5, 2)
      w.string(span.name)
      w.tag(6, 0)
      w.varint(span.kind + 1)
      w.tag(7, 1)
      w.nanos(span.startTime)
      w.tag(8, 1)
      w.nanos(span.endTime)
      w.attributes(9, span.attributes, Number.POSITIVE_INFINITY)
      if (span.extraAttributes !== undefined) w.attributes(9, span.extraAttributes, Number.POSITIVE_INFINITY)
      if (span.droppedAttributesCount) {
        w.tag(10, 0)
        w.varint(span.droppedAttributesCount)
      }
      if (span.events !== undefined) {
        for (const event of span.events) {
          w.tag(11, 2)
          const at = w.begin()
          w.tag(1, 1)
          w.nanos(event.time)
          w.tag(2, 2)
          w.string(event.name)
          const dropped = w.attributes(3, event.attributes, limits.eventAttributeCountLimit)
          if (dropped > 0) {
            w.tag(4, 0)
            w.varint(dropped)
          }
          w.end(at)
        }
      }
      if (span.droppedEventsCount) {
        w.tag(12, 0)
        w.varint(span.droppedEventsCount)
      }
      if (span.links !== undefined) {
        for (const link of span.links) {
          w.tag(13, 2)
          const at = w.begin()
          w.tag(1, 2)
          w.hex(link.traceId, 16)
          w.tag(2, 2)
          w.hex(link.spanId, 8)
          if (link.traceState) {
            w.tag(3, 2)
            w.string(link.traceState)
          }
          const dropped = w.attributes(4, link.attributes, limits.linkAttributeCountLimit)
          if (dropped > 0) {
            w.tag(5, 0)
            w.varint(dropped)
          }
          w.tag(6, 5)
          w.fixed32(spanFlags(link.traceFlags, link.isRemote))
          w.end(at)
        }
      }
      if (span.droppedLinksCount) {
        w.tag(14, 0)
        w.varint(span.droppedLinksCount)
      }
      w.tag(15, 2)
      const status = w.begin()
      if (span.statusMessage) {
        w.tag(2, 2)
        w.string(span.statusMessage)
      }
      w.tag(3, 0)
      w.varint(span.statusCode)
      w.end(status)
      w.tag(16, 5)
      w.fixed32(spanFlags(span.traceFlags, span.parentSpanId ? span.parentIsRemote : undefined))
      return w.take()
    } catch (error) {
      w.discard()
      throw error
    }
  }
}

const encodeHeader = (resource: ResourceInput, scope: Scope): Header => {
  const w = new Writer(SpanLimits.unlimited)
  const part = (write: () => void): Uint8Array => {
    write()
    return Uint8Array.from(w.take())
  }
  return {
    resource: part(() => {
      w.tag(1, 2)
      const at = w.begin()
      w.attributes(1, resource.attributes, Number.POSITIVE_INFINITY)
      w.end(at)
    }),
    resourceSchemaUrl: part(() => {
      if (resource.schemaUrl) {
        w.tag(3, 2)
        w.string(resource.schemaUrl)
      }
    }),
    scope: part(() => {
      w.tag(1, 2)
      const at = w.begin()
      w.tag(1, 2)
      w.string(scope.name)
      if (scope.version) {
        w.tag(2, 2)
        w.string(scope.version)
      }
      w.end(at)
    }),
    scopeSchemaUrl: part(() => {
      if (scope.schemaUrl) {
        w.tag(3, 2)
        w.string(scope.schemaUrl)
      }
    })
  }
}

const putVarint = (buf: Uint8Array, pos: number, value: number): number => {
  while (value > 0x7f) {
    buf[pos++] = (value & 0x7f) | 0x80
    value >>>= 7
  }
  buf[pos++] = value
  return pos
}

/**
 * What a traces pipeline holds: a span written by `SpanEncoder.encodeSpan` (its `Span` message,
 * under the pipeline's header), or a whole request of its own (a span of another resource or
 * instrumentation scope, e.g. a library's, encoded with its own header).
 */
export type Item = Uint8Array | { readonly request: Uint8Array }

/**
 * The `ExportTraceServiceRequest` for a batch: the spans encoded under `header` in one
 * `ResourceSpans`, sizes summed, one buffer allocated, every span copied once; whole requests
 * appended after it (concatenated protobuf messages merge: their `resource_spans` add up).
 * `undefined` for no items.
 */
export const request = (header: Header, items: ReadonlyArray<Item>): Uint8Array | undefined => {
  if (items.length === 0) return undefined
  let spansBytes = 0
  let spans = 0
  let othersBytes = 0
  for (const item of items) {
    if (item instanceof Uint8Array) {
      spansBytes += 1 + varintSize(item.length) + item.length
      spans++
    } else {
      othersBytes += item.request.length
    }
  }
  const scopeSpans = header.scope.length + spansBytes + header.scopeSchemaUrl.length
  const resourceSpans = header.resource.length + 1 + varintSize(scopeSpans) + scopeSpans + header.resourceSchemaUrl.length
  const own = spans === 0 ? 0 : 1 + varintSize(resourceSpans) + resourceSpans
  const out = new Uint8Array(own + othersBytes)
  let pos = 0
  if (spans > 0) {
    out[pos++] = (1 << 3) | 2
    pos = putVarint(out, pos, resourceSpans)
    out.set(header.resource, pos)
    pos += header.resource.length
    out[pos++] = (2 << 3) | 2
    pos = putVarint(out, pos, scopeSpans)
    out.set(header.scope, pos)
    pos += header.scope.length
    for (const item of items) {
      if (!(item instanceof Uint8Array)) continue
      out[pos++] = (2 << 3) | 2
      pos = putVarint(out, pos, item.length)
      out.set(item, pos)
      pos += item.length
    }
    out.set(header.scopeSchemaUrl, pos)
    pos += header.scopeSchemaUrl.length
    out.set(header.resourceSchemaUrl, pos)
    pos += header.resourceSchemaUrl.length
  }
  for (const item of items) {
    if (item instanceof Uint8Array) continue
    out.set(item.request, pos)
    pos += item.request.length
  }
  return out
}

/** A whole request for one span of its own resource and scope (a library's span). */
export const standalone = (encoder: SpanEncoder, span: SpanRecord): Item => ({
  request: request(encoder.header, [encoder.encodeSpan(span)])!
})

/** A span's name read back from its encoded item (for a log line about that span). */
export const describe = (item: Item): string => {
  if (!(item instanceof Uint8Array)) return "a library span"
  let pos = 0
  const varint = () => {
    let value = 0
    let shift = 0
    for (;;) {
      const byte = item[pos++] ?? 0
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80 || pos >= item.length) return value
      shift += 7
    }
  }
  while (pos < item.length) {
    const tag = varint()
    const wire = tag & 7
    if (wire === 2) {
      const length = varint()
      if (tag >>> 3 === 5) return Buffer.from(item.buffer, item.byteOffset + pos, length).toString("utf8")
      pos += length
    } else if (wire === 0) varint()
    else if (wire === 1) pos += 8
    else if (wire === 5) pos += 4
    else break
  }
  return "a span"
}

// -------------------------------------------------------------------------------------------
// Ids
// -------------------------------------------------------------------------------------------

const POOL_BYTES = 4096
const pool = Buffer.allocUnsafe(POOL_BYTES)
let poolOffset = POOL_BYTES

/**
 * A random id of 8 (span) or 16 (trace) bytes in hex, never all zero (invalid), from a pool of
 * cryptographic random bytes refilled 4 KiB at a time.
 */
export const randomId = (bytes: 8 | 16): string => {
  for (;;) {
    if (poolOffset + bytes > POOL_BYTES) {
      randomFillSync(pool)
      poolOffset = 0
    }
    const start = poolOffset
    poolOffset += bytes
    let zero = true
    for (let i = start; i < poolOffset; i++) {
      if (pool[i] !== 0) {
        zero = false
        break
      }
    }
    if (!zero) return pool.toString("hex", start, poolOffset)
  }
}
