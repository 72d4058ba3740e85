/**
 * `lingo-obs doctor [file]`: for each enabled signal of the config a service would start with,
 * DNS, TCP, TLS and one test export (a span, a metric point, a log record) to its collector, with
 * a remedy under each failure. The checks are the engine's (`@lingo-obs/otlp/Doctor`, the same as
 * the Effect 3 line's); this module hands them the Effect 4 line's config and resource.
 *
 * Exit status: 0 every exporting signal got its test item through, 1 otherwise or on a bad config.
 *
 * @example
 * ```sh
 * npx lingo-obs doctor observability.json
 * ```
 */
import * as EngineDoctor from "@lingo-obs/otlp/Doctor"
import * as Serializers from "@opentelemetry/otlp-transformer"
import * as Duration from "effect/Duration"
import type * as Config from "../config/Config.js"
import * as ServiceResource from "../ServiceResource.js"
import * as ConfigFile from "./internal/configFile.js"
import type { Output } from "@lingo-obs/otlp/CommandLine"

const section = (config: Config.TracingConfig | Config.MetricsConfig | Config.LogsConfig): EngineDoctor.SignalSection => ({
  ...config,
  exportTimeoutMillis: Duration.toMillis(config.exportTimeout)
})

/** Checks every enabled signal of `config` against its collector; never throws for what it finds. */
export const check = (
  config: Config.ObservabilityConfig,
  options: { readonly source?: string; readonly timeoutMillis?: number } = {}
): Promise<EngineDoctor.Result> =>
  EngineDoctor.run(
    { tracing: section(config.tracing), metrics: section(config.metrics), logs: section(config.logs) },
    { ...options, resource: ServiceResource.make(config), serializers: Serializers }
  )

export const run = async (
  file: string | undefined,
  output: Output,
  variables: Readonly<Record<string, string | undefined>> = process.env
): Promise<number> => {
  const loaded = await ConfigFile.loadOrReport(file, output, variables)
  if (loaded === undefined) return 1
  const result = await check(loaded.config, { source: loaded.source })
  output.stdout(EngineDoctor.format(result))
  return result.ok ? 0 : 1
}
