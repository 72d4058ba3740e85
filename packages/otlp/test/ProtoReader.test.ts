/**
 * The engine's protobuf wire reader and writer against protobufjs: random messages of every
 * scalar type, nested and repeated (packed and not), read back equal in both directions; and
 * hostile bytes (truncated, over-long varints, wrong wire types, deep nesting, random noise) end
 * in a `ProtoError` naming the field path, never in another exception or a read out of bounds.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import protobuf from "protobufjs"
import { PartialSuccess, RetryInfo } from "../src/index.js"
import { FIXED64, LENGTH_DELIMITED, ProtoError, ProtoReader, VARINT } from "../src/ProtoReader.js"
import { ProtoWriter } from "../src/ProtoWriter.js"

const root = protobuf.parse(`
syntax = "proto3";
message Inner { string text = 1; sint32 delta = 2; }
message Sample {
  int32 i32 = 1;
  uint32 u32 = 2;
  sint32 s32 = 3;
  int64 i64 = 4;
  uint64 u64 = 5;
  fixed32 f32 = 6;
  fixed64 f64 = 7;
  sfixed64 sf64 = 8;
  double dbl = 9;
  bool flag = 10;
  string text = 11;
  bytes raw = 12;
  Inner inner = 13;
  repeated uint64 counts = 14;
  repeated double bounds = 15;
  repeated Inner items = 16;
  repeated fixed64 fixedCounts = 17 [packed = false];
}
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
message Any { string type_url = 1; bytes value = 2; }
message RetryInfo { Duration retry_delay = 1; }
message Duration { int64 seconds = 1; int32 nanos = 2; }
`).root
const Sample = root.lookupType("Sample")
const Long = protobuf.util.Long as unknown as { fromString(text: string, unsigned: boolean): unknown }

interface Inner {
  readonly text: string
  readonly delta: number
}
interface Decoded {
  i32: number
  u32: number
  s32: number
  i64: bigint
  u64: bigint
  f32: number
  f64: bigint
  sf64: bigint
  dbl: number
  flag: boolean
  text: string
  raw: Uint8Array
  inner: Inner | undefined
  counts: Array<bigint>
  bounds: Array<number>
  items: Array<Inner>
  fixedCounts: Array<bigint>
}

const inner = fc.record({ text: fc.fullUnicodeString({ maxLength: 20 }), delta: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) })
const sample = fc.record({
  i32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  u32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  s32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  i64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  u64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  f32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  f64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  sf64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  dbl: fc.double(),
  flag: fc.boolean(),
  text: fc.fullUnicodeString({ maxLength: 40 }),
  raw: fc.uint8Array({ maxLength: 40 }),
  inner: fc.option(inner, { nil: undefined }),
  counts: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 8 }),
  bounds: fc.array(fc.double(), { maxLength: 8 }),
  items: fc.array(inner, { maxLength: 4 }),
  fixedCounts: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 4 })
})

const long = (value: bigint, unsigned: boolean) => Long.fromString(value.toString(), unsigned)

/** Encodes with protobufjs, 64-bit values as Longs. */
const encodeWithProtobufjs = (value: Decoded): Uint8Array =>
  Sample.encode(Sample.fromObject({
    ...value,
    i64: long(value.i64, false),
    u64: long(value.u64, true),
    f64: long(value.f64, true),
    sf64: long(value.sf64, false),
    counts: value.counts.map((count) => long(count, true)),
    fixedCounts: value.fixedCounts.map((count) => long(count, true)),
    inner: value.inner ?? null
  })).finish()

const readInner = (reader: ProtoReader): Inner => {
  let text = ""
  let delta = 0
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field === 1) (reader.expect(LENGTH_DELIMITED, "text"), text = reader.string())
    else if (field === 2) (reader.expect(VARINT, "delta"), delta = reader.sint32())
    else reader.skip()
  }
  return { text, delta }
}

