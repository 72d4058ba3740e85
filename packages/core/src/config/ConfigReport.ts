/**
 * The effective configuration, field by field, with where each value comes from: the config
 * (a file or an object in code), an environment variable, or the built-in default. It is what
 * `pnpm config:check <file>` prints, and what a service can log at startup to answer "why does
 * it send there?". Header values are redacted (`Redact.headers`). The sources, the field order
 * (the config file's JSON Schema) and the table are the engine's (`@lingo-obs/otlp/ConfigReport`),
 * shared with the Effect 4 line; this module resolves the config and reads the environment the
 * Effect 3 way (through the current `ConfigProvider`).
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
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schema from "effect/Schema"
import * as Engine from "@lingo-obs/otlp/ConfigReport"
import * as Config from "./Config.js"
import * as ConfigSchema from "./ConfigSchema.js"
import * as ConfigSource from "./ConfigSource.js"
import { readVariables } from "../internal/environment.js"

/**
 * Where a value comes from: `"file"` (the explicit config, file or object), `"env:NAME"` (the
 * environment variable that set it; plain `"env"` if it cannot be told), or `"default"`.
 */
export type Source = Engine.Source

/** One field of the effective config. */
export type Entry = Engine.Entry

export interface Report extends Engine.Report {
  /** The effective config itself. */
  readonly config: Config.ObservabilityConfig
}

/** The config file's JSON Schema, generated once: the report walks its fields in its order. */
let document: ReturnType<typeof ConfigSchema.jsonSchema> | undefined
const jsonSchema = () => (document ??= ConfigSchema.jsonSchema())

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
    const variables = yield* readVariables
    const sourceOf = Engine.sources(ConfigSource.normalize(input), (name) => variables.get(name))
    const encoded = Schema.encodeSync(Config.ObservabilityConfig)(config)
    return { source, entries: Engine.entries(jsonSchema(), encoded, sourceOf), warnings, config }
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
export const format: (report: Engine.Report) => string = Engine.format

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
