/**
 * gRPC's rich error model as collectors use it to pace exporters: a `google.rpc.Status` in the
 * `grpc-status-details-bin` trailer whose details carry a `google.rpc.RetryInfo` delay.
 *
 * @example
 * ```ts
 * const delay = RetryInfo.delayMillis(error.metadata.get(RetryInfo.TRAILER)[0])
 * ```
 */
import { LENGTH_DELIMITED, ProtoReader, VARINT } from "./ProtoReader.js"
import { ProtoWriter } from "./ProtoWriter.js"

/** The trailer gRPC defines for the rich error model. */
export const TRAILER = "grpc-status-details-bin"

const RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo"

// Field numbers of Google's well-known messages:
// Status { int32 code = 1; string message = 2; repeated Any details = 3; }
// Any { string type_url = 1; bytes value = 2; }
// RetryInfo { Duration retry_delay = 1; }  Duration { int64 seconds = 1; int32 nanos = 2; }

/** Serializes a `google.rpc.Status` whose details carry a RetryInfo of `delayMillis`. */
export const encodeStatus = (code: number, message: string, delayMillis: number): Buffer => {
  const millis = Math.max(0, Math.round(delayMillis))
  const retryInfo = new ProtoWriter().message(1, (duration) => {
    duration.varint(1, Math.floor(millis / 1_000))
    if (millis % 1_000 !== 0) duration.varint(2, (millis % 1_000) * 1_000_000)
  }).finish()
  const status = new ProtoWriter()
  if (code !== 0) status.varint(1, code)
  if (message !== "") status.string(2, message)
  const bytes = status.message(3, (any) => any.string(1, RETRY_INFO_TYPE_URL).bytes(2, retryInfo)).finish()
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The delay of an encoded RetryInfo, in milliseconds; `undefined` when it holds none. */
const retryInfoMillis = (reader: ProtoReader): number | undefined => {
  let millis: number | undefined
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field !== 1) {
      reader.skip()
      continue
    }
    reader.expect(LENGTH_DELIMITED, "retry_delay")
    const duration = reader.message("retry_delay")
    let seconds = 0
    let nanos = 0
    for (let inner = duration.next(); inner !== undefined; inner = duration.next()) {
      if (inner === 1) (duration.expect(VARINT, "seconds"), seconds = Number(duration.int64()))
      else if (inner === 2) (duration.expect(VARINT, "nanos"), nanos = duration.int32())
      else duration.skip()
    }
    millis = seconds * 1_000 + Math.round(nanos / 1_000_000)
  }
  return millis
}

/** The RetryInfo delay in a serialized `google.rpc.Status`, or `undefined` when it has none or is malformed. */
export const delayMillis = (statusDetails: Uint8Array | string | undefined): number | undefined => {
  if (statusDetails === undefined || typeof statusDetails === "string") return undefined
  try {
    const status = ProtoReader.of(statusDetails, { path: "google.rpc.Status" })
    let delay: number | undefined
    for (let field = status.next(); field !== undefined; field = status.next()) {
      if (field !== 3 || delay !== undefined) {
        status.skip()
        continue
      }
      status.expect(LENGTH_DELIMITED, "details")
      const any = status.message("details")
      let typeUrl = ""
      let value: Uint8Array | undefined
      for (let inner = any.next(); inner !== undefined; inner = any.next()) {
        if (inner === 1) (any.expect(LENGTH_DELIMITED, "type_url"), typeUrl = any.string())
        else if (inner === 2) (any.expect(LENGTH_DELIMITED, "value"), value = any.bytesField())
        else any.skip()
      }
      if (typeUrl === RETRY_INFO_TYPE_URL && value !== undefined) delay = retryInfoMillis(ProtoReader.of(value, { path: "RetryInfo" }))
    }
    return delay
  } catch {
    return undefined
  }
}
