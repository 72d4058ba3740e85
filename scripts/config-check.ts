/**
 * Validates a config file (YAML or JSON, bare or under `observability:`) and prints the effective
 * config: each field's value and where it comes from (file > OTEL_* environment > default), read
 * against this process's environment, with secret header values redacted.
 *
 *   pnpm config:check path/to/config.yaml
 *   OTEL_EXPORTER_OTLP_ENDPOINT=https://collector:4317 pnpm config:check deploy/app.yaml
 *
 * Exit status: 0 for a valid config, 1 for an invalid or unreadable one, 2 for a usage error.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { ConfigReport, ConfigSource } from "../packages/core/src/index.js"

const USAGE = "usage: pnpm config:check <config file>"

const main = async (args: ReadonlyArray<string>): Promise<number> => {
  const [file, ...extra] = args
  if (file === undefined || file === "--help" || file === "-h" || extra.length > 0) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  // `pnpm config:check` runs in the workspace root; a relative path is meant from where pnpm was called.
  const base = process.env["npm_lifecycle_event"] === "config:check" ? process.env["INIT_CWD"] ?? process.cwd() : process.cwd()
  const path = Path.resolve(base, file)
  if (!Fs.existsSync(path)) {
    process.stderr.write(`config:check: no such file: ${path}\n`)
    return 1
  }
  const exit = await Effect.runPromiseExit(
    ConfigSource.readFile(path).pipe(Effect.flatMap((content) => ConfigReport.make(content, file)))
  )
  if (Exit.isSuccess(exit)) {
    process.stdout.write(`${ConfigReport.format(exit.value)}\n`)
    return 0
  }
  const failure = Cause.failureOption(exit.cause)
  process.stderr.write(`${Option.isSome(failure) ? failure.value.message : Cause.pretty(exit.cause)}\n`)
  return 1
}

process.exitCode = await main(process.argv.slice(2))
