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

/** The input's value at a decoder path; `undefined` where there is none (own properties only). */
export const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let value = input
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

/**
 * Both Effect lines' Schema names for what they expected, in the words of a config file, so an
 * error reads the same whichever line decoded it.
 */
const EXPECTATIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Struct \(Encoded side\)$|^[A-Z]\w*Config$/, "an object"],
  [/^\{ readonly \[x: string\]: string \}$|^HeaderMap$/, "a map of names to string values"],
  [/^(?:Readonly)?Array<.*>$/s, "a list"],
  [/^boolean$/, "true or false"],
  [/^string$/, "a string"],
  [/^number$/, "a number"],
  [/^a non empty string$/, "a non-empty string"]
]

/**
 * `Expected X, actual <value>` (a Schema's) or `Expected X, got <value>` as `Expected X, got a
 * string`: the value replaced by its kind. Other messages (a header rule, `is missing`) name no value.
 */
export const expectationWithoutValue = (message: string, value: unknown): string => {
  const match = /^Expected ([\s\S]*?)(?:, (?:actual|got) [\s\S]*)?$/.exec(message)
  if (match === null) return message
  const expected = EXPECTATIONS.find(([pattern]) => pattern.test(match[1]!))?.[1] ?? match[1]!
  return value === undefined ? `Expected ${expected}` : `Expected ${expected}, got ${kindOf(value)}`
}

/** The sections with exporter settings (endpoint, insecure, headers, ...). */
export const EXPORTING_SECTIONS: ReadonlyArray<string> = ["tracing", "metrics", "logs"]

/**
 * A header or attribute named `__proto__`, as one problem each (path and message): an object a
 * decoder builds would lose it without a word (assigning it sets the prototype) or keep a key that
 * later code cannot set, so both lines refuse it by name instead.
 */
export const prototypeKeys = (input: unknown): ReadonlyArray<{ readonly path: string; readonly message: string }> => {
  if (!isPlainObject(input)) return []
  const maps = [
    ...EXPORTING_SECTIONS.map((section) => [`${section}.headers`, isPlainObject(input[section]) ? input[section]["headers"] : undefined] as const),
    ["globalAttributes", input["globalAttributes"]] as const
  ]
  return maps.flatMap(([path, map]) =>
    isPlainObject(map) && Object.hasOwn(map, "__proto__")
      ? [{ path: `${path}.__proto__`, message: `the name "__proto__" cannot be used` }]
      : []
  )
}
