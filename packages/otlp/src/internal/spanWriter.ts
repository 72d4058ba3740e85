/**
 * The protobuf writer of the span encoder: writes span messages into pooled byte chunks, with the
 * attribute value mapping of OpenTelemetry's OTLP serializer and the limits the encoder applies
 * while writing (value length, event and link attribute counts).
 */
import * as SpanLimits from "../SpanLimits.js"

/** An attribute value as OpenTelemetry's OTLP serializer accepts it (`AnyValue`). */
export type AnyValue =
  | string
  | number
  | boolean
  | Uint8Array
  | ReadonlyArray<AnyValue | null | undefined>
  | { readonly [key: string]: AnyValue | null | undefined }
  | null
  | undefined

/** Attributes: a plain object, or a `Map` (Effect spans keep theirs in one). */
export type AttributesInput = Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>

const CHUNK_BYTES = 64 * 1024
const MIN_64_BIT_INT = -(2 ** 63)
const MAX_64_BIT_INT = 2 ** 63
const HEX: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < 10; i++) table[48 + i] = i
  for (let i = 0; i < 6; i++) table[97 + i] = table[65 + i] = 10 + i
  return table
})()
const hasOwn = Object.prototype.hasOwnProperty

/** Bytes of a varint. */
export const varintSize = (value: number): number =>
  value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5

/**
 * Writes protobuf into pooled chunks. A message in progress stays contiguous: when it outgrows
 * the chunk, what was written of it moves to a fresh one. Positions handed out by `begin` are
 * relative to the message's start for that reason.
 */
