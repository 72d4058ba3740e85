/**
 * Where the configuration comes from and in what order: an explicit object or file (YAML or JSON,
 * with an `observability:` section or bare; protobuf-JSON too), the standard `OTEL_*` environment
 * variables where the explicit config is silent, and the built-in defaults for the rest.
 *
 * The environment is read through Effect's `Config`, so tests supply their own with
 * `Effect.withConfigProvider(ConfigProvider.fromMap(...))`.
 *
 * @example
 * ```ts
 * import { ConfigSource } from "@lingo-obs/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const config = yield* ConfigSource.resolve({ tracing: { samplingRatio: 0.1 } })
 *   // config.tracing.endpoint comes from OTEL_EXPORTER_OTLP_ENDPOINT when it is set
 * })
 * ```
 */
import * as FileSystem from "node:fs/promises"
import * as EffectConfig from "effect/Config"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Config from "./Config.js"
import { requireModule } from "../internal/lazy.js"
import * as Diagnostics from "../Diagnostics.js"
import { readEnvironment } from "../internal/environment.js"
import { isPlainObject, splitEndpoint } from "../internal/input.js"
import * as Endpoint from "../export/Endpoint.js"

/** One problem in a config: the field's dotted path and what was expected there. */
export interface ConfigIssue {
  readonly path: string
  readonly message: string
}

/** A config that cannot be used. The message names each bad field's path and what it expected. */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly source: string
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  override get message(): string {
    const lines = this.issues.map((issue) => `  - ${issue.path === "" ? "(root)" : issue.path}: ${issue.message}`)
    return `Invalid observability config (${this.source}):\n${lines.join("\n")}`
  }
}

const SECTIONS_WITH_FIELDS = new Set(["", "service", "tracing", "metrics", "logs"])

/**
 * Turns what a file or a protobuf-JSON encoder produced into the shape of the Schema input:
 * takes the `observability:` section when there is one and renames `snake_case` keys of the
 * known sections to `lowerCamelCase` (protobuf's original field names). Map-valued fields such
 * as `headers` and `globalAttributes` keep their keys as they are.
 */
export const normalize = (input: unknown): unknown => {
  const section = isPlainObject(input) && "observability" in input ? input["observability"] : input
  return renameKeys(section, "")
}

const renameKeys = (value: unknown, path: string): unknown => {
  if (!SECTIONS_WITH_FIELDS.has(path) || !isPlainObject(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => {
      const name = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())
      return [name, renameKeys(field, path === "" ? name : `${path}.${name}`)]
    })
  )
}

/** Parses the text of a config file; YAML is a superset of JSON, so one parser reads both. */
export const parseText = (text: string, source = "inline text"): Effect.Effect<unknown, ConfigError> =>
  Effect.try({
    // Loaded on first use: most programs configure in code or through the environment.
    try: () => (requireModule("yaml") as typeof import("yaml")).parse(text) as unknown,
    catch: (error) =>
      new ConfigError({ source, issues: [{ path: "", message: `not valid YAML or JSON: ${String(error)}` }] })
  }).pipe(Effect.map((parsed) => parsed ?? {}))

/** Reads and parses a YAML or JSON config file. */
export const readFile = (path: string): Effect.Effect<unknown, ConfigError> =>
  Effect.tryPromise({
    try: () => FileSystem.readFile(path, "utf8"),
    catch: (error) =>
      new ConfigError({ source: path, issues: [{ path: "", message: `cannot read the file: ${String(error)}` }] })
  }).pipe(Effect.flatMap((text) => parseText(text, path)))

/**
 * Decodes a config without looking at the environment: explicit values, then defaults.
 * Fails with a `ConfigError` naming each malformed field.
 */
export const decode = (input: unknown, source = "config"): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Schema.decodeUnknown(Config.ObservabilityConfig, { onExcessProperty: "error", errors: "all" })(
    applyEndpointSchemes(normalize(input))
  ).pipe(
    Effect.mapError((error) => new ConfigError({ source, issues: toIssues(error) })),
    Effect.flatMap(clampRanges)
  )

/**
 * The effective config: explicit values (an object or a file's content) first, then the
 * `OTEL_*` environment where the explicit config is silent, then the defaults.
 * Unparseable environment values are ignored with one warning each; a malformed explicit config
 * fails with a `ConfigError`.
 */
export const resolve = (
  input: unknown = {},
  source = "config"
): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Effect.gen(function*() {
    const explicit = applyEndpointSchemes(normalize(input))
    const environment = yield* readEnvironment
    return yield* decode(overlay(explicit, environment), source)
  })

