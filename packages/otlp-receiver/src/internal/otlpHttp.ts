/**
 * The HTTP side of OTLP/HTTP for the receiver: signal paths, content types, request bodies
 * (gzip included), and the HTTP status a collector answers for a gRPC status code.
 */
import type * as Http from "node:http"
import { gunzip } from "node:zlib"
import { promisify } from "node:util"
import protobuf from "protobufjs"
import * as RetryInfo from "@lingo-obs/otlp/RetryInfo"

const gunzipAsync = promisify(gunzip)

export type Encoding = "protobuf" | "json"

export const PROTOBUF = "application/x-protobuf"
export const JSON_TYPE = "application/json"

/** The encoding a `Content-Type` names; `undefined` for anything else. */
export const encodingOf = (contentType: string | undefined): Encoding | undefined => {
  const type = contentType?.split(";")[0]?.trim().toLowerCase()
  return type === PROTOBUF ? "protobuf" : type === JSON_TYPE ? "json" : undefined
}

/** The HTTP status for a gRPC status code, by Google's mapping (google/rpc/code.proto). */
const HTTP_STATUS: ReadonlyArray<number> = [
  200, // OK
  499, // CANCELLED
  500, // UNKNOWN
  400, // INVALID_ARGUMENT
  504, // DEADLINE_EXCEEDED
  404, // NOT_FOUND
  409, // ALREADY_EXISTS
  403, // PERMISSION_DENIED
  429, // RESOURCE_EXHAUSTED
  400, // FAILED_PRECONDITION
  409, // ABORTED
  400, // OUT_OF_RANGE
  501, // UNIMPLEMENTED
  500, // INTERNAL
  503, // UNAVAILABLE
  500, // DATA_LOSS
  401 // UNAUTHENTICATED
]

export const httpStatusOf = (grpcCode: number): number => HTTP_STATUS[grpcCode] ?? 500

/** Request headers as one string per name (lower-case), like the gRPC side's metadata. */
export const headersOf = (request: Http.IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(", ") : value]]
    )
  )

/** A body the receiver refuses, with the HTTP status to answer. */
export class BadRequest extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/** Reads the whole body, un-gzipped when `Content-Encoding: gzip`; at most `maxBytes` either way. */
export const readBody = async (request: Http.IncomingMessage, maxBytes: number): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw new BadRequest(413, `the body is larger than ${maxBytes} bytes`)
    chunks.push(chunk as Buffer)
  }
  const body = Buffer.concat(chunks)
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase()
  if (encoding === undefined || encoding === "" || encoding === "identity") return body
  if (encoding !== "gzip") throw new BadRequest(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}`)
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes })
  } catch (error) {
    throw new BadRequest(400, `cannot gunzip the body: ${String(error)}`)
  }
}

const Status = protobuf.parse(`
syntax = "proto3";
message Status { int32 code = 1; string message = 2; }
`).root.lookupType("Status")

/** A `google.rpc.Status` in protobuf, with a RetryInfo detail when a delay is given. */
export const encodeStatus = (code: number, message: string, retryDelayMillis: number | undefined): Uint8Array =>
  retryDelayMillis === undefined
    ? Status.encode({ code, message }).finish()
    : RetryInfo.encodeStatus(code, message, retryDelayMillis)

/** `Retry-After` in whole seconds (the header has no finer unit), rounded up so the client never comes early. */
export const retryAfterSeconds = (delayMillis: number): string => String(Math.max(0, Math.ceil(delayMillis / 1_000)))