/** A hand-written decoder of `Sample` on the reader, as every decoder of the toolkit is. */
const decodeWithReader = (bytes: Uint8Array): Decoded => {
  const reader = ProtoReader.of(bytes, { path: "Sample" })
  const out: Decoded = {
    i32: 0, u32: 0, s32: 0, i64: 0n, u64: 0n, f32: 0, f64: 0n, sf64: 0n, dbl: 0, flag: false, text: "",
    raw: new Uint8Array(0), inner: undefined, counts: [], bounds: [], items: [], fixedCounts: []
  }
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    switch (field) {
      case 1: out.i32 = reader.int32(); break
      case 2: out.u32 = Number(reader.uint64()); break
      case 3: out.s32 = reader.sint32(); break
      case 4: out.i64 = reader.int64(); break
      case 5: out.u64 = reader.uint64(); break
      case 6: out.f32 = reader.fixed32(); break
      case 7: out.f64 = reader.fixed64(); break
      case 8: out.sf64 = reader.sfixed64(); break
      case 9: out.dbl = reader.double(); break
      case 10: out.flag = reader.bool(); break
      case 11: out.text = reader.string(); break
      case 12: out.raw = reader.bytesField(); break
      case 13: out.inner = readInner(reader.message("inner")); break
      case 14: reader.repeated(VARINT, (from) => from.uint64(), out.counts); break
      case 15: reader.repeated(FIXED64, (from) => from.double(), out.bounds); break
      case 16: out.items.push(readInner(reader.message(`items[${out.items.length}]`))); break
      case 17: reader.repeated(FIXED64, (from) => from.fixed64(), out.fixedCounts); break
      default: reader.skip()
    }
  }
  return out
}

const writeInner = (writer: ProtoWriter, value: Inner): void => {
  if (value.text !== "") writer.string(1, value.text)
  if (value.delta !== 0) writer.sint32(2, value.delta)
}

/** The same message written with the engine's writer (repeated numbers unpacked: both are valid). */
const encodeWithWriter = (value: Decoded): Uint8Array => {
  const writer = new ProtoWriter()
    .varint(1, value.i32).varint(2, value.u32).sint32(3, value.s32).varint(4, value.i64).varint(5, value.u64)
    .fixed32(6, value.f32).fixed64(7, value.f64).fixed64(8, value.sf64).double(9, value.dbl).bool(10, value.flag)
    .string(11, value.text).bytes(12, value.raw)
  if (value.inner !== undefined) writer.message(13, (inner) => writeInner(inner, value.inner!))
  for (const count of value.counts) writer.varint(14, count)
  for (const bound of value.bounds) writer.double(15, bound)
  for (const item of value.items) writer.message(16, (inner) => writeInner(inner, item))
  for (const count of value.fixedCounts) writer.fixed64(17, count)
  return writer.finish()
}

const normalized = (value: Decoded) => ({ ...value, raw: [...value.raw], inner: value.inner ?? { text: "", delta: 0 } })

/** Reads every field of a message and of any message it may hold, as a decoder that knows nothing would. */
const walk = (reader: ProtoReader): number => {
  let fields = 0
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    fields++
    if (reader.wireType === LENGTH_DELIMITED && field === 13) fields += walk(reader.message("inner"))
    else reader.skip()
  }
  return fields
}

/** The error `run` throws, or `undefined`. */
const thrown = (run: () => unknown): unknown => {
  try {
    run()
    return undefined
  } catch (error) {
    return error
  }
}

