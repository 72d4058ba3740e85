/**
 * `lingo-obs config check [file]`: validates the config a service would start with — the file
 * (or `OBSERVABILITY_CONFIG_FILE`), the `OTEL_*` environment and the defaults, as
 * `ObservabilityLive` reads them — and prints every field's effective value and its source, secret
 * header values redacted. The same report as the Effect 3 line's (`@lingo-obs/otlp/ConfigReport`).
 *
 * Exit status: 0 valid, 1 invalid or unreadable.
 *
 * @example
 * ```sh
 * OTEL_EXPORTER_OTLP_ENDPOINT=https://collector:4317 npx lingo-obs config check observability.json
 * ```
 */
import * as ConfigReport from "@lingo-obs/otlp/ConfigReport"
import * as ConfigFile from "./internal/configFile.js"
import * as JsonSchema from "./internal/jsonSchema.js"
import type { Output } from "@lingo-obs/otlp/CommandLine"

export const run = async (
  file: string | undefined,
  output: Output,
  variables: Readonly<Record<string, string | undefined>> = process.env
): Promise<number> => {
  const loaded = await ConfigFile.loadOrReport(file, output, variables)
  if (loaded === undefined) return 1
  const { source, explicit, encoded, warnings } = loaded
  const sourceOf = ConfigReport.sources(explicit, (name) => variables[name])
  output.stdout(ConfigReport.format({ source, entries: ConfigReport.entries(JsonSchema.document(), encoded, sourceOf), warnings }))
  return 0
}
