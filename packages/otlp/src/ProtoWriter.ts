/**
 * The protobuf wire format, written: the few messages the toolkit builds itself (a
 * `google.rpc.Status` with RetryInfo, the receiver's Export responses and OTLP requests in tests).
 *
 * @example
 * ```ts
 * const bytes = new ProtoWriter().string(2, "busy").finish()
 * ```
 */
import { FIXED32, FIXED64, LENGTH_DELIMITED, VARINT } from "./ProtoReader.js"

const utf8 = new TextEncoder()

export class ProtoWriter {
  private readonly chunks: Array<number | Uint8Array> = []

  /** A varint field; negative numbers are written as 64-bit two's complement (int32, int64). */
  varint(field: number, value: number | bigint): this {
    this.key(field, VARINT)
    this.rawVarint(BigInt.asUintN(64, BigInt(value)))
    return this
  }

  /** A zig-zag `sint32`. */
  sint32(field: number, value: number): this {
    return this.varint(field, value >= 0 ? value * 2 : -value * 2 - 1)
  }

  bool(field: number, value: boolean): this {
    return this.varint(field, value ? 1 : 0)
  }

  fixed32(field: number, value: number): this {
    this.key(field, FIXED32)
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setUint32(0, value, true)
    this.chunks.push(bytes)
    return this
  }

  /** A `fixed64` or `sfixed64` field (negative values as two's complement). */
  fixed64(field: number, value: bigint): this {
    this.key(field, FIXED64)
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value), true)
    this.chunks.push(bytes)
    return this
  }

  double(field: number, value: number): this {
    this.key(field, FIXED64)
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setFloat64(0, value, true)
    this.chunks.push(bytes)
    return this
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED)
    this.rawVarint(BigInt(value.length))
    this.chunks.push(value)
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value))
  }

  /** An embedded message, written by `write` into a writer of its own. */
  message(field: number, write: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter()
    write(inner)
    return this.bytes(field, inner.finish())
  }

  finish(): Uint8Array {
    let length = 0
    for (const chunk of this.chunks) length += typeof chunk === "number" ? 1 : chunk.length
    const out = new Uint8Array(length)
    let offset = 0
    for (const chunk of this.chunks) {
      if (typeof chunk === "number") out[offset++] = chunk
      else {
        out.set(chunk, offset)
        offset += chunk.length
      }
    }
    return out
  }

  private key(field: number, wireType: number): void {
    this.rawVarint(BigInt(field) * 8n + BigInt(wireType))
  }

  private rawVarint(value: bigint): void {
    let rest = value
    while (rest >= 0x80n) {
      this.chunks.push(Number(rest & 0x7fn) | 0x80)
      rest >>= 7n
    }
    this.chunks.push(Number(rest))
  }
}
