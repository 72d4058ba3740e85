/**
 * The protobuf wire format, read with bounds checks: every decoder of the toolkit (OTLP requests
 * in the receiver, partial success, RetryInfo) reads through this one reader, so a hostile or
 * truncated message fails the same way everywhere, with an error naming the field path and what
 * was expected, and never reads past its message or nests without limit.
 *
 * @example
 * ```ts
 * const reader = ProtoReader.of(bytes)
 * for (let field = reader.next(); field !== undefined; field = reader.next()) {
 *   if (field === 1) name = reader.string()
 *   else reader.skip()
 * }
 * ```
 */

/** The wire types protobuf 3 uses (the group types 3 and 4 are refused). */
export const VARINT = 0
export const FIXED64 = 1
export const LENGTH_DELIMITED = 2
export const FIXED32 = 5

/** How deep embedded messages may nest by default: OTLP's envelope plus generous attribute nesting. */
export const DEFAULT_MAX_DEPTH = 100

/** A message that is not valid protobuf for the reader's expectations; `path` names the field. */
export class ProtoError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(path === "" ? reason : `${path}: ${reason}`)
    this.name = "ProtoError"
  }
}

const WIRE_TYPE_NAMES = ["varint", "fixed64", "length-delimited", "group start", "group end", "fixed32", "6", "7"]

const utf8 = new TextDecoder("utf-8")

const labelOf = (name: string | undefined, field: number, index: number | undefined): string =>
  `${name ?? `#${field}`}${index === undefined ? "" : `[${index}]`}`

export class ProtoReader {
  /** The wire type of the field `next` returned. */
  wireType = -1
  /** The number of the field `next` returned. */
  field = 0
  private position: number

  private constructor(
    readonly bytes: Uint8Array,
    private readonly view: DataView,
    start: number,
    private end: number,
    private depth: number,
    readonly maxDepth: number,
    // The path is built only for an error message: a parent and this message's name in it.
    private readonly parent: ProtoReader | undefined,
    private readonly label: string
  ) {
    this.position = start
  }

  // Messages entered in place (`enter`): their names, field numbers and indexes, for error paths.
  private readonly entered: Array<string | number | undefined> = []

  // The name in the parent, formatted only when an error needs it.
  private name: string | undefined
  private nameField = 0
  private nameIndex: number | undefined

  /** A reader over a whole message; `path` prefixes error messages (e.g. the message's name). */
  static of(bytes: Uint8Array, options: { readonly path?: string; readonly maxDepth?: number } = {}): ProtoReader {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    return new ProtoReader(bytes, view, 0, bytes.length, 0, options.maxDepth ?? DEFAULT_MAX_DEPTH, undefined, options.path ?? "")
  }

  /** Where this message sits, e.g. `resourceSpans[0].scopeSpans[1].spans[3]`. */
  get path(): string {
    const above = this.parent?.path ?? ""
    const label = this.parent === undefined || this.label !== "" ? this.label : labelOf(this.name, this.nameField, this.nameIndex)
    let path = above === "" ? label : label === "" ? above : `${above}.${label}`
    for (let index = 0; index < this.entered.length; index += 3) {
      const inner = labelOf(this.entered[index] as string | undefined, this.entered[index + 1] as number, this.entered[index + 2] as number | undefined)
      path = path === "" ? inner : `${path}.${inner}`
    }
    return path
  }

  /** The field number of the next field (its wire type in `wireType`), or `undefined` at the end. */
  next(): number | undefined {
    if (this.position >= this.end) return undefined
    const key = this.varintNumber("a field key")
    const wireType = key % 8
    const field = Math.floor(key / 8)
    if (field === 0 || field > 0x1fffffff) throw this.error(`field number ${field} is out of range`)
    if (wireType !== VARINT && wireType !== FIXED64 && wireType !== LENGTH_DELIMITED && wireType !== FIXED32) {
      throw this.error(`wire type ${WIRE_TYPE_NAMES[wireType]} of field ${field} is not supported`)
    }
    this.field = field
    this.wireType = wireType
    return field
  }

