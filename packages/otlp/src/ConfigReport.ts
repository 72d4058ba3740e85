/**
 * The effective configuration, field by field, with where each value comes from — the config (a
 * file or an object in code), an `OTEL_*` variable, or the built-in default — as `lingo-obs config
 * check` prints it. Effect-free: a line resolves its config with its own Schema, encodes it, and
 * hands it here with the explicit input and the environment; the fields are walked in the order of
 * the config file's JSON Schema (`schema/observability-config.schema.json`, the same for both
 * lines), so a field added to it shows up by itself. Header values are redacted (`Redact.headers`).
 *
 * @example
 * ```ts
 * const sourceOf = ConfigReport.sources(fileSection, (name) => process.env[name])
 * const entries = ConfigReport.entries(jsonSchema, encodedConfig, sourceOf)
 * console.log(ConfigReport.format({ source: "observability.yaml", entries, warnings: [] }))
 * // tracing.endpoint   collector:4317   env:OTEL_EXPORTER_OTLP_ENDPOINT
 * ```
 */
import { isPlainObject, splitEndpoint } from "./ConfigInput.js"
import * as Environment from "./Environment.js"
import { variablesFor } from "./EnvironmentVariables.js"
import * as Redact from "./Redact.js"

/**
 * Where a value comes from: `"file"` (the explicit config, file or object), `"env:NAME"` (the
 * environment variable that set it; plain `"env"` if it cannot be told), or `"default"`.
 */
export type Source = "file" | "default" | "env" | `env:${string}`

/** One field of the effective config. */
export interface Entry {
  /** The field's dotted path; keys of map fields in brackets: `globalAttributes["service.group"]`. */
  readonly path: string
  /** The value as a config file writes it (`"5s"`), header values redacted; `undefined` when unset. */
  readonly value: unknown
  readonly source: Source
}

export interface Report {
  /** What was checked, e.g. the file's path. */
  readonly source: string
  /** One entry per field (and per key of a non-empty map), in the JSON Schema's order. */
  readonly entries: ReadonlyArray<Entry>
  /** What resolving the config warned about: ignored environment values, clamped ranges. */
  readonly warnings: ReadonlyArray<string>
}

/** A JSON Schema node; only read. */
type Node = { readonly [keyword: string]: unknown }

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/**
 * The source of each field, by the overlay's rules (explicit > `OTEL_*` > default): `explicit`
 * is the config as given (its `observability` section, keys normalized), `lookup` the environment.
 * The variable behind a value is found by reading the environment with only that variable visible.
 */
export const sources = (explicitInput: unknown, lookup: Environment.Lookup): (path: ReadonlyArray<string>) => Source => {
  const explicit = explicitValues(explicitInput)
  const environment = Environment.read(lookup).input
  const alone = new Map<string, Record<string, unknown>>()
  const environmentWithOnly = (name: string): Record<string, unknown> => {
    let known = alone.get(name)
    if (known === undefined) {
      known = Environment.read((variable) => (variable === name ? lookup(variable) : undefined)).input
      alone.set(name, known)
    }
    return known
  }
  return (path) => {
    if (valueAt(explicit, path) !== undefined) return "file"
    if (!setByEnvironment(explicit, environment, path)) return "default"
    for (const name of variablesFor(path)) {
      if (setByEnvironment(explicit, environmentWithOnly(name), path)) return `env:${name}`
    }
    return "env"
  }
}

/** The explicit config with `insecure` implied by a URL endpoint, as the overlay reads it. */
const explicitValues = (input: unknown): Record<string, unknown> => {
  if (!isPlainObject(input)) return {}
  return Object.fromEntries(Object.entries(input).map(([key, section]) => {
    if (!isPlainObject(section) || typeof section["endpoint"] !== "string") return [key, section]
    const { insecure } = splitEndpoint(section["endpoint"])
    return [key, insecure === undefined ? section : { ...section, insecure }]
  }))
}

/**
 * Whether the environment supplies the field at `path`: an explicit field (a scalar, a map, a
 * nested section) hides the environment's whole; a URL endpoint in the environment implies
 * `insecure` unless the explicit section names its own endpoint.
 */
