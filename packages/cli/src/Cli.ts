/**
 * The `lingo-obs` command line: parses the arguments and runs one command. The parsing, usage text
 * and exit statuses are the engine's (`@lingo-obs/otlp/CommandLine`, shared with the Effect 4
 * line's command); the commands are this line's.
 *
 * @example
 * ```ts
 * import { Cli } from "@lingo-obs/cli"
 *
 * process.exitCode = await Cli.main(["doctor", "observability.yaml"])
 * ```
 */
import { ConfigSource } from "@lingo-obs/core"
import * as CommandLine from "@lingo-obs/otlp/CommandLine"
import * as Effect from "effect/Effect"
import * as ConfigCheck from "./ConfigCheck.js"
import * as ConfigSchema from "./ConfigSchema.js"
import * as Dev from "./Dev.js"
import * as Doctor from "./Doctor.js"
import * as ConfigFile from "./internal/configFile.js"
import { type Output, processOutput } from "./internal/output.js"

export { USAGE } from "@lingo-obs/otlp/CommandLine"

const doctor = async (file: string | undefined, output: Output): Promise<number> => {
  const loaded = await Effect.runPromise(Effect.either(Effect.gen(function*() {
    const located = yield* ConfigFile.locate(file)
    if (located._tag === "Missing") {
      return yield* new ConfigSource.ConfigError({ source: located.path, issues: [{ path: "", message: "no such file" }] })
    }
    const config = yield* ConfigSource.load({ file: located._tag === "File" ? located.path : undefined })
    return { config, source: ConfigFile.describe(located) }
  })))
  if (loaded._tag === "Left") {
    output.stderr(loaded.left.message)
    return 1
  }
  const result = await Doctor.run(loaded.right.config, { source: loaded.right.source })
  output.stdout(Doctor.format(result))
  return result.ok ? 0 : 1
}

/** Runs the command `args` names; resolves with the exit status. */
export const main = (args: ReadonlyArray<string>, output: Output = processOutput): Promise<number> =>
  CommandLine.run(args, { configCheck: ConfigCheck.run, configSchema: ConfigSchema.run, doctor, dev: Dev.run }, output)
