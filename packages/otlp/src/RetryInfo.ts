/**
 * gRPC's rich error model as collectors use it to pace exporters: a `google.rpc.Status` in the
 * `grpc-status-details-bin` trailer whose details carry a `google.rpc.RetryInfo` delay.
 *
 * @example
 * ```ts
 * const delay = RetryInfo.delayMillis(error.metadata.get(RetryInfo.TRAILER)[0])
 * ```
 */
import type * as Protobuf from "protobufjs"
import { requireModule } from "./internal/lazy.js"

/** The trailer gRPC defines for the rich error model. */
export const TRAILER = "grpc-status-details-bin"

const RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo"

// Google's well-known messages, reduced to the fields used here; parsed on the first failure
// that carries details, since a healthy pipeline never needs them.
let types: { readonly Status: Protobuf.Type; readonly RetryInfo: Protobuf.Type } | undefined
const messageTypes = () => {
  if (types !== undefined) return types
  const protobuf = requireModule("protobufjs") as typeof Protobuf
  const root = protobuf.parse(`
  syntax = "proto3";
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message RetryInfo { Duration retry_delay = 1; }
`).root
  return types = { Status: root.lookupType("Status"), RetryInfo: root.lookupType("RetryInfo") }
}

interface DecodedStatus {
  readonly details?: ReadonlyArray<{ readonly typeUrl?: string; readonly value?: Uint8Array }>
}
interface DecodedRetryInfo {
  readonly retryDelay?: { readonly seconds?: number | { toNumber(): number }; readonly nanos?: number } | null
}

/** Serializes a `google.rpc.Status` whose details carry a RetryInfo of `delayMillis`. */
export const encodeStatus = (code: number, message: string, delayMillis: number): Buffer => {
  const millis = Math.max(0, Math.round(delayMillis))
  const retryInfo = messageTypes().RetryInfo.encode({
    retryDelay: { seconds: Math.floor(millis / 1_000), nanos: (millis % 1_000) * 1_000_000 }
  }).finish()
  const status = messageTypes().Status.encode({ code, message, details: [{ typeUrl: RETRY_INFO_TYPE_URL, value: retryInfo }] })
    .finish()
  return Buffer.from(status.buffer, status.byteOffset, status.byteLength)
}

/** The RetryInfo delay in a serialized `google.rpc.Status`, or `undefined` when it has none or is malformed. */
export const delayMillis = (statusDetails: Uint8Array | string | undefined): number | undefined => {
  if (statusDetails === undefined || typeof statusDetails === "string") return undefined
  try {
    const status = messageTypes().Status.decode(statusDetails) as unknown as DecodedStatus
    const detail = status.details?.find((any) => any.typeUrl === RETRY_INFO_TYPE_URL)
    if (detail?.value === undefined) return undefined
    const delay = (messageTypes().RetryInfo.decode(detail.value) as unknown as DecodedRetryInfo).retryDelay
    if (delay === undefined || delay === null) return undefined
    const seconds = typeof delay.seconds === "object" ? delay.seconds.toNumber() : delay.seconds ?? 0
    return seconds * 1_000 + Math.round((delay.nanos ?? 0) / 1_000_000)
  } catch {
    return undefined
  }
}
