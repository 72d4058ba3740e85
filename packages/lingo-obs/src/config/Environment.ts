/**
 * Where `ObservabilityLive` finds its config besides code: the YAML or JSON file named by
 * `OBSERVABILITY_CONFIG_FILE` (watched for edits with `OBSERVABILITY_CONFIG_WATCH=true`), and the
 * `OTEL_*` variables through the engine's parsers and merge rules (`ConfigSource.EnvironmentOverlay`).
 */
import * as ConfigMerge from "@lingo-obs/otlp/ConfigMerge"
import * as EngineEnvironment from "@lingo-obs/otlp/Environment"
import * as Effect from "effect/Effect"
import type * as Config from "./Config.js"
import * as ConfigSource from "./ConfigSource.js"

/** `OBSERVABILITY_CONFIG_FILE`: the path of a YAML or JSON config file for `ObservabilityLive`. */
export const CONFIG_FILE_VARIABLE = "OBSERVABILITY_CONFIG_FILE"

/** The config file named by `OBSERVABILITY_CONFIG_FILE`, if any. */
export const configFile = (variables: Readonly<Record<string, string | undefined>>): string | undefined => {
  const path = variables[CONFIG_FILE_VARIABLE]
  return path === undefined || path.trim() === "" ? undefined : path
}

/** `OBSERVABILITY_CONFIG_WATCH`: `true` to apply edits of the config file while the program runs. */
export const WATCH_VARIABLE = "OBSERVABILITY_CONFIG_WATCH"

/**
 * Whether `OBSERVABILITY_CONFIG_WATCH` asks for the file to be watched: Effect's words for true
 * (`true`, `yes`, `on`, `1`), as the Effect 3 line reads it; anything else is no.
 */
export const watchRequested = (variables: Readonly<Record<string, string | undefined>>): boolean =>
  ["true", "yes", "on", "1"].includes(variables[WATCH_VARIABLE] ?? "")

/**
 * The file's config (YAML or JSON, read within the engine's bounds, normalized) with `explicit`
 * over it field by field; a file that cannot be read or parsed is a `ConfigError` naming it.
 */
export const underFile = (explicit: unknown, file: string): Effect.Effect<unknown, ConfigSource.ConfigError> =>
  ConfigSource.readFile(file).pipe(
    Effect.map((content) => ConfigMerge.mergeExplicit(ConfigSource.normalize(content), ConfigSource.normalize(explicit ?? {})))
  )

/**
 * A program's config as `ObservabilityLive` loads it: the file (`file`, else the one
 * `OBSERVABILITY_CONFIG_FILE` names) under the explicit `config`, then the `OTEL_*` variables where
 * both are silent, then the defaults.
 *
 * @example
 * ```ts
 * const config = yield* Environment.load({ file: "observability.yaml", variables: process.env })
 * ```
 */
export const load = (options: {
  readonly config?: unknown
  readonly file?: string | undefined
  readonly variables?: Readonly<Record<string, string | undefined>> | undefined
} = {}): Effect.Effect<Config.ObservabilityConfig, ConfigSource.ConfigError> =>
  Effect.gen(function*() {
    const variables = options.variables ?? process.env
    const file = options.file ?? configFile(variables)
    const explicit = file === undefined ? options.config : yield* underFile(options.config, file)
    return yield* ConfigSource.resolve(explicit, { environment: overlay, variables, source: file ?? "config" })
  })

/**
 * The engine's `OTEL_*` parsers and merge rules: explicit values win field by field, an endpoint
 * URL's scheme decides `insecure`, OTLP/HTTP appends the signal path to the general endpoint; one
 * warning per variable that could not be used.
 */
export const overlay: ConfigSource.EnvironmentOverlay = {
  overlay: (explicit, variables) => {
    const { input, warnings } = EngineEnvironment.read((name) => variables[name])
    return {
      input: ConfigMerge.overlay(ConfigMerge.applyEndpointSchemes(explicit ?? {}), input),
      warnings: warnings.map((warning) => warning.message)
    }
  }
}
