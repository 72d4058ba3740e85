/**
 * Where `ObservabilityLive` finds its config besides code: the file named by
 * `OBSERVABILITY_CONFIG_FILE`, and the `OTEL_*` variables through the engine's parsers and merge
 * rules (`ConfigSource.EnvironmentOverlay`).
 */
import * as Fs from "node:fs/promises"
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

/** `over` deep-merged onto `under`: the explicit config wins field by field over the file. */
const merge = (under: unknown, over: unknown): unknown => {
  if (over === undefined) return under
  if (!isPlainObject(under) || !isPlainObject(over)) return over
  const result: Record<string, unknown> = { ...under }
  for (const [key, value] of Object.entries(over)) result[key] = merge(under[key], value)
  return result
}

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
    return merge(section, explicit)
  })

/** PENDING the engine's `OTEL_*` parsers (branch e20t): the explicit input as it is. */
export const overlay: EnvironmentOverlay = {
  overlay: (explicit) => ({ input: explicit ?? {}, warnings: [] })
}
