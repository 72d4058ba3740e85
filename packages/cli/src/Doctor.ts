/**
 * `lingo-obs doctor`: for each enabled signal, the path a service's exports take — name
 * resolution, TCP, TLS — and then one real export request (a test span, metric point or log
 * record) through the toolkit's own transport, with the collector's answer. Each failure comes with
 * its remedy. Meant for a deploy pipeline or a one-off job, run with the service's config and
 * environment. The checks are the engine's (`@lingo-obs/otlp/Doctor`, shared with the Effect 4
 * line); this module hands them the Effect 3 line's config and resource.
 *
 * @example
 * ```ts
 * import { Doctor } from "@lingo-obs/cli"
 *
 * const result = await Doctor.run(config, { source: "observability.yaml" })
 * console.log(Doctor.format(result))
 * process.exitCode = result.ok ? 0 : 1
 * ```
 */
import { type Config, ServiceResource } from "@lingo-obs/core"
import * as EngineDoctor from "@lingo-obs/otlp/Doctor"
import * as Serializers from "@opentelemetry/otlp-transformer"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

export { format, type Result, type SignalResult, type Status, type Step } from "@lingo-obs/otlp/Doctor"

export interface Options {
  /** What the config came from, for the report. */
  readonly source?: string
  /** Bound of each network step (the export uses the signal's `exportTimeout`). Default 3 s. */
  readonly timeoutMillis?: number
}

const section = (config: Config.TracingConfig | Config.MetricsConfig | Config.LogsConfig): EngineDoctor.SignalSection => ({
  ...config,
  exportTimeoutMillis: Duration.toMillis(config.exportTimeout)
})

/**
 * Checks every enabled signal of `config` against its collector; never throws for what it
 * finds, only reports it.
 */
export const run = async (config: Config.ObservabilityConfig, options: Options = {}): Promise<EngineDoctor.Result> =>
  EngineDoctor.run(
    { tracing: section(config.tracing), metrics: section(config.metrics), logs: section(config.logs) },
    { ...options, resource: await Effect.runPromise(ServiceResource.make(config)), serializers: Serializers }
  )
