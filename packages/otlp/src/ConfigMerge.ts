/**
 * How explicit config and the `OTEL_*` environment merge, before a line's schema decodes the
 * result: explicit values win field by field (a map such as `headers` wins whole), an endpoint
 * URL's scheme decides `insecure` for that endpoint only, and OTLP/HTTP appends the signal path
 * to the general `OTEL_EXPORTER_OTLP_ENDPOINT`, never to a per-signal one (the OTLP spec's rules).
 *
 * @example
 * ```ts
 * const { input } = Environment.read((name) => process.env[name])
 * const merged = ConfigMerge.overlay(ConfigMerge.applyEndpointSchemes(explicit), input)
 * ```
 */
import { EXPORTING_SECTIONS, isPlainObject, setField, splitEndpoint } from "./ConfigInput.js"
import { joinSignalPath } from "./Endpoint.js"

export { EXPORTING_SECTIONS } from "./ConfigInput.js"

/** Explicit values win field by field; for maps (headers, attributes) the explicit map wins whole. */
export const overlay = (explicit: unknown, environment: Record<string, unknown>): unknown => {
  if (!isPlainObject(explicit)) return explicit
  const result: Record<string, unknown> = { ...explicit }
  for (const [section, envValue] of Object.entries(environment)) {
    const own = explicit[section]
    if (own === undefined) {
      result[section] = EXPORTING_SECTIONS.includes(section)
        ? withEndpointBase(section, dropSchemeInsecure(envValue), true)
        : envValue
    } else if (isPlainObject(own) && isPlainObject(envValue)) {
      const merged: Record<string, unknown> = { ...envValue, ...withoutUndefined(own) }
      if (section === "globalAttributes") {
        result[section] = merged
        continue
      }
      // `http://` in an environment endpoint means plaintext only for that endpoint; its scheme
      // wins over `insecure`, which applies to scheme-less endpoints only (the OTLP spec).
      const schemeInsecure = envValue["insecureFromScheme"]
      delete merged["insecureFromScheme"]
      if (own["endpoint"] === undefined && schemeInsecure !== undefined) {
        merged["insecure"] = schemeInsecure
      }
      result[section] = withEndpointBase(section, merged, own["endpoint"] === undefined)
    }
  }
  return result
}

const dropSchemeInsecure = (section: unknown): unknown => {
  if (!isPlainObject(section)) return section
  const { insecureFromScheme, ...rest } = section
  return insecureFromScheme !== undefined ? { ...rest, insecure: insecureFromScheme } : rest
}

const SECTION_SIGNALS: Readonly<Record<string, "traces" | "metrics" | "logs">> = {
  tracing: "traces",
  metrics: "metrics",
  logs: "logs"
}

/**
 * OTLP/HTTP appends the signal path (`/v1/traces`) to the general `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (even one with a path of its own), never to a per-signal one: the spec's rule. Only when the
 * section's endpoint comes from the environment and its protocol is HTTP.
 */
const withEndpointBase = (section: string, values: unknown, endpointFromEnvironment: boolean): unknown => {
  if (!isPlainObject(values)) return values
  const { endpointBase, ...rest } = values
  const protocol = rest["protocol"]
  const signal = SECTION_SIGNALS[section]
  return endpointFromEnvironment && typeof endpointBase === "string" && signal !== undefined &&
      typeof protocol === "string" && protocol.toLowerCase().startsWith("http/")
    ? { ...rest, endpoint: joinSignalPath(endpointBase, signal) }
    : rest
}

const withoutUndefined = (record: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))

/** Deep-merges two explicit configs (a file under an object in code): the second wins per field. */
export const mergeExplicit = (base: unknown, top: unknown): unknown => {
  if (!isPlainObject(base) || !isPlainObject(top)) return top === undefined ? base : top
  const result: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(top)) {
    if (value === undefined) continue
    const own = Object.hasOwn(base, key) ? base[key] : undefined
    setField(result, key, isPlainObject(value) && isPlainObject(own) && key !== "headers" ? mergeExplicit(own, value) : value)
  }
  return result
}

/** An endpoint written as a URL decides `insecure` unless the same section sets it. */
export const applyEndpointSchemes = (input: unknown): unknown => {
  if (!isPlainObject(input)) return input
  const result: Record<string, unknown> = { ...input }
  for (const section of EXPORTING_SECTIONS) {
    const value = input[section]
    if (!isPlainObject(value) || typeof value["endpoint"] !== "string") continue
    const { endpoint, insecure } = splitEndpoint(value["endpoint"])
    // The scheme wins over `insecure`, which applies to scheme-less endpoints only (the OTLP spec).
    result[section] = { ...value, endpoint, ...(insecure === undefined ? {} : { insecure }) }
  }
  return result
}