describe("ProtoReader", () => {
  it("reads what protobufjs writes, every scalar type, nested, packed and unpacked", () => {
    fc.assert(
      fc.property(sample, (value) => {
        const decoded = decodeWithReader(encodeWithProtobufjs(value))
        expect(normalized(decoded)).toEqual(normalized({ ...value, dbl: value.dbl, bounds: value.bounds }))
      }),
      { numRuns: 300 }
    )
  })

  it("writes what protobufjs reads back equal", () => {
    fc.assert(
      fc.property(sample, (value) => {
        const bytes = encodeWithWriter(value)
        const viaProtobufjs = Sample.toObject(Sample.decode(bytes), { longs: String, defaults: true, arrays: true })
        expect(viaProtobufjs).toMatchObject({
          i32: value.i32,
          s32: value.s32,
          i64: value.i64.toString(),
          u64: value.u64.toString(),
          f64: value.f64.toString(),
          sf64: value.sf64.toString(),
          counts: value.counts.map(String),
          fixedCounts: value.fixedCounts.map(String),
          text: value.text,
          flag: value.flag
        })
        expect(normalized(decodeWithReader(bytes))).toEqual(normalized(value))
      }),
      { numRuns: 200 }
    )
  })

  it("ends every truncated message in a ProtoError, and one cut inside its last field always", () => {
    fc.assert(
      fc.property(sample, fc.nat(), (value, cut) => {
        const bytes = encodeWithProtobufjs(value)
        fc.pre(bytes.length > 0)
        const prefix = bytes.subarray(0, cut % bytes.length)
        const error = thrown(() => walk(ProtoReader.of(prefix)))
        if (error !== undefined) expect(error).toBeInstanceOf(ProtoError)
        const lastByteCut = thrown(() => walk(ProtoReader.of(bytes.subarray(0, bytes.length - 1))))
        expect(lastByteCut).toBeInstanceOf(ProtoError)
        expect((lastByteCut as ProtoError).message).toMatch(/truncated|runs past the end/)
      }),
      { numRuns: 300 }
    )
  })

  it("refuses random bytes with a ProtoError or reads them, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const error = thrown(() => walk(ProtoReader.of(bytes)))
        if (error !== undefined) expect(error).toBeInstanceOf(ProtoError)
      }),
      { numRuns: 2_000 }
    )
  })

  it("refuses varints over ten bytes and ten-byte varints past 64 bits", () => {
    const elevenBytes = Uint8Array.of(0x08, ...Array<number>(10).fill(0xff), 0x01)
    const reader = ProtoReader.of(elevenBytes, { path: "Sample" })
    reader.next()
    expect(() => reader.uint64()).toThrow(new ProtoError("Sample.#1", "a varint is longer than ten bytes"))
    const pastSixtyFour = ProtoReader.of(Uint8Array.of(0x08, ...Array<number>(9).fill(0xff), 0x02))
    pastSixtyFour.next()
    expect(() => pastSixtyFour.uint64()).toThrow(/longer than 64 bits/)
    // The largest 64-bit value is ten bytes ending in 1.
    const largest = ProtoReader.of(Uint8Array.of(0x08, ...Array<number>(9).fill(0xff), 0x01))
    largest.next()
    expect(largest.uint64()).toBe(2n ** 64n - 1n)
    // A field key that never ends.
    expect(() => ProtoReader.of(Uint8Array.of(...Array<number>(11).fill(0x80))).next()).toThrow(/field key is longer than ten bytes/)
  })

  it("names the field and both wire types when a field has the wrong one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.nat(), (field, value) => {
        const bytes = new ProtoWriter().message(1, (inner) => inner.varint(field, value)).finish()
        const outer = ProtoReader.of(bytes, { path: "Outer" })
        outer.next()
        const reader = outer.message("inner")
        reader.next()
        expect(() => reader.expect(LENGTH_DELIMITED, "text")).toThrow(
          new ProtoError(`Outer.inner.#${field}`, "text has wire type varint, expected length-delimited")
        )
      })
    )
  })

  it("refuses the group wire types and field number 0", () => {
    expect(() => ProtoReader.of(Uint8Array.of((1 << 3) | 3)).next()).toThrow(/wire type group start of field 1 is not supported/)
    expect(() => ProtoReader.of(Uint8Array.of((1 << 3) | 4)).next()).toThrow(/wire type group end/)
    expect(() => ProtoReader.of(Uint8Array.of(0x00, 0x00)).next()).toThrow(/field number 0 is out of range/)
  })

  it("stops messages nested past the depth limit with a ProtoError, not a stack overflow", () => {
    // 100 000 levels of field 13: each level's key and length, outermost first (an encoder would recurse).
    const headers: Array<Uint8Array> = []
    let inside = 0
    for (let level = 0; level < 100_000; level++) {
      const header = new ProtoWriter().varint(13, inside).finish()
      header[0] = (13 << 3) | LENGTH_DELIMITED // the key of a length-delimited field 13, then the length
      headers.push(header)
      inside += header.length
    }
    const bytes = Buffer.concat(headers.reverse())
    const error = thrown(() => walk(ProtoReader.of(bytes, { path: "Sample", maxDepth: 50 })))
    expect(error).toBeInstanceOf(ProtoError)
    expect((error as ProtoError).message).toMatch(/^Sample(\.inner){51}: messages nest deeper than 50 levels$/)
    // Within the limit, the same shape reads.
    let shallow: Uint8Array = new Uint8Array(0)
    for (let level = 0; level < 50; level++) shallow = new ProtoWriter().bytes(13, shallow).finish()
    expect(walk(ProtoReader.of(shallow, { maxDepth: 50 }))).toBe(50)
  })

  it("reads embedded messages in place (enter/leave) with the same paths, bounds and depth limit", () => {
    fc.assert(
      fc.property(sample, (value) => {
        const bytes = encodeWithProtobufjs(value)
        const inPlace = (reader: ProtoReader): Array<Inner> => {
          const items: Array<Inner> = []
          for (let field = reader.next(); field !== undefined; field = reader.next()) {
            if (field !== 16) {
              reader.skip()
              continue
            }
            const outerEnd = reader.enter("items", items.length)
            let text = ""
            let delta = 0
            for (let inner = reader.next(); inner !== undefined; inner = reader.next()) {
              if (inner === 1) text = reader.string()
              else if (inner === 2) delta = reader.sint32()
              else reader.skip()
            }
            reader.leave(outerEnd)
            items.push({ text, delta })
          }
          return items
        }
        expect(inPlace(ProtoReader.of(bytes))).toEqual(value.items)
      }),
      { numRuns: 100 }
    )
    // A string inside the second entered item runs past its end: the path names both levels.
    const item = (body: Uint8Array) => new ProtoWriter().bytes(16, body).finish()
    const bad = Buffer.concat([item(new ProtoWriter().string(1, "ok").finish()), item(Uint8Array.of((1 << 3) | 2, 5, 0x61))])
    const reader = ProtoReader.of(bad, { path: "Sample" })
    let index = 0
    const error = thrown(() => {
      for (let field = reader.next(); field !== undefined; field = reader.next()) {
        const outerEnd = reader.enter("items", index++)
        for (let inner = reader.next(); inner !== undefined; inner = reader.next()) reader.string()
        reader.leave(outerEnd)
      }
    })
    expect(error).toEqual(new ProtoError("Sample.items[1].#1", "a length of 5 bytes runs past the end of the message (1 left)"))
    const deep = ProtoReader.of(item(item(new Uint8Array(0))), { maxDepth: 1 })
    deep.next()
    deep.enter("items", 0)
    deep.next()
    expect(() => deep.enter("items", 0)).toThrow(new ProtoError("items[0].items[0]", "messages nest deeper than 1 levels"))
  })

  it("a length past the end of its message is refused with what is left", () => {
    const reader = ProtoReader.of(Uint8Array.of((11 << 3) | 2, 10, 0x61), { path: "Sample" })
    reader.next()
    expect(() => reader.string()).toThrow(new ProtoError("Sample.#11", "a length of 10 bytes runs past the end of the message (1 left)"))
  })
})

