/**
 * OTLP/JSON as the OTLP specification defines it: the proto3 JSON mapping with lowerCamelCase
 * keys, enums as integers, 64-bit integers as strings or numbers, `bytes` in base64, except trace
 * and span ids, which are hex. Requests become the same decoded messages as the protobuf encoding,
 * so one ingestion path serves both.
 */
import { InvalidRequest, MAX_NESTING } from "./flatten.js"
import type * as Proto from "./otlpProto.js"

/** The fields that hold ids (spans, links, log records, exemplars): hex in OTLP/JSON, not base64. */
const ID_FIELDS: ReadonlySet<string> = new Set(["traceId", "spanId", "parentSpanId"])

const HEX = /^(?:[0-9a-f]{2})*$/i

/**
 * How deep a request's JSON may nest: an attribute level costs five (`value`, `kvlistValue`,
 * `values`, the array, the entry), so this admits `Flatten.MAX_NESTING` levels with the envelope.
 */
export const MAX_JSON_DEPTH = 5 * MAX_NESTING + 32

/** Copies the parsed JSON with hex ids turned into bytes, so protobufjs does not read them as base64. */
const withBinaryIds = (value: unknown, key?: string, depth = 0): unknown => {
  if (depth > MAX_JSON_DEPTH) throw new InvalidRequest(`the JSON nests deeper than ${MAX_JSON_DEPTH} levels`)
  if (Array.isArray(value)) return value.map((item) => withBinaryIds(item, undefined, depth + 1))
  if (typeof value === "string" && key !== undefined && ID_FIELDS.has(key)) {
    if (!HEX.test(value)) throw new Error(`${key} ${JSON.stringify(value.slice(0, 64))} is not hex`)
    return Buffer.from(value, "hex")
  }
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, withBinaryIds(item, field, depth + 1)]))
}

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
  return codec.fromObject(withBinaryIds(parsed) as Record<string, unknown>)
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
