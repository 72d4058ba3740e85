/**
 * The `lingo-obs` command of the Effect 4 line: `config check`, `config schema` and `doctor` for
 * the Effect 4 config, and `dev`. The parsing, usage text and exit statuses are the engine's
 * (`@lingo-obs/otlp/CommandLine`), the same as the Effect 3 line's command.
 *
 * @example
 * ```ts
 * process.exitCode = await main(["doctor", "observability.json"])
 * ```
 */
import * as CommandLine from "@lingo-obs/otlp/CommandLine"
import * as ConfigCheck from "./ConfigCheck.js"
import * as ConfigSchema from "./ConfigSchema.js"
import * as Dev from "./Dev.js"
import * as Doctor from "./Doctor.js"

/** Runs the command `args` names; resolves with the exit status. */
export const main = (args: ReadonlyArray<string>, output: CommandLine.Output = CommandLine.processOutput): Promise<number> =>
  CommandLine.run(
    args,
    {
      configCheck: (file, out) => ConfigCheck.run(file, out),
      configSchema: ConfigSchema.run,
      doctor: (file, out) => Doctor.run(file, out),
      dev: (rest, out) => Dev.run(rest, out)
    },
    output
  )