/**
 * Loads the config of a program: the file named by `file` (or by `OBSERVABILITY_CONFIG_FILE`),
 * deep-merged under the explicit `config` object, then resolved against the environment.
 */
export const load = (options: {
  readonly config?: unknown
  readonly file?: string | undefined
} = {}): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Effect.gen(function*() {
    const file = options.file ?? Option.getOrUndefined(yield* configFileFromEnv)
    const fromFile = file === undefined ? {} : normalize(yield* readFile(file))
    const merged = mergeExplicit(fromFile, normalize(options.config ?? {}))
    return yield* resolve(merged, file ?? "config")
  })

/** `OBSERVABILITY_CONFIG_FILE`: the path of a YAML or JSON config file for `ObservabilityLive`. */
export const CONFIG_FILE_VARIABLE = "OBSERVABILITY_CONFIG_FILE"

/** The config file named by `OBSERVABILITY_CONFIG_FILE`, if any. */
export const configFileFromEnv: Effect.Effect<Option.Option<string>> = EffectConfig.option(
  EffectConfig.string(CONFIG_FILE_VARIABLE)
).pipe(
  Effect.orElseSucceed(() => Option.none<string>()),
  Effect.map(Option.filter((path) => path.trim() !== ""))
)

// ---------------------------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------------------------

/** The sections with exporter settings (endpoint, insecure, ...). */
const EXPORTING_SECTIONS: ReadonlyArray<string> = ["tracing", "metrics", "logs"]

/** Explicit values win field by field; for maps (headers, attributes) the explicit map wins whole. */
const overlay = (explicit: unknown, environment: Record<string, unknown>): unknown => {
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
    ? { ...rest, endpoint: Endpoint.joinSignalPath(endpointBase, signal) }
    : rest
}

const withoutUndefined = (record: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))

/** Deep-merges two explicit configs (a file under an object in code): the second wins per field. */
const mergeExplicit = (base: unknown, top: unknown): unknown => {
  if (!isPlainObject(base) || !isPlainObject(top)) return top === undefined ? base : top
  const result: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(top)) {
    if (value === undefined) continue
    result[key] = isPlainObject(value) && isPlainObject(base[key]) && key !== "headers"
      ? mergeExplicit(base[key], value)
      : value
  }
  return result
}

/** An endpoint written as a URL decides `insecure` unless the same section sets it. */
const applyEndpointSchemes = (input: unknown): unknown => {
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

// ---------------------------------------------------------------------------------------------
// Ranges that are adjusted, not rejected
// ---------------------------------------------------------------------------------------------

const clampRanges = (config: Config.ObservabilityConfig): Effect.Effect<Config.ObservabilityConfig> =>
  Effect.gen(function*() {
    let tracing = config.tracing
    if (tracing.samplingRatio < 0 || tracing.samplingRatio > 1) {
      const clamped = Math.min(1, Math.max(0, tracing.samplingRatio))
      yield* Effect.logWarning(
        `tracing.samplingRatio ${tracing.samplingRatio} is outside [0, 1]; using ${clamped}`
      ).pipe(Diagnostics.annotate({ field: "tracing.samplingRatio" }))
      tracing = { ...tracing, samplingRatio: clamped }
    }
    if (tracing.maxExportBatchSize > tracing.maxQueueSize) {
      yield* Effect.logWarning(
        `tracing.maxExportBatchSize ${tracing.maxExportBatchSize} is above tracing.maxQueueSize ${tracing.maxQueueSize}; using ${tracing.maxQueueSize}`
      ).pipe(Diagnostics.annotate({ field: "tracing.maxExportBatchSize" }))
      tracing = { ...tracing, maxExportBatchSize: tracing.maxQueueSize }
    }
    let logs = config.logs
    if (logs.maxExportBatchSize > logs.maxQueueSize) {
      yield* Effect.logWarning(
        `logs.maxExportBatchSize ${logs.maxExportBatchSize} is above logs.maxQueueSize ${logs.maxQueueSize}; using ${logs.maxQueueSize}`
      ).pipe(Diagnostics.annotate({ field: "logs.maxExportBatchSize" }))
      logs = { ...logs, maxExportBatchSize: logs.maxQueueSize }
    }
    return tracing === config.tracing && logs === config.logs ? config : { ...config, tracing, logs }
  })

// ---------------------------------------------------------------------------------------------
// Error formatting
// ---------------------------------------------------------------------------------------------

const toIssues = (error: ParseResult.ParseError): ReadonlyArray<ConfigIssue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue._tag === "Unexpected"
      ? "unknown field (check its spelling; fields are lowerCamelCase or snake_case)"
      : issue.message
  }))
