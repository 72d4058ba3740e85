/**
 * Which config file a command reads: the one named on the command line, else the one
 * `OBSERVABILITY_CONFIG_FILE` names (as `ObservabilityLive` does), else none (environment and
 * defaults only).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ConfigSource } from "@lingo-obs/core"
import { callerDirectory } from "@lingo-obs/otlp/CommandLine"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

export type Located =
  | { readonly _tag: "File"; readonly path: string; readonly shown: string }
  | { readonly _tag: "None" }
  | { readonly _tag: "Missing"; readonly path: string }

/** The config file to read, resolved against the caller's directory; `Missing` when it does not exist. */
export const locate = (argument: string | undefined): Effect.Effect<Located> =>
  Effect.gen(function*() {
    const named = argument ?? Option.getOrUndefined(yield* ConfigSource.configFileFromEnv)
    if (named === undefined) return { _tag: "None" } as const
    const path = Path.resolve(callerDirectory(), named)
    return Fs.existsSync(path) ? { _tag: "File", path, shown: named } as const : { _tag: "Missing", path } as const
  })

/** How the report names where the config came from. */
export const describe = (located: Located): string =>
  located._tag === "File" ? located.shown : "the environment (no config file)"
