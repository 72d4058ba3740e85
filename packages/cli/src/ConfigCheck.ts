/**
 * `lingo-obs config check [file]`: validates the config a service would start with — the file
 * (or `OBSERVABILITY_CONFIG_FILE`), the `OTEL_*` environment and the defaults, as
 * `ObservabilityLive` reads them — and prints every field's effective value and its source, secret
 * header values redacted.
 *
 * Exit status: 0 valid, 1 invalid or unreadable.
 *
 * @example
 * ```sh
 * OTEL_EXPORTER_OTLP_ENDPOINT=https://collector:4317 npx lingo-obs config check deploy/observability.yaml
 * ```
 */
import { ConfigReport, ConfigSource } from "@lingo-obs/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as ConfigFile from "./internal/configFile.js"
import type { Output } from "./internal/output.js"

export const run = async (file: string | undefined, output: Output): Promise<number> => {
  const exit = await Effect.runPromiseExit(Effect.gen(function*() {
    const located = yield* ConfigFile.locate(file)
    if (located._tag === "Missing") {
      return yield* new ConfigSource.ConfigError({ source: located.path, issues: [{ path: "", message: "no such file" }] })
    }
    const content = located._tag === "File" ? yield* ConfigSource.readFile(located.path) : {}
    return yield* ConfigReport.make(content, ConfigFile.describe(located))
  }))
  if (Exit.isSuccess(exit)) {
    output.stdout(ConfigReport.format(exit.value))
    return 0
  }
  const failure = Cause.failureOption(exit.cause)
  output.stderr(Option.isSome(failure) ? failure.value.message : Cause.pretty(exit.cause))
  return 1
}
