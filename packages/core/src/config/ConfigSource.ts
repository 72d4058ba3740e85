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
import * as EffectConfig from "effect/Config"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as Config from "./Config.js"
import * as Redact from "@lingo-obs/otlp/Redact"
import * as Diagnostics from "../Diagnostics.js"
import { readEnvironment } from "../internal/environment.js"
import { expectationWithoutValue, isPlainObject, prototypeKeys, setField, valueAt } from "@lingo-obs/otlp/ConfigInput"
import { sectionFields } from "../internal/schemaShape.js"
import * as ConfigFile from "@lingo-obs/otlp/ConfigFile"
import * as ConfigMerge from "@lingo-obs/otlp/ConfigMerge"
import * as ConfigRanges from "@lingo-obs/otlp/ConfigRanges"

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

/**
 * Turns what a file or a protobuf-JSON encoder produced into the shape of the Schema input: the
 * `observability:` section, `snake_case` keys renamed to `lowerCamelCase` (the engine's `ConfigFile`).
 */
export const normalize: (input: unknown) => unknown = ConfigFile.normalize

/** The largest config file read: 1 MiB (the engine's bound, shared by both Effect lines). */
export const MAX_FILE_BYTES = ConfigFile.MAX_FILE_BYTES
/** How deep a config may nest (maps and lists). */
export const MAX_NESTING = ConfigFile.MAX_NESTING
/** YAML aliases expanded at most, so a "billion laughs" document cannot exhaust memory. */
export const MAX_ALIASES = ConfigFile.MAX_ALIASES
/** Problems listed at most in one `ConfigError`; the rest are counted. */
const MAX_ISSUES = 20

/**
 * A parsed file as an Effect: its problem as a `ConfigError` naming `source`, each of the YAML
 * library's warnings (an unknown tag such as `!secret`) logged instead of printed to stderr.
 */
const fromParsed = (result: ConfigFile.ParseResult, source: string): Effect.Effect<unknown, ConfigError> =>
  result._tag === "Invalid"
    ? Effect.fail(new ConfigError({ source, issues: [{ path: "", message: result.message }] }))
    : Effect.forEach(result.warnings, (warning) => Effect.logWarning(`${source}: ${warning}`).pipe(Diagnostics.annotate({ source })), {
      discard: true
    }).pipe(Effect.as(result.value))

/**
 * Parses the text of a config file (YAML or JSON) within the engine's bounds; a syntax error names
 * the line and column and what is wrong, never the text of the line.
 */
export const parseText = (text: string, source = "inline text"): Effect.Effect<unknown, ConfigError> =>
  Effect.suspend(() => fromParsed(ConfigFile.parseText(text), source))

/** Reads and parses a YAML or JSON config file, refusing one larger than `MAX_FILE_BYTES` before reading it. */
export const readFile = (path: string): Effect.Effect<unknown, ConfigError> =>
  Effect.promise(() => ConfigFile.readFile(path)).pipe(Effect.flatMap((result) => fromParsed(result, path)))

/**
 * Decodes a config without looking at the environment: explicit values, then defaults.
 * Fails with a `ConfigError` naming each malformed field.
 */
export const decode = (input: unknown, source = "config"): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Effect.suspend(() => {
    // Before anything recursive looks at it: a value nested 10,000 deep is a config error, not a stack overflow.
    const tooDeep = ConfigFile.deeperThan(input, MAX_NESTING)
    if (tooDeep !== undefined) {
      return Effect.fail(
        new ConfigError({ source, issues: [{ path: tooDeep, message: `nested more than ${MAX_NESTING} levels deep` }] })
      )
    }
    const { known, unknown } = splitUnknownFields(ConfigMerge.applyEndpointSchemes(normalize(input)))
    const secrets = Redact.secretsIn(input)
    return Schema.decodeUnknown(Config.ObservabilityConfig, { onExcessProperty: "error", errors: "all" })(known).pipe(
      Effect.either,
      Effect.flatMap((result) => {
        const issues = [...(Either.isLeft(result) ? toIssues(result.left, known, secrets) : []), ...unknown, ...prototypeKeys(known)]
        return Either.isRight(result) && issues.length === 0
          ? Effect.succeed(result.right)
          : Effect.fail(new ConfigError({ source, issues: capped(issues) }))
      }),
      Effect.flatMap(clampRanges)
    )
  })

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
    const explicit = ConfigMerge.applyEndpointSchemes(normalize(input))
    const environment = yield* readEnvironment
    return yield* decode(ConfigMerge.overlay(explicit, environment), source)
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
    const merged = ConfigMerge.mergeExplicit(fromFile, normalize(options.config ?? {}))
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

// The merge rules (explicit over environment, endpoint schemes, signal paths) are the engine's:
// `ConfigMerge`, which the Effect 4 line shares.

// ---------------------------------------------------------------------------------------------
// Ranges that are adjusted, not rejected
// ---------------------------------------------------------------------------------------------

const clampRanges = (config: Config.ObservabilityConfig): Effect.Effect<Config.ObservabilityConfig> =>
  Effect.suspend(() => {
    const clamped = ConfigRanges.clamp(config)
    return Effect.forEach(
      clamped.adjustments,
      ({ field, message }) => Effect.logWarning(message).pipe(Diagnostics.annotate({ field })),
      { discard: true }
    ).pipe(Effect.as(clamped.config))
  })

// ---------------------------------------------------------------------------------------------
// Error formatting
// ---------------------------------------------------------------------------------------------

const UNKNOWN_FIELD = "unknown field (check its spelling; fields are lowerCamelCase or snake_case)"

/**
 * The decoder's problems as config issues, safe to print: each names what was expected and the
 * TYPE of what was found, never the value (a section written as a string, a token on the wrong
 * line, is no less secret for being misplaced), and every message is still scrubbed of the
 * input's secrets.
 */
const toIssues = (
  error: ParseResult.ParseError,
  input: unknown,
  secrets: ReadonlyArray<string>
): ReadonlyArray<ConfigIssue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const message = issue._tag === "Unexpected" ? UNKNOWN_FIELD : expectationWithoutValue(issue.message, valueAt(input, issue.path))
    return { path: issue.path.map(String).join("."), message: Redact.scrub(message, secrets) }
  })

const capped = (issues: ReadonlyArray<ConfigIssue>): ReadonlyArray<ConfigIssue> =>
  issues.length <= MAX_ISSUES
    ? issues
    : [...issues.slice(0, MAX_ISSUES), { path: "", message: `and ${issues.length - MAX_ISSUES} more problems` }]

/** Field names of each section of the Schema, by dotted path. */
let fieldsBySection: ReadonlyMap<string, ReadonlyMap<string, AST.AST>> | undefined

/**
 * The input without the fields the Schema does not know, and one issue per such field. Done here,
 * in one pass, because the decoder's own excess-property check grows quadratically with their number.
 */
const splitUnknownFields = (input: unknown): { readonly known: unknown; readonly unknown: ReadonlyArray<ConfigIssue> } => {
  fieldsBySection ??= sectionFields(AST.encodedAST(Config.ObservabilityConfig.ast))
  const unknown: Array<ConfigIssue> = []
  const visit = (value: unknown, path: string): unknown => {
    const fields = fieldsBySection!.get(path)
    if (fields === undefined || !isPlainObject(value)) return value
    const result: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      const fieldPath = path === "" ? key : `${path}.${key}`
      if (!fields.has(key)) unknown.push({ path: fieldPath, message: UNKNOWN_FIELD })
      else setField(result, key, visit(value[key], fieldPath))
    }
    return result
  }
  return { known: visit(input, ""), unknown }
}
