/**
 * Decoding a config on the Effect 4 line: explicit values, then defaults, with one `ConfigError`
 * naming each bad field's dotted path and what was expected there. Values are never part of a
 * message (Effect 4's Schema reports no input unless asked), so a secret in the wrong field is not
 * printed.
 *
 * The `OTEL_*` environment comes in through `EnvironmentOverlay` (the engine's parsers and merge
 * rules). Config files are read by the engine's `ConfigFile`, which the Effect 3 line shares: YAML
 * or JSON within its bounds (size, nesting, aliases), the `observability:` section and
 * `snake_case` names (`normalize`).
 *
 * @example
 * ```ts
 * const config = yield* ConfigSource.decode({ tracing: { samplingRatio: 0.1 } })
 * ```
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as ConfigFile from "@lingo-obs/otlp/ConfigFile"
import { expectationWithoutValue, prototypeKeys, valueAt } from "@lingo-obs/otlp/ConfigInput"
import * as ConfigRanges from "@lingo-obs/otlp/ConfigRanges"
import * as Diagnostics from "../Diagnostics.js"
import * as Config from "./Config.js"

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

/** The Effect 3 line's wording for a field the Schema does not know, so both lines read alike. */
export const UNKNOWN_FIELD = "unknown field (check its spelling; fields are lowerCamelCase or snake_case)"

/** Problems listed at most in one `ConfigError`; the rest are counted. */
const MAX_ISSUES = 20

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1({
  leafHook: (issue) => (issue._tag === "UnexpectedKey" ? UNKNOWN_FIELD : SchemaIssue.defaultLeafHook(issue))
})

const toIssues = (issue: SchemaIssue.Issue, input: unknown): ReadonlyArray<ConfigIssue> =>
  formatIssues(issue).issues.map((problem) => {
    const path = (problem.path ?? []).map((key) => (typeof key === "object" ? key.key : key))
    // The Effect 3 line's words for each expectation, with the value's kind but never the value.
    return { path: path.map(String).join("."), message: expectationWithoutValue(problem.message, valueAt(input, path)) }
  })

const capped = (issues: ReadonlyArray<ConfigIssue>): ReadonlyArray<ConfigIssue> =>
  issues.length <= MAX_ISSUES
    ? issues
    : [...issues.slice(0, MAX_ISSUES), { path: "", message: `and ${issues.length - MAX_ISSUES} more problems` }]

const decodeConfig = Schema.decodeUnknownEffect(Config.ObservabilityConfig)

/**
 * Decodes a config without looking at the environment: explicit values, then defaults. The input
 * may be a file's content (`observability:` section, `snake_case` names: see `normalize`).
 * Fails with a `ConfigError` naming each malformed or unknown field; a sampling ratio outside
 * [0, 1] or a batch above its queue is adjusted with one warning instead.
 */
export const decode = (input: unknown, source = "config"): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Effect.suspend(() => {
    // Before anything recursive looks at it: a value nested 10,000 deep is a config error, not a stack overflow.
    const tooDeep = ConfigFile.deeperThan(input, MAX_NESTING)
    if (tooDeep !== undefined) {
      return Effect.fail(new ConfigError({ source, issues: [{ path: tooDeep, message: `nested more than ${MAX_NESTING} levels deep` }] }))
    }
    const normalized = normalize(input)
    return Effect.result(decodeConfig(normalized, { onExcessProperty: "error", errors: "all" })).pipe(
      Effect.flatMap((result) => {
        // A `__proto__` header or attribute is named once, in the Effect 3 line's words (not the header rule's too).
        const prototypes = prototypeKeys(normalized)
        const named = new Set(prototypes.map((issue) => issue.path))
        const decoding = result._tag === "Failure" ? toIssues(result.failure.issue, normalized) : []
        const issues = [...decoding.filter((issue) => !named.has(issue.path)), ...prototypes]
        return result._tag === "Success" && issues.length === 0
          ? clampRanges(result.success)
          : Effect.fail(new ConfigError({ source, issues: capped(issues) }))
      })
    )
  })

