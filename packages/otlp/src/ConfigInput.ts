/** Small helpers for untyped config input. */

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * What a value is, in words, for an error that must not echo it (a misplaced line of YAML can put
 * a token anywhere): `a string`, `an empty string`, `a number`, `a boolean`, `a list`, `an object`, `null`.
 */
export const kindOf = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "a list"
    : typeof value === "string"
    ? value.trim() === "" ? "an empty string" : "a string"
    : typeof value === "object"
    ? "an object"
    : typeof value === "undefined"
    ? "nothing"
    : `a ${typeof value}`

/**
 * Sets `record[key]` as an own property, even for `__proto__` (which plain assignment would take
 * as the prototype): config input is data, whatever its keys.
 */
export const setField = (record: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Splits an endpoint written as a URL (`http://collector:4317`) into the `host:port` that gRPC
 * dials and the transport security its scheme implies (`http` = plaintext, `https` = TLS).
 * A bare `host:port` implies nothing.
 */
export const splitEndpoint = (endpoint: string): { readonly endpoint: string; readonly insecure?: boolean } => {
  const match = /^(https?):\/\/([^/]+)\/?$/i.exec(endpoint.trim())
  if (match === null) return { endpoint: endpoint.trim() }
  return { endpoint: match[2]!, insecure: match[1]!.toLowerCase() === "http" }
}
