/**
 * The HTTP side of OTLP/HTTP for the receiver: signal paths, content types, request bodies
 * (gzip included), and the HTTP status a collector answers for a gRPC status code.
 */
import type * as Http from "node:http"
import { gunzip } from "node:zlib"
import { promisify } from "node:util"
import { ProtoWriter } from "@lingo-obs/otlp/ProtoWriter"
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

/**
 * The body as sent, rejecting with `tooLarge()` past `maxBytes`. Not `for await`: leaving that loop
 * early destroys the request and with it the socket the 413 must be answered on; the rest of an
 * oversized body is drained instead (and the answer closes the connection).
 */
const readAtMost = (request: Http.IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const settle = (outcome: () => void) => {
      request.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose)
      outcome()
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) return void chunks.push(chunk)
      settle(() => reject(tooLarge()))
      request.resume()
    }
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks)))
    const onError = (error: Error) => settle(() => reject(new BadRequest(400, `reading the body failed: ${error.message}`)))
    const onClose = () => settle(() => reject(new BadRequest(400, "the client closed the connection before the body ended")))
    request.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose)
  })

/**
 * Reads the whole body, un-gzipped when `Content-Encoding: gzip`; at most `maxBytes` both as sent
 * and once inflated (413 beyond). Inflating stops at the bound, so a small gzip bomb costs at most
 * `maxBytes` of memory.
 */
export const readBody = async (request: Http.IncomingMessage, maxBytes: number): Promise<Buffer> => {
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase()
  const gzipped = encoding === "gzip"
  if (!gzipped && encoding !== undefined && encoding !== "" && encoding !== "identity") {
    throw new BadRequest(415, `unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 64))}; use gzip or none`)
  }
  const tooLarge = () => new BadRequest(413, `the body is larger than ${maxBytes} bytes${gzipped ? " (sent or inflated)" : ""}`)
  if (Number(request.headers["content-length"]) > maxBytes) throw tooLarge()
  const body = await readAtMost(request, maxBytes, tooLarge)
  if (!gzipped) return body
  try {
    // zlib's convenience form inflates chunk by chunk and stops once the output passes the limit.
    return await gunzipAsync(body, { maxOutputLength: maxBytes })
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge()
    throw new BadRequest(400, `cannot gunzip the body: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** A `google.rpc.Status` in protobuf, with a RetryInfo detail when a delay is given. */
export const encodeStatus = (code: number, message: string, retryDelayMillis: number | undefined): Uint8Array =>
  retryDelayMillis === undefined
    ? new ProtoWriter().varint(1, code).string(2, message).finish() // google.rpc.Status code 1, message 2
    : RetryInfo.encodeStatus(code, message, retryDelayMillis)

/** `Retry-After` in whole seconds (the header has no finer unit), rounded up so the client never comes early. */
export const retryAfterSeconds = (delayMillis: number): string => String(Math.max(0, Math.ceil(delayMillis / 1_000)))