/** Ranges adjusted rather than refused (the engine's `ConfigRanges`), one warning naming each field. */
const clampRanges = (config: Config.ObservabilityConfig): Effect.Effect<Config.ObservabilityConfig> =>
  Effect.suspend(() => {
    const clamped = ConfigRanges.clamp(config)
    return Effect.forEach(
      clamped.adjustments,
      ({ field, message }) => Effect.logWarning(message).pipe(Diagnostics.annotate({ field })),
      { discard: true }
    ).pipe(Effect.as(clamped.config))
  })

/**
 * A file's content in the shape of the Schema input: the `observability:` section when there is
 * one, `snake_case` names of the known sections as `lowerCamelCase` (map keys such as header
 * names kept as they are).
 */
export const normalize: (input: unknown) => unknown = ConfigFile.normalize

/** The largest config file read: 1 MiB (the engine's bound, shared with the Effect 3 line). */
export const MAX_FILE_BYTES = ConfigFile.MAX_FILE_BYTES
/** How deep a config may nest (maps and lists). */
export const MAX_NESTING = ConfigFile.MAX_NESTING
/** YAML aliases expanded at most, so a "billion laughs" document cannot exhaust memory. */
export const MAX_ALIASES = ConfigFile.MAX_ALIASES

/**
 * A parsed file as an Effect: its problem as a `ConfigError` naming `source` at the root, each of
 * the YAML library's warnings (an unknown tag such as `!secret`) logged through the program's logger.
 */
const fromParsed = (result: ConfigFile.ParseResult, source: string): Effect.Effect<unknown, ConfigError> =>
  result._tag === "Invalid"
    ? Effect.fail(new ConfigError({ source, issues: [{ path: "", message: result.message }] }))
    : Effect.forEach(
      result.warnings,
      (warning) => Effect.logWarning(`${source}: ${warning}`).pipe(Diagnostics.annotate({ source })),
      { discard: true }
    ).pipe(Effect.as(result.value))

/**
 * Parses the text of a YAML or JSON config file within the engine's bounds; a syntax error names
 * the line and column and what is wrong, never the text of the line (it may hold a header value).
 *
 * @example
 * ```ts
 * const content = yield* ConfigSource.parseText("tracing:\n  sampling_ratio: 0.1\n", "inline")
 * ```
 */
export const parseText = (text: string, source = "inline text"): Effect.Effect<unknown, ConfigError> =>
  Effect.suspend(() => fromParsed(ConfigFile.parseText(text), source))

/** Reads and parses a YAML or JSON config file, refusing one larger than `MAX_FILE_BYTES` before reading it. */
export const readFile = (path: string): Effect.Effect<unknown, ConfigError> =>
  Effect.promise(() => ConfigFile.readFile(path)).pipe(Effect.flatMap((result) => fromParsed(result, path)))

/**
 * The engine's `OTEL_*` parsers and merge rules (`Environment.overlay`): the explicit input with
 * the environment's values where it is silent, and one warning per variable that could not be
 * used (naming the variable, never a secret value).
 */
export interface EnvironmentOverlay {
  readonly overlay: (
    explicit: unknown,
    environment: Readonly<Record<string, string | undefined>>
  ) => { readonly input: unknown; readonly warnings: ReadonlyArray<string> }
}

/**
 * The effective config: explicit values first (normalized, as a file's content), then what
 * `environment.overlay` takes from the environment, then the defaults. Each warning of the overlay is logged once through the
 * program's logger; a malformed explicit config fails with a `ConfigError`.
 */
export const resolve = (
  input: unknown,
  options: {
    readonly environment: EnvironmentOverlay
    readonly variables: Readonly<Record<string, string | undefined>>
    readonly source?: string | undefined
  }
): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Effect.gen(function*() {
    const { input: merged, warnings } = options.environment.overlay(normalize(input), options.variables)
    for (const warning of warnings) yield* Effect.logWarning(warning).pipe(Diagnostics.annotate())
    return yield* decode(merged, options.source)
  })