  /** The error for the current field, naming its path. */
  error(reason: string): ProtoError {
    return new ProtoError(this.fieldPath(), reason)
  }

  /** Fails unless the current field has `wireType`; `name` is the field's name in the message. */
  expect(wireType: number, name?: string): void {
    if (this.wireType !== wireType) {
      throw this.error(
        `${name ?? `field ${this.field}`} has wire type ${WIRE_TYPE_NAMES[this.wireType]}, expected ${WIRE_TYPE_NAMES[wireType]}`
      )
    }
  }

  /** Skips the current field's value. */
  skip(): void {
    switch (this.wireType) {
      case VARINT:
        this.varintBig("a varint")
        return
      case FIXED64:
        this.take(8, "a fixed64")
        return
      case FIXED32:
        this.take(4, "a fixed32")
        return
      case LENGTH_DELIMITED:
        this.take(this.length(), "a length-delimited field")
        return
      default:
        throw this.error(`cannot skip wire type ${this.wireType}`)
    }
  }

  /** A varint as a number, exact up to 2^53 (counts, enums, lengths); larger values lose precision. */
  uint(): number {
    return this.varintNumber("a varint")
  }

  /** A `uint32` varint (the low 32 bits of a longer one, as protobuf parsers read it). */
  uint32(): number {
    const start = this.position
    const value = this.varintNumber("a varint")
    if (value <= 0xffffffff) return value
    this.position = start
    return Number(BigInt.asUintN(32, this.varintBig("a varint")))
  }

  /** An unsigned 64-bit varint, exact. */
  uint64(): bigint {
    return this.varintBig("a varint")
  }

  /** A signed 64-bit varint (`int64`), two's complement. */
  int64(): bigint {
    return BigInt.asIntN(64, this.varintBig("a varint"))
  }

  /** An `int32`/`enum` varint: negative values are sent as ten-byte 64-bit varints. */
  int32(): number {
    const start = this.position
    const value = this.varintNumber("a varint")
    if (value <= 0x7fffffff) return value
    this.position = start
    return Number(BigInt.asIntN(32, this.varintBig("a varint")))
  }

  /** A zig-zag `sint32`. */
  sint32(): number {
    const value = this.uint32()
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2
  }

  bool(): boolean {
    return this.varintNumber("a varint") !== 0
  }

  fixed32(): number {
    const start = this.take(4, "a fixed32")
    return this.view.getUint32(start, true)
  }

  fixed64(): bigint {
    const start = this.take(8, "a fixed64")
    return this.view.getBigUint64(start, true)
  }

  sfixed64(): bigint {
    const start = this.take(8, "a fixed64")
    return this.view.getBigInt64(start, true)
  }

  double(): number {
    const start = this.take(8, "a double")
    return this.view.getFloat64(start, true)
  }

  /** A length-delimited field's bytes, as a view (not a copy) of the input. */
  bytesField(): Uint8Array {
    const length = this.length()
    const start = this.take(length, "a length-delimited field")
    return this.bytes.subarray(start, start + length)
  }

  /** A string field, decoded as UTF-8 (invalid sequences become U+FFFD, as protobufjs does). */
  string(): string {
    const length = this.length()
    const start = this.take(length, "a string")
    // Short ASCII strings (most keys and names) without the decoder's call overhead.
    if (length <= 24) {
      let text = ""
      for (let index = start; index < start + length; index++) {
        const byte = this.bytes[index]!
        if (byte >= 0x80) return utf8.decode(this.bytes.subarray(start, start + length))
        text += String.fromCharCode(byte)
      }
      return text
    }
    return utf8.decode(this.bytes.subarray(start, start + length))
  }

  /**
   * A reader over the embedded message in the current field, one level deeper; `name` (the
   * field's name, with an index for repeated fields) extends the path in error messages.
   */
  message(name?: string, index?: number): ProtoReader {
    if (this.depth + 1 > this.maxDepth) {
      throw new ProtoError(this.childPath(labelOf(name, this.field, index)), `messages nest deeper than ${this.maxDepth} levels`)
    }
    const length = this.length()
    const start = this.take(length, "an embedded message")
    const child = new ProtoReader(this.bytes, this.view, start, start + length, this.depth + 1, this.maxDepth, this, "")
    child.name = name
    child.nameField = this.field
    child.nameIndex = index
    return child
  }

