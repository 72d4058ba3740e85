/**
 * The effective configuration, field by field, with where each value comes from: the config
 * (a file or an object in code), an environment variable, or the built-in default. It is what
 * `pnpm config:check <file>` prints, and what a service can log at startup to answer "why does
 * it send there?". Header values are redacted (`Redact.headers`).
 *
 * @example
 * ```ts
 * import { ConfigReport } from "@lingo-obs/core"
 * import { Console, Effect } from "effect"
 *
 * const program = ConfigReport.fromFile("config.yaml").pipe(
 *   Effect.flatMap((report) => Console.log(ConfigReport.format(report)))
 * )
 * // tracing.endpoint   collector:4317   env:OTEL_EXPORTER_OTLP_ENDPOINT
 * ```
 */
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as Config from "./Config.js"
import * as ConfigSource from "./ConfigSource.js"
import * as Redact from "@lingo-obs/otlp/Redact"
import * as Diagnostics from "../Diagnostics.js"
import { readEnvironment } from "../internal/environment.js"
import { variablesFor } from "@lingo-obs/otlp/EnvironmentVariables"
import { isPlainObject, splitEndpoint } from "@lingo-obs/otlp/ConfigInput"
import { structure } from "../internal/schemaShape.js"

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
  /** One entry per field (and per key of a non-empty map), in the Schema's order. */
  readonly entries: ReadonlyArray<Entry>
  /** What resolving the config warned about: ignored environment values, clamped ranges. */
  readonly warnings: ReadonlyArray<string>
  /** The effective config itself. */
  readonly config: Config.ObservabilityConfig
}

/**
 * Resolves `input` the way `ConfigSource.resolve` does (explicit > `OTEL_*` environment >
 * default, the environment read through the current `ConfigProvider`) and tells, for every
 * field, its value and its source. The warnings resolving produces (ignored variables, clamped
 * values) are returned in the report instead of logged. Fails with the same `ConfigError` on a
 * malformed config.
 *
 * @example
 * ```ts
 * const report = yield* ConfigReport.make({ tracing: { samplingRatio: 0.1 } }).pipe(
 *   Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OTEL_TRACES_SAMPLER_ARG", "0.5"]])))
 * )
 * // { path: "tracing.samplingRatio", value: 0.1, source: "file" }
 * ```
 */
export const make = (input: unknown, source = "config"): Effect.Effect<Report, ConfigSource.ConfigError> =>
  Effect.gen(function*() {
    const warnings: Array<string> = []
    const config = yield* ConfigSource.resolve(input, source).pipe(logTo(warnings))
    const explicit = explicitValues(input)
    const environment = yield* readEnvironment.pipe(logTo([]))
    const provider = yield* Effect.configProviderWith(Effect.succeed)

    // What the environment says with only one variable visible: the way to name the variable
    // behind a value without a second copy of `readEnvironment`'s rules.
    const alone = new Map<string, Record<string, unknown>>()
    const environmentWithOnly = (name: string) =>
      Effect.suspend(() => {
        const known = alone.get(name)
        if (known !== undefined) return Effect.succeed(known)
        return readEnvironment.pipe(
          logTo([]),
          Effect.withConfigProvider(onlyVariable(provider, name)),
          Effect.tap((result) => alone.set(name, result))
        )
      })

    const sourceOf = (path: ReadonlyArray<string>): Effect.Effect<Source> =>
      Effect.gen(function*() {
        if (valueAt(explicit, path) !== undefined) return "file"
        if (!setByEnvironment(explicit, environment, path)) return "default"
        for (const name of variablesFor(path)) {
          if (setByEnvironment(explicit, yield* environmentWithOnly(name), path)) return `env:${name}` as const
        }
        return "env"
      })

    const encoded = Schema.encodeSync(Config.ObservabilityConfig)(config)
    const entries: Array<Entry> = []
    for (const leaf of leaves(AST.encodedAST(Config.ObservabilityConfig.ast), encoded, [], "")) {
      entries.push({ path: leaf.display, value: leaf.value, source: yield* sourceOf(leaf.path) })
    }
    return { source, entries, warnings, config }
  })

/**
 * Reads a YAML or JSON config file (bare or under `observability:`) and reports on it.
 *
 * @example
 * ```ts
 * const report = yield* ConfigReport.fromFile("config/observability.yaml")
 * ```
 */
export const fromFile = (path: string): Effect.Effect<Report, ConfigSource.ConfigError> =>
  ConfigSource.readFile(path).pipe(Effect.flatMap((content) => make(content, path)))

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

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/** The explicit config as `ConfigSource` sees it: normalized, `insecure` implied by a URL endpoint. */
const explicitValues = (input: unknown): Record<string, unknown> => {
  const normalized = ConfigSource.normalize(input)
  if (!isPlainObject(normalized)) return {}
  return Object.fromEntries(Object.entries(normalized).map(([key, section]) => {
    if (!isPlainObject(section) || typeof section["endpoint"] !== "string") return [key, section]
    const { insecure } = splitEndpoint(section["endpoint"])
    return [key, insecure === undefined ? section : { ...section, insecure }]
  }))
}

/**
 * Whether the environment supplies the field at `path`, by `ConfigSource`'s overlay: an explicit
 * field (a scalar, a map, a nested section) hides the environment's whole; a URL endpoint in the
 * environment implies `insecure` unless the explicit section names its own endpoint.
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

/** The current provider, with every variable but `name` missing. */
const onlyVariable = (provider: ConfigProvider.ConfigProvider, name: string): ConfigProvider.ConfigProvider =>
  ConfigProvider.fromFlat(ConfigProvider.makeFlat({
    load: (path, config, split) =>
      path[path.length - 1] === name
        ? provider.flattened.load(path, config, split)
        : Effect.fail(ConfigError.MissingData([...path], `hidden while looking for ${name}`)),
    enumerateChildren: (path) => provider.flattened.enumerateChildren(path),
    patch: provider.flattened.patch
  }))

/** Runs `self` with its log lines of level warning and above collected into `lines`, and not printed. */
const logTo = (lines: Array<string>) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(
    self,
    FiberRef.currentLoggers,
    HashSet.make(Logger.make(({ logLevel, message }) => {
      if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) {
        lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
      }
    }))
  )

// ---------------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------------

interface Leaf {
  readonly path: ReadonlyArray<string>
  readonly display: string
  readonly value: unknown
}

/** Walks the encoded Schema beside the encoded value, so a field added to the Schema shows up by itself. */
function* leaves(ast: AST.AST, value: unknown, path: ReadonlyArray<string>, display: string): Generator<Leaf> {
  const node = structure(ast)
  if (AST.isTypeLiteral(node) && node.propertySignatures.length > 0) {
    for (const property of node.propertySignatures) {
      const key = String(property.name)
      const field = isPlainObject(value) ? value[key] : undefined
      yield* leaves(property.type, field, [...path, key], display === "" ? key : `${display}.${key}`)
    }
    return
  }
  if (AST.isTypeLiteral(node) && node.indexSignatures.length > 0 && isPlainObject(value) && Object.keys(value).length > 0) {
    const shown = path[path.length - 1] === "headers" ? Redact.headers(value) : value
    for (const [key, item] of Object.entries(shown)) {
      yield { path: [...path, key], display: `${display}[${JSON.stringify(key)}]`, value: item }
    }
    return
  }
  yield { path, display, value }
}
