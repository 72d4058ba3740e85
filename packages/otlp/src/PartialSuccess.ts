/**
 * The `partial_success` of an OTLP Export response, decoded from its protobuf bytes. The three
 * signals' responses share the layout: field 1 is the partial success, whose field 1 is the
 * rejected count (spans, data points or log records) and field 2 the error message; so one small
 * reader serves them all, without loading a protobuf library on the hot path.
 *
 * @example
 * ```ts
 * const partial = PartialSuccess.decode(responseBytes) // { rejected: 28, message: "too old" }
 * ```
 */

/** Rejected items and the server's message; `undefined` when the response reports none. */
export interface PartialSuccess {
  readonly rejected: number
  readonly message: string
}

interface Reader {
  readonly bytes: Uint8Array
  offset: number
}

const varint = (reader: Reader): number => {
  let result = 0
  let scale = 1
  for (let index = 0; index < 10; index++) {
    if (reader.offset >= reader.bytes.length) throw new RangeError("truncated varint")
    const byte = reader.bytes[reader.offset++]!
    // Multiplication, not shifts: counts above 2^31 stay exact up to 2^53.
    result += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) return result
    scale *= 128
  }
  throw new RangeError("varint too long")
}

/** Calls `onField` for each field; skips what it does not read. */
const fields = (bytes: Uint8Array, onField: (field: number, wireType: number, reader: Reader) => boolean): void => {
  const reader: Reader = { bytes, offset: 0 }
  while (reader.offset < bytes.length) {
    const key = varint(reader)
    const field = Math.floor(key / 8)
    const wireType = key & 7
    if (onField(field, wireType, reader)) continue
    switch (wireType) {
      case 0:
        varint(reader)
        break
      case 1:
        reader.offset += 8
        break
      case 2:
        reader.offset += varint(reader)
        break
      case 5:
        reader.offset += 4
        break
      default:
        throw new RangeError(`unsupported wire type ${wireType}`)
    }
  }
  if (reader.offset > bytes.length) throw new RangeError("truncated message")
}

const slice = (reader: Reader): Uint8Array => {
  const length = varint(reader)
  const start = reader.offset
  reader.offset += length
  if (reader.offset > reader.bytes.length) throw new RangeError("truncated field")
  return reader.bytes.subarray(start, reader.offset)
}

/** The partial success a response reports, or `undefined` when it reports none or cannot be read. */
export const decode = (response: Uint8Array | undefined): PartialSuccess | undefined => {
  if (response === undefined || response.length === 0) return undefined
  try {
    let rejected = 0
    let message = ""
    fields(response, (field, wireType, reader) => {
      if (field !== 1 || wireType !== 2) return false
      fields(slice(reader), (inner, innerType, innerReader) => {
        if (inner === 1 && innerType === 0) rejected = varint(innerReader)
        else if (inner === 2 && innerType === 2) message = new TextDecoder().decode(slice(innerReader))
        else return false
        return true
      })
      return true
    })
    // The spec: a partial success with no rejected items and no message means full success.
    return rejected === 0 && message === "" ? undefined : { rejected, message }
  } catch {
    return undefined
  }
}