const setByEnvironment = (
  explicit: Record<string, unknown>,
  environment: Record<string, unknown>,
  path: ReadonlyArray<string>
): boolean => {
  if (valueAt(explicit, path.slice(0, 2)) !== undefined) return false
  if (valueAt(environment, path) !== undefined) return true
  const [section, field] = path
  return path.length === 2 && field === "insecure" &&
    valueAt(environment, [section!, "insecureFromScheme"]) !== undefined &&
    valueAt(explicit, [section!, "endpoint"]) === undefined
}

const valueAt = (value: unknown, path: ReadonlyArray<string>): unknown => {
  let current = value
  for (const key of path) {
    if (!isPlainObject(current)) return undefined
    current = current[key]
  }
  return current
}

// ---------------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------------

/**
 * One entry per field of the config file's JSON Schema (`document`, whose `else` names the
 * config's definition), valued from `encoded` (the effective config as a file writes it).
 */
export const entries = (
  document: Node,
  encoded: unknown,
  sourceOf: (path: ReadonlyArray<string>) => Source
): ReadonlyArray<Entry> => {
  const definitions = (document["$defs"] ?? {}) as Readonly<Record<string, Node>>
  const root = resolve(document["else"] as Node, definitions)
  return [...leaves(root, definitions, encoded, [], "")].map((leaf) => ({
    path: leaf.display,
    value: leaf.value,
    source: sourceOf(leaf.path)
  }))
}

interface Leaf {
  readonly path: ReadonlyArray<string>
  readonly display: string
  readonly value: unknown
}

/** A `$ref` (bare or as the only `allOf` member) followed to its definition. */
const resolve = (node: Node, definitions: Readonly<Record<string, Node>>): Node => {
  const allOf = node["allOf"]
  const reference = typeof node["$ref"] === "string"
    ? node["$ref"]
    : Array.isArray(allOf) && allOf.length === 1 && isPlainObject(allOf[0]) ? allOf[0]["$ref"] : undefined
  if (typeof reference !== "string") return node
  const target = definitions[reference.replace(/^#\/\$defs\//, "")]
  if (target === undefined) throw new Error(`JSON Schema reference ${reference} has no definition`)
  return resolve(target, definitions)
}

function* leaves(
  node: Node,
  definitions: Readonly<Record<string, Node>>,
  value: unknown,
  path: ReadonlyArray<string>,
  display: string
): Generator<Leaf> {
  const properties = node["properties"]
  if (isPlainObject(properties) && Object.keys(properties).length > 0) {
    for (const [key, property] of Object.entries(properties)) {
      const field = isPlainObject(value) ? value[key] : undefined
      yield* leaves(resolve(property as Node, definitions), definitions, field, [...path, key], display === "" ? key : `${display}.${key}`)
    }
    return
  }
  if (node["type"] === "object" && isPlainObject(value) && Object.keys(value).length > 0) {
    const shown = path[path.length - 1] === "headers" ? Redact.headers(value) : value
    for (const [key, item] of Object.entries(shown)) {
      yield { path: [...path, key], display: `${display}[${JSON.stringify(key)}]`, value: item }
    }
    return
  }
  yield { path, display, value }
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

/**
 * The report as an aligned table (field, value, source), followed by the warnings.
 *
 * @example
 * ```ts
 * console.log(ConfigReport.format(report))
 * // FIELD               VALUE            SOURCE
 * // tracing.endpoint    collector:4317   env:OTEL_EXPORTER_OTLP_ENDPOINT
 * ```
 */
export const format = (report: Report): string => {
  const rows = [["FIELD", "VALUE", "SOURCE"], ...report.entries.map((entry) => [entry.path, show(entry.value), entry.source])]
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)))
  const table = rows.map(([path, value, source]) => `${path!.padEnd(widths[0]!)}   ${value!.padEnd(widths[1]!)}   ${source}`)
  return [
    `Effective observability config of ${report.source} (precedence: file > environment > default)`,
    "",
    ...table,
    ...(report.warnings.length === 0 ? [] : ["", "Warnings:", ...report.warnings.map((warning) => `  - ${warning}`)])
  ].join("\n")
}

const show = (value: unknown): string =>
  value === undefined ? "(not set)" : typeof value === "string" ? value : JSON.stringify(value)
