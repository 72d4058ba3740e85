/**
 * The Metrics layer: an OpenTelemetry meter provider with a periodic reader at the config's
 * `interval` and an OTLP/gRPC or stdout exporter. Both Effect `Metric` values and instruments
 * created through the OpenTelemetry API (`metrics.getMeter`) reach the exporter, and so do the
 * Node runtime metrics (`RuntimeMetrics`) unless `disableRuntimeStats`. Scoped: on close, one
 * final collection is exported within the shutdown timeout.
 *
 * @example
 * ```ts
 * import { Metrics } from "@lingo-obs/metrics"
 *
 * const orders = Metric.counter("orders_total")
 * program.pipe(Metric.increment(orders), Effect.provide(Metrics.layer({ config: config.metrics, resource })))
 * ```
 */
import { Control, Required } from "@lingo-obs/core"
import type { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Options, OtelMetricsProducer } from "./internal/options.js"

export type { Options, OtelMetricsProducer } from "./internal/options.js"

/**
 * The export's modules (the SDK's meter provider, the producer of Effect's metrics, the OTLP
 * serializer), loaded on first use: a program with metrics off never pays their start-up time.
 */
const load = Effect.promise(() => import("./internal/metricsExport.js"))

/** Builds the provider and reader in the current scope; shared by the live and the test layer. */
export const makeProvider = (
  options: Options & { readonly makeReader: (effectMetrics: OtelMetricsProducer) => MetricReader }
): Effect.Effect<{ readonly provider: MeterProvider; readonly reader: MetricReader }, never, Scope.Scope> =>
  Effect.flatMap(load, (module) => module.makeProvider(options))

const exporting = (options: Options): Layer.Layer<Control.MetricsControl, Required.PipelineStartError> =>
  Layer.unwrapEffect(Effect.map(load, (module) => module.exporting(options)))

/** No metrics pipeline: the control says so when asked to change it. */
const layerNoop: Layer.Layer<Control.MetricsControl> = Layer.succeed(
  Control.MetricsControl,
  Control.notRunningSignal("metrics")
)

/**
 * The Metrics layer described by `options.config`. With `enabled: false` or exporter `none` it
 * exports nothing. When the pipeline cannot start, `config.required` decides: fail startup with a
 * `PipelineStartError`, or log one warning and run without metrics.
 */
export const layer = (options: Options): Layer.Layer<Control.MetricsControl, Required.PipelineStartError> => {
  const { config } = options
  if (!config.enabled || (config.exporter === "none" && options.makeReader === undefined)) return layerNoop
  return Required.withFallback(exporting(options), {
    signal: "metrics",
    required: config.required,
    fallback: layerNoop
  })
}