export class Writer {
  buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES)
  /** Where the message in progress starts. */
  base = 0
  pos = 0

  constructor(readonly limits: SpanLimits.SpanLimits) {}

  private grow(needed: number) {
    const used = this.pos - this.base
    const next = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, (used + needed) * 2))
    this.buf.copy(next, 0, this.base, this.pos)
    this.buf = next
    this.base = 0
    this.pos = used
  }

  ensure(needed: number) {
    if (this.pos + needed > this.buf.length) this.grow(needed)
  }

  /** The message written since the last `take`, as a view of the chunk. */
  take(): Buffer {
    const bytes = this.buf.subarray(this.base, this.pos)
    this.base = this.pos
    // Leave a small tail to the next chunk rather than splitting every next message.
    if (this.buf.length - this.pos < 512) {
      this.buf = Buffer.allocUnsafe(CHUNK_BYTES)
      this.base = this.pos = 0
    }
    return bytes
  }

  /** Drops a message in progress (after an encoding error). */
  discard() {
    this.pos = this.base
  }

  varint(value: number) {
    this.ensure(10)
    const buf = this.buf
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0
      while (v > 0x7f) {
        buf[this.pos++] = (v & 0x7f) | 0x80
        v >>>= 7
      }
      buf[this.pos++] = v
      return
    }
    // 64-bit: two's complement for negatives, as the SDK's writer does.
    let low: number
    let high: number
    const abs = Math.abs(value)
    low = abs >>> 0
    high = (abs / 0x100000000) >>> 0
    if (value < 0) {
      low = ~low >>> 0
      high = ~high >>> 0
      low = (low + 1) >>> 0
      if (low === 0) high = (high + 1) >>> 0
    }
    while (high > 0 || low > 0x7f) {
      buf[this.pos++] = (low & 0x7f) | 0x80
      low = ((low >>> 7) | (high << 25)) >>> 0
      high >>>= 7
    }
    buf[this.pos++] = low & 0x7f
  }

  tag(field: number, wire: number) {
    this.varint((field << 3) | wire)
  }

  fixed32(value: number) {
    this.ensure(4)
    this.buf.writeUInt32LE(value >>> 0, this.pos)
    this.pos += 4
  }

  nanos(value: bigint) {
    this.ensure(8)
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, value), this.pos)
    this.pos += 8
  }

  double(value: number) {
    this.ensure(8)
    this.buf.writeDoubleLE(value, this.pos)
    this.pos += 8
  }

  string(value: string) {
    // UTF-8 is at most 3 bytes per UTF-16 unit: a short string's length fits one varint byte,
    // so it is written in place; a longer one is measured first.
    if (value.length <= 42) {
      this.ensure(1 + value.length * 3)
      const written = this.buf.write(value, this.pos + 1, "utf8")
      this.buf[this.pos] = written
      this.pos += 1 + written
      return
    }
    const length = Buffer.byteLength(value, "utf8")
    this.varint(length)
    this.ensure(length)
    this.buf.write(value, this.pos, length, "utf8")
    this.pos += length
  }

  bytes(value: Uint8Array) {
    this.varint(value.length)
    this.ensure(value.length)
    this.buf.set(value, this.pos)
    this.pos += value.length
  }

  /** Hex text as bytes (`byteLength` of them); an invalid id is written as zeros, as the SDK's `hexToBinary` would fail to decode it. */
  hex(value: string, byteLength: number) {
    this.ensure(1 + byteLength)
    const buf = this.buf
    buf[this.pos++] = byteLength
    for (let i = 0; i < byteLength; i++) {
      const hi = HEX[value.charCodeAt(2 * i) & 0x7f] ?? -1
      const lo = HEX[value.charCodeAt(2 * i + 1) & 0x7f] ?? -1
      buf[this.pos++] = hi < 0 || lo < 0 ? 0 : (hi << 4) | lo
    }
  }

  /** Reserves one byte for a nested message's length; returns where, relative to the message start. */
  begin(): number {
    this.ensure(1)
    return this.pos++ - this.base
  }

  /** Writes the length of the nested message begun at `at`, moving it when the length needs more bytes. */
  end(at: number) {
    const start = this.base + at
    const length = this.pos - start - 1
    const size = varintSize(length)
    if (size > 1) {
      this.ensure(size - 1)
      const moved = this.base + at
      this.buf.copyWithin(moved + size, moved + 1, this.pos)
      this.pos += size - 1
      let v = length
      let p = moved
      while (v > 0x7f) {
        this.buf[p++] = (v & 0x7f) | 0x80
        v >>>= 7
      }
      this.buf[p] = v
      return
    }
    this.buf[start] = length
  }

  // ----------------------------------------------------------------------------------------

  anyValue(value: unknown) {
    switch (typeof value) {
      case "string":
        this.tag(1, 2)
        this.string(SpanLimits.truncate(value, this.limits.attributeValueLengthLimit))
        return
      case "boolean":
        this.tag(2, 0)
        this.varint(value ? 1 : 0)
        return
      case "number":
        if (Number.isInteger(value) && value >= MIN_64_BIT_INT && value < MAX_64_BIT_INT) {
          this.tag(3, 0)
          this.varint(value)
        } else {
          this.tag(4, 1)
          this.double(value)
        }
        return
      case "object": {
        if (value === null) return
        if (value instanceof Uint8Array) {
          this.tag(7, 2)
          this.bytes(value)
          return
        }
        if (Array.isArray(value)) {
          this.tag(5, 2)
          const array = this.begin()
          for (const item of value) {
            this.tag(1, 2)
            const at = this.begin()
            this.anyValue(item)
            this.end(at)
          }
          this.end(array)
          return
        }
        this.tag(6, 2)
        const list = this.begin()
        const record = value as Record<string, unknown>
        for (const key in record) {
          if (!hasOwn.call(record, key)) continue
          this.tag(1, 2)
          this.keyValue(key, record[key])
        }
        this.end(list)
        return
      }
      default:
        // Unsupported types write an empty AnyValue, as the SDK's serializer does.
        return
    }
  }

  /** A `KeyValue` message body, length included. */
  keyValue(key: string, value: unknown) {
    const at = this.begin()
    this.tag(1, 2)
    this.string(key)
    this.tag(2, 2)
    const valueAt = this.begin()
    this.anyValue(value)
    this.end(valueAt)
    this.end(at)
  }

  /** Up to `limit` attributes as repeated `KeyValue` in `field`; returns how many were left out. */
  attributes(field: number, attributes: AttributesInput | undefined, limit: number): number {
    if (attributes === undefined) return 0
    let written = 0
    let dropped = 0
    if (attributes instanceof Map) {
      attributes.forEach((value: unknown, key: string) => {
        if (written >= limit) {
          dropped++
          return
        }
        this.tag(field, 2)
        this.keyValue(key, value)
        written++
      })
      return dropped
    }
    const record = attributes as Readonly<Record<string, unknown>>
    for (const key in record) {
      if (!hasOwn.call(record, key)) continue
      if (written >= limit) {
        dropped++
        continue
      }
      this.tag(field, 2)
      this.keyValue(key, record[key])
      written++
    }
    return dropped
  }
}
