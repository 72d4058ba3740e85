/**
 * The `grpc-status-details-bin` trailer payload: a serialized `google.rpc.Status` whose details
 * carry a `google.rpc.RetryInfo`, the way a collector tells an exporter when to retry.
 */
import protobuf from "protobufjs"
import { type Int64, toBuffer } from "./otlpProto.js"

/** Trailer key gRPC defines for the rich error model. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin"

const RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo"

// Google's well-known messages, reduced to the fields used here.
const root = new protobuf.Root()
protobuf.parse(
  `syntax = "proto3";
  package google.protobuf;
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message Any { string type_url = 1; bytes value = 2; }`,
  root
)
protobuf.parse(
  `syntax = "proto3";
  package google.rpc;
  message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
  message RetryInfo { google.protobuf.Duration retry_delay = 1; }`,
  root
)
const StatusType = root.lookupType("google.rpc.Status")
const RetryInfoType = root.lookupType("google.rpc.RetryInfo")

interface DecodedStatus {
  readonly details: ReadonlyArray<{ readonly typeUrl: string; readonly value: Uint8Array }>
}

interface DecodedRetryInfo {
  readonly retryDelay?: { readonly seconds: Int64; readonly nanos: number } | null
}

/** Serializes a `google.rpc.Status` carrying a RetryInfo with the given delay. */
export const encodeRetryInfoStatus = (code: number, message: string, retryDelayMs: number): Buffer => {
  const wholeMillis = Math.max(0, Math.round(retryDelayMs))
  const retryInfo = RetryInfoType.encode({
    retryDelay: { seconds: Math.floor(wholeMillis / 1000), nanos: (wholeMillis % 1000) * 1_000_000 }
  }).finish()
  return toBuffer(
    StatusType.encode({ code, message, details: [{ typeUrl: RETRY_INFO_TYPE_URL, value: retryInfo }] }).finish()
  )
}

/**
 * Reads the retry delay, in milliseconds, from a `grpc-status-details-bin` value;
 * `undefined` when the status carries no RetryInfo.
 */
export const decodeRetryInfoDelayMs = (statusDetails: Uint8Array): number | undefined => {
  const status = StatusType.decode(statusDetails) as unknown as DecodedStatus
  const detail = status.details.find((candidate) => candidate.typeUrl === RETRY_INFO_TYPE_URL)
  if (detail === undefined) return undefined
  const { retryDelay } = RetryInfoType.decode(detail.value) as unknown as DecodedRetryInfo
  if (retryDelay == null) return undefined
  return Number(retryDelay.seconds.toString()) * 1000 + retryDelay.nanos / 1_000_000
}
