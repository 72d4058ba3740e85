/**
 * OTLP/JSON as the OTLP specification defines it: the proto3 JSON mapping with lowerCamelCase
 * keys, enums as integers, 64-bit integers as strings or numbers, `bytes` in base64, except trace
 * and span ids, which are hex. Requests become the same decoded messages as the protobuf encoding,
 * so one ingestion path serves both.
 */
import type * as Proto from "./otlpProto.js"

/** Decodes an OTLP/JSON Export request body; throws with the reason when it is not one. */
export const decodeRequest = <Request>(
  codec: Proto.Codec<Request>,
  body: Buffer,
  check: (parsed: object) => void = () => undefined
): Request => {
  const parsed: unknown = JSON.parse(body.toString("utf8"))
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error("the body is not a JSON object")
  }
  check(parsed)
  return codec.fromJson(parsed)
}

/** An Export response in OTLP/JSON: 64-bit counts as strings, as proto3 JSON writes them. */
export const encodeResponse = (response: object): string =>
  JSON.stringify(response, (_, value: unknown) => (typeof value === "number" && Number.isInteger(value) ? String(value) : value))

/** A `google.rpc.Status` in JSON, the body of a failed OTLP/HTTP call whose request was JSON. */
export const encodeStatus = (code: number, message: string, retryDelayMillis: number | undefined): string =>
  JSON.stringify({
    code,
    message,
    ...(retryDelayMillis === undefined ? {} : {
      details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryDelayMillis / 1_000}s` }]
    })
  })

/** How many entries the arrays at `path` (a key or keys per level) hold in parsed OTLP/JSON. */
export const countAt = (parsed: unknown, path: ReadonlyArray<ReadonlyArray<string>>): number => {
  let level: Array<unknown> = [parsed]
  for (const keys of path) {
    const next: Array<unknown> = []
    for (const node of level) {
      if (node === null || typeof node !== "object") continue
      for (const key of keys) {
        const value = (node as Record<string, unknown>)[key]
        if (Array.isArray(value)) for (const item of value) next.push(item)
        else if (value !== null && typeof value === "object") next.push(value)
      }
    }
    level = next
  }
  return level.length
}
