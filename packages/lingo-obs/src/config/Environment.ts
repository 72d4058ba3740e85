/**
 * Where `ObservabilityLive` finds its config besides code: the file named by
 * `OBSERVABILITY_CONFIG_FILE`, and the `OTEL_*` variables through the engine's parsers and merge
 * rules (`ConfigSource.EnvironmentOverlay`).
 */
import * as Fs from "node:fs/promises"
import * as ConfigMerge from "@lingo-obs/otlp/ConfigMerge"
import * as EngineEnvironment from "@lingo-obs/otlp/Environment"
import * as Effect from "effect/Effect"
import { ConfigError, type EnvironmentOverlay } from "./ConfigSource.js"

/** `OBSERVABILITY_CONFIG_FILE`: the path of a JSON config file for `ObservabilityLive`. */
export const CONFIG_FILE_VARIABLE = "OBSERVABILITY_CONFIG_FILE"

/** The config file named by `OBSERVABILITY_CONFIG_FILE`, if any. */
export const configFile = (variables: Readonly<Record<string, string | undefined>>): string | undefined => {
  const path = variables[CONFIG_FILE_VARIABLE]
  return path === undefined || path.trim() === "" ? undefined : path
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The file's config with `explicit` over it; a file that cannot be read or parsed is a `ConfigError` naming it. */
export const underFile = (explicit: unknown, file: string): Effect.Effect<unknown, ConfigError> =>
  Effect.gen(function*() {
    const text = yield* Effect.tryPromise({
      try: () => Fs.readFile(file, "utf8"),
      catch: (cause) =>
        new ConfigError({ source: file, issues: [{ path: "", message: `cannot read the file (${(cause as NodeJS.ErrnoException).code ?? String(cause)})` }] })
    })
    const parsed = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new ConfigError({ source: file, issues: [{ path: "", message: "expected JSON" }] })
    })
    const section = isPlainObject(parsed) && isPlainObject(parsed["observability"]) ? parsed["observability"] : parsed
    return ConfigMerge.mergeExplicit(section, explicit ?? {})
  })

/**
 * The engine's `OTEL_*` parsers and merge rules: explicit values win field by field, an endpoint
 * URL's scheme decides `insecure`, OTLP/HTTP appends the signal path to the general endpoint; one
 * warning per variable that could not be used.
 */
export const overlay: EnvironmentOverlay = {
  overlay: (explicit, variables) => {
    const { input, warnings } = EngineEnvironment.read((name) => variables[name])
    return {
      input: ConfigMerge.overlay(ConfigMerge.applyEndpointSchemes(explicit ?? {}), input),
      warnings: warnings.map((warning) => warning.message)
    }
  }
}