describe("RetryInfo and PartialSuccess on the reader", () => {
  const Status = root.lookupType("Status")
  const Retry = root.lookupType("RetryInfo")

  it("reads the delay protobufjs writes, and protobufjs reads the one encodeStatus writes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 999 }), fc.string(), (seconds, millis, message) => {
        const retry = Retry.encode({ retryDelay: { seconds, nanos: millis * 1_000_000 } }).finish()
        const status = Status.encode({
          code: 8,
          message,
          details: [{ typeUrl: "type.googleapis.com/other", value: Uint8Array.of(1, 2) }, {
            typeUrl: "type.googleapis.com/google.rpc.RetryInfo",
            value: retry
          }]
        }).finish()
        expect(RetryInfo.delayMillis(status)).toBe(seconds * 1_000 + millis)

        const ours = RetryInfo.encodeStatus(8, message, seconds * 1_000 + millis)
        const decoded = Status.toObject(Status.decode(ours), { longs: Number, defaults: true }) as {
          code: number
          message: string
          details: Array<{ typeUrl: string; value: Uint8Array }>
        }
        expect(decoded.code).toBe(8)
        expect(decoded.message).toBe(message)
        expect(Retry.toObject(Retry.decode(decoded.details[0]!.value), { longs: Number, defaults: true })).toEqual({
          retryDelay: { seconds, nanos: millis * 1_000_000 }
        })
      })
    )
  })

  it("a malformed status has no delay and a malformed response no partial success, without throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        const delay = RetryInfo.delayMillis(bytes)
        expect(delay === undefined || Number.isFinite(delay)).toBe(true)
        const partial = PartialSuccess.decode(bytes)
        expect(partial === undefined || Number.isFinite(partial.rejected)).toBe(true)
      }),
      { numRuns: 2_000 }
    )
    expect(RetryInfo.delayMillis(Uint8Array.of((3 << 3) | 2, 50))).toBeUndefined()
  })
})
