/**
 * The `lingo-obs` command line of both Effect lines: one usage text, one argument parser, one set
 * of exit statuses (0 success, 1 a check failed, 2 usage error). Each line's CLI supplies the
 * commands, written against its own config and Effect.
 *
 * @example
 * ```ts
 * process.exitCode = await CommandLine.run(process.argv.slice(2), { configCheck, configSchema, doctor, dev })
 * ```
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { parseArgs } from "node:util"

/** Where a command writes; tests capture it, the `lingo-obs` binary writes to the process's streams. */
export interface Output {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
}

export const processOutput: Output = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`)
}

/** The commands of a line's CLI; each resolves with its exit status. */
export interface Commands {
  /** `config check [file]`: the effective config, field by field, with each value's source. */
  readonly configCheck: (file: string | undefined, output: Output) => Promise<number>
  /** `config schema [--out file]`: the config file's JSON Schema. */
  readonly configSchema: (out: string | undefined, output: Output) => number | Promise<number>
  /** `doctor [file]`: each enabled signal's collector checked. */
  readonly doctor: (file: string | undefined, output: Output) => Promise<number>
  /** `dev [...]`: the local telemetry viewer. */
  readonly dev: (args: ReadonlyArray<string>, output: Output) => Promise<number>
}

export const USAGE = `usage: lingo-obs <command>

  config check [file]          validate a config and print each field's effective value and source
                               (file > OTEL_* environment > default; file defaults to $OBSERVABILITY_CONFIG_FILE)
  config schema [--out file]   print (or write) the config file's JSON Schema
  doctor [file]                check each enabled signal's collector: DNS, TCP, TLS, one test export
  dev [...]                    local telemetry viewer (needs @lingo-obs/dev)

Exit status: 0 success, 1 a check failed, 2 usage error.`

/** The directory a relative path on the command line is meant from: the caller's, also under `pnpm <script>`. */
export const callerDirectory = (): string =>
  process.env["npm_lifecycle_event"] !== undefined && process.env["INIT_CWD"] !== undefined
    ? process.env["INIT_CWD"]
    : process.cwd()

/**
 * What `config schema [--out file]` does with the document: print it, or write it to `out`
 * (creating its directory) and say so on stderr, so stdout stays clean for a pipe.
 */
export const printOrWrite = (text: string, out: string | undefined, output: Output): number => {
  if (out === undefined) {
    output.stdout(text.trimEnd())
    return 0
  }
  const path = Path.resolve(out)
  Fs.mkdirSync(Path.dirname(path), { recursive: true })
  Fs.writeFileSync(path, text)
  output.stderr(`wrote ${out}`)
  return 0
}

const usageError = (output: Output, message: string): number => {
  output.stderr(`lingo-obs: ${message}\n\n${USAGE}`)
  return 2
}

/** At most one positional argument (the config file) and no options. */
const fileArgument = (args: ReadonlyArray<string>): { readonly file: string | undefined } | string => {
  const { positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true })
  return positionals.length > 1 ? `expected at most one config file, got ${positionals.length}` : { file: positionals[0] }
}

/** Runs the command `args` names; resolves with the exit status. */
export const run = async (args: ReadonlyArray<string>, commands: Commands, output: Output = processOutput): Promise<number> => {
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
        return typeof parsed === "string" ? usageError(output, parsed) : await commands.configCheck(parsed.file, output)
      }
      if (sub === "schema") {
        const { values, positionals } = parseArgs({
          args: subArgs,
          options: { out: { type: "string", short: "o" } },
          allowPositionals: true,
          strict: true
        })
        if (positionals.length > 0) return usageError(output, `config schema takes no file argument (use --out)`)
        return await commands.configSchema(values.out, output)
      }
      return usageError(output, `unknown config command: ${sub ?? "(none)"}`)
    }
    if (command === "doctor") {
      const parsed = fileArgument(rest)
      return typeof parsed === "string" ? usageError(output, parsed) : await commands.doctor(parsed.file, output)
    }
    if (command === "dev") return await commands.dev(rest, output)
    return usageError(output, `unknown command: ${command}`)
  } catch (error) {
    // parseArgs rejects unknown options with a TypeError carrying a code.
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      return usageError(output, error.message)
    }
    throw error
  }
}
