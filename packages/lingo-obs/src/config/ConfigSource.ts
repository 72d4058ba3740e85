/**
 * Decoding a config on the Effect 4 line: explicit values, then defaults, with one `ConfigError`
 * naming each bad field's dotted path and what was expected there. Values are never part of a
 * message (Effect 4's Schema reports no input unless asked), so a secret in the wrong field is not
 * printed.
 *
 * The `OTEL_*` environment comes in through `EnvironmentOverlay`: the engine's parsers and merge
 * rules (`@lingo-obs/otlp`) plug in there when the engine is merged. So do the input rules that
 * need no Effect and are the engine's too: the `observability:` section and `snake_case` names
 * (`normalize`), endpoint URL schemes deciding `insecure`, and range clamping with its warnings.
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
import { expectationWithoutValue, valueAt } from "@lingo-obs/otlp/ConfigInput"
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
 * Decodes a config without looking at the environment: explicit values, then defaults.
 * Fails with a `ConfigError` naming each malformed or unknown field.
 */
export const decode = (input: unknown, source = "config"): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  decodeConfig(input, { onExcessProperty: "error", errors: "all" }).pipe(
    Effect.mapError((error) => new ConfigError({ source, issues: capped(toIssues(error.issue, input)) }))
  )

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
 * The effective config: explicit values first, then what `environment.overlay` takes from the
 * environment, then the defaults. Each warning of the overlay is logged once through the
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
    const { input: merged, warnings } = options.environment.overlay(input, options.variables)
    for (const warning of warnings) yield* Effect.logWarning(warning).pipe(Diagnostics.annotate())
    return yield* decode(merged, options.source)
  })