  /**
   * Reads the embedded message in the current field in place, without a reader of its own (the
   * decoders of large requests enter millions of messages): fields read next are the message's,
   * until `leave` with the returned value, once they are all read.
   */
  enter(name?: string, index?: number): number {
    if (this.depth + 1 > this.maxDepth) {
      throw new ProtoError(this.childPath(labelOf(name, this.field, index)), `messages nest deeper than ${this.maxDepth} levels`)
    }
    const length = this.length()
    const outerEnd = this.end
    this.end = this.position + length
    this.depth++
    this.entered.push(name, this.field, index)
    return outerEnd
  }

  /** Back to the enclosing message after `enter`, whose return value `outerEnd` is. */
  leave(outerEnd: number): void {
    if (this.position !== this.end) throw this.error("an embedded message was left before its end")
    this.end = outerEnd
    this.depth--
    this.entered.pop()
    this.entered.pop()
    this.entered.pop()
  }

  /**
   * The values of a repeated scalar field, packed (one length-delimited field) or not (one field
   * per value): proto3 parsers must accept both. `read` reads one value from the given reader.
   */
  repeated<T>(scalarWireType: number, read: (reader: ProtoReader) => T, into: Array<T>): void {
    if (this.wireType === scalarWireType) {
      into.push(read(this))
      return
    }
    this.expect(LENGTH_DELIMITED)
    const length = this.length()
    const start = this.take(length, "a packed field")
    const packed = new ProtoReader(this.bytes, this.view, start, start + length, this.depth, this.maxDepth, this, `#${this.field}`)
    packed.wireType = scalarWireType
    packed.field = this.field
    while (packed.position < packed.end) into.push(read(packed))
  }

  private fieldPath(): string {
    return this.childPath(undefined)
  }

  private childPath(name: string | undefined): string {
    const label = name ?? (this.field === 0 ? "" : `#${this.field}`)
    if (label === "") return this.path
    return this.path === "" ? label : `${this.path}.${label}`
  }

  private length(): number {
    const length = this.varintNumber("a length")
    if (length > this.end - this.position) {
      throw this.error(`a length of ${length} bytes runs past the end of the message (${this.end - this.position} left)`)
    }
    return length
  }

  /** Advances over `count` bytes and returns where they start. */
  private take(count: number, what: string): number {
    if (count > this.end - this.position) throw this.error(`truncated: ${what} needs ${count} bytes, ${this.end - this.position} left`)
    const start = this.position
    this.position += count
    return start
  }

  private varintNumber(what: string): number {
    // Multiplication, not shifts: values above 2^31 stay exact up to 2^53.
    let result = 0
    let scale = 1
    for (let index = 0; index < 10; index++) {
      if (this.position >= this.end) throw this.error(`truncated: ${what} ends early`)
      const byte = this.bytes[this.position++]!
      result += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (index === 9 && byte > 1) throw this.error(`${what} is longer than 64 bits`)
        return result
      }
      scale *= 128
    }
    throw this.error(`${what} is longer than ten bytes`)
  }

  private varintBig(what: string): bigint {
    let low = 0
    let index = 0
    // The first four bytes (28 bits) in a number, the rest as bigint: most varints are short.
    for (; index < 4; index++) {
      if (this.position >= this.end) throw this.error(`truncated: ${what} ends early`)
      const byte = this.bytes[this.position++]!
      low += (byte & 0x7f) * 2 ** (7 * index)
      if (byte < 0x80) return BigInt(low)
    }
    let result = BigInt(low)
    for (; index < 10; index++) {
      if (this.position >= this.end) throw this.error(`truncated: ${what} ends early`)
      const byte = this.bytes[this.position++]!
      result |= BigInt(byte & 0x7f) << BigInt(7 * index)
      if (byte < 0x80) {
        if (index === 9 && byte > 1) throw this.error(`${what} is longer than 64 bits`)
        return result
      }
    }
    throw this.error(`${what} is longer than ten bytes`)
  }
}
