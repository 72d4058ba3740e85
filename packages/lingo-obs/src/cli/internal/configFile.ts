/**
 * The config a command checks, read the way `ObservabilityLive` reads it: the file named on the
 * command line, else the one `OBSERVABILITY_CONFIG_FILE` names, else none (environment and
 * defaults only); then the `OTEL_*` environment, then the defaults. What resolving warns about is
 * collected for the report instead of logged.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { callerDirectory, type Output } from "@lingo-obs/otlp/CommandLine"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Schema from "effect/Schema"
import * as Config from "../../config/Config.js"
import * as ConfigSource from "../../config/ConfigSource.js"
import * as Environment from "../../config/Environment.js"

/** The config a command runs on: what was given explicitly, the effective config, and its warnings. */
export interface Loaded {
  /** How the report names where the config came from. */
  readonly source: string
  /** The explicit config (the file's `observability` section, or the file itself); `{}` without a file. */
  readonly explicit: unknown
  readonly config: Config.ObservabilityConfig
  /** The effective config as a file writes it. */
  readonly encoded: unknown
  readonly warnings: ReadonlyArray<string>
}

const missing = (path: string) => new ConfigSource.ConfigError({ source: path, issues: [{ path: "", message: "no such file" }] })

/** Runs `self` with its log lines of level warning and above collected into `lines`, and not printed. */
const warningsInto = (lines: Array<string>) =>
  Effect.provide(Logger.layer([Logger.make(({ logLevel, message }) => {
    if (logLevel === "Warn" || logLevel === "Error" || logLevel === "Fatal") {
      lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
    }
  })]))

/** Reads and resolves the config of `argument` (or `OBSERVABILITY_CONFIG_FILE`) with `variables`. */
export const load = (
  argument: string | undefined,
  variables: Readonly<Record<string, string | undefined>> = process.env
): Effect.Effect<Loaded, ConfigSource.ConfigError> =>
  Effect.gen(function*() {
    const named = argument ?? Environment.configFile(variables)
    let file: string | undefined
    if (named !== undefined) {
      file = Path.resolve(callerDirectory(), named)
      if (!Fs.existsSync(file)) return yield* Effect.fail(missing(file))
    }
    const explicit = file === undefined ? {} : yield* Environment.underFile({}, file)
    const source = named ?? "the environment (no config file)"
    const warnings: Array<string> = []
    const config = yield* ConfigSource.resolve(explicit, { environment: Environment.overlay, variables, source }).pipe(
      warningsInto(warnings)
    )
    return { source, explicit, config, encoded: Schema.encodeSync(Config.ObservabilityConfig)(config), warnings }
  })

/** `load` for a command: the loaded config, or `undefined` once the error is on stderr (exit 1). */
export const loadOrReport = async (
  argument: string | undefined,
  output: Output,
  variables: Readonly<Record<string, string | undefined>>
): Promise<Loaded | undefined> => {
  const loaded = await Effect.runPromise(Effect.result(load(argument, variables)))
  if (loaded._tag === "Success") return loaded.success
  output.stderr(loaded.failure.message)
  return undefined
}
