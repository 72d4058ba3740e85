/**
 * The `lingo-obs` command line: parses the arguments and runs one command.
 *
 * @example
 * ```ts
 * import { Cli } from "@lingo-obs/cli"
 *
 * process.exitCode = await Cli.main(["doctor", "observability.yaml"])
 * ```
 */
import { parseArgs } from "node:util"
import { ConfigSource } from "@lingo-obs/core"
import * as Effect from "effect/Effect"
import * as ConfigCheck from "./ConfigCheck.js"
import * as ConfigSchema from "./ConfigSchema.js"
import * as Dev from "./Dev.js"
import * as Doctor from "./Doctor.js"
import * as ConfigFile from "./internal/configFile.js"
import { type Output, processOutput } from "./internal/output.js"

export const USAGE = `usage: lingo-obs <command>

  config check [file]          validate a config and print each field's effective value and source
                               (file > OTEL_* environment > default; file defaults to $OBSERVABILITY_CONFIG_FILE)
  config schema [--out file]   print (or write) the config file's JSON Schema
  doctor [file]                check each enabled signal's collector: DNS, TCP, TLS, one test export
  dev [...]                    local telemetry viewer (needs @lingo-obs/dev)

Exit status: 0 success, 1 a check failed, 2 usage error.`

const usageError = (output: Output, message: string): number => {
  output.stderr(`lingo-obs: ${message}\n\n${USAGE}`)
  return 2
}

/** At most one positional argument (the config file) and no options. */
const fileArgument = (args: ReadonlyArray<string>): { readonly file: string | undefined } | string => {
  const { positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true })
  return positionals.length > 1 ? `expected at most one config file, got ${positionals.length}` : { file: positionals[0] }
}

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
export const main = async (args: ReadonlyArray<string>, output: Output = processOutput): Promise<number> => {
  const [command, ...rest] = args
  try {
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      output.stdout(USAGE)
      return command === undefined ? 2 : 0
    }
    if (command === "config") {
      const [sub, ...subArgs] = rest
      if (sub === "check") {
        const parsed = fileArgument(subArgs)
        return typeof parsed === "string" ? usageError(output, parsed) : await ConfigCheck.run(parsed.file, output)
      }
      if (sub === "schema") {
        const { values, positionals } = parseArgs({
          args: subArgs,
          options: { out: { type: "string", short: "o" } },
          allowPositionals: true,
          strict: true
        })
        if (positionals.length > 0) return usageError(output, `config schema takes no file argument (use --out)`)
        return ConfigSchema.run(values.out, output)
      }
      return usageError(output, `unknown config command: ${sub ?? "(none)"}`)
    }
    if (command === "doctor") {
      const parsed = fileArgument(rest)
      return typeof parsed === "string" ? usageError(output, parsed) : await doctor(parsed.file, output)
    }
    if (command === "dev") return await Dev.run(rest, output)
    return usageError(output, `unknown command: ${command}`)
  } catch (error) {
    // parseArgs rejects unknown options with a TypeError carrying a code.
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      return usageError(output, error.message)
    }
    throw error
  }
}
