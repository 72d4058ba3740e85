/**
 * The Metrics layer of the Effect 4 line: an OpenTelemetry meter provider with a periodic reader
 * at the config's `interval`, exporting through the engine's pipeline (`@lingo-obs/otlp`) over
 * OTLP or as JSON lines on stdout (`exporter: stdout`). Effect `Metric` values (read from the
 * registry of the layer's context), instruments created through the OpenTelemetry API
 * (`metrics.getMeter`), the Node runtime metrics (unless `disableRuntimeStats`) and the toolkit's
 * own `lingo_obs.*` self-metrics reach the same exporter.
 * Scoped: on close, one final collection is exported within the shutdown timeout.
 *
 * @example
 * ```ts
 * const orders = Metric.counter("orders_total", { incremental: true })
 * program.pipe(
 *   Effect.andThen(Metric.update(orders, 1)),
 *   Effect.provide(Metrics.layer({ config: config.metrics, resource }))
 * )
 * ```
 */
import * as SelfMetrics from "@lingo-obs/otlp/SelfMetrics"
import * as StdoutJson from "@lingo-obs/otlp/StdoutJson"
import { Switch } from "@lingo-obs/otlp/Switch"
import * as OtelApi from "@opentelemetry/api"
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer"
import type { Resource } from "@opentelemetry/resources"
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type * as Config from "../config/Config.js"
import * as Control from "../Control.js"
import * as ExportPipeline from "../export/ExportPipeline.js"
import * as OtelGlobals from "../internal/otelGlobals.js"
import * as Required from "../Required.js"
import * as Shutdown from "../Shutdown.js"
import { EffectMetricProducer } from "./internal/effectMetricProducer.js"
import { countPoints, PipelineMetricExporter } from "@lingo-obs/otlp/PipelineMetricExporter"
import * as RuntimeMetrics from "@lingo-obs/otlp/RuntimeMetrics"

export { SCOPE_NAME as EFFECT_SCOPE } from "./internal/effectMetricProducer.js"
export { SCOPE as RUNTIME_SCOPE } from "@lingo-obs/otlp/RuntimeMetrics"

/** The scope the toolkit's self-metrics are reported under (the Effect 3 line's). */
export const SELF_SCOPE = "@lingo-obs/observability"

/** What the provider needs; shared by the live and the test layer. */
export interface ProviderOptions {
  readonly resource: Resource
  /** The reader, given the producer of Effect's metrics to pass on as one of its `metricProducers`. */
  readonly makeReader: (effectMetrics: EffectMetricProducer) => MetricReader
  readonly disableRuntimeStats?: boolean | undefined
  /** Shuts the provider down (its reader's final collection and export); default: unbounded. */
  readonly shutdown?: ((provider: MeterProvider) => Effect.Effect<void>) | undefined
}

/**
 * Builds the meter provider in the current scope. Effect's metrics are read from the registry of
 * the context this runs in (`Metric.MetricRegistry`), so a layer that provides its own registry
 * below this one is the registry exported.
 */
export const makeProvider = (options: ProviderOptions) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    const reader = options.makeReader(new EffectMetricProducer(options.resource, context))
    // What the final collection reads (runtime sampling, the self-metrics) must outlive the
    // provider's shutdown, which runs that collection: this scope closes after the provider's release.
    const observedUntilShutdown = yield* Scope.fork(yield* Effect.scope, "sequential")
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() => new MeterProvider({ resource: options.resource, readers: [reader] })),
      options.shutdown ?? ((provider) => Effect.promise(() => provider.shutdown()))
    )
    yield* OtelGlobals.register(
      "metrics",
      () => OtelApi.metrics.setGlobalMeterProvider(provider),
      () => OtelApi.metrics.disable()
    )
    if (options.disableRuntimeStats !== true) {
      yield* Effect.acquireRelease(
        Effect.sync(() => RuntimeMetrics.start(provider)),
        (stop) => Effect.sync(stop)
      ).pipe(Scope.provide(observedUntilShutdown))
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => SelfMetrics.observe(provider.getMeter(SELF_SCOPE))),
      (stop) => Effect.sync(stop)
    ).pipe(Scope.provide(observedUntilShutdown))
    return { provider, reader }
  })

/** What the Metrics layer needs besides its config section. */
export interface Options {
  readonly config: Config.MetricsConfig
  /** The resource every metric carries (see `ServiceResource.make`). */
  readonly resource: Resource
  /** How long scope close may spend on the final export; default 5 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** Opens the OTLP transport; default: the engine's gRPC or HTTP transport, as `config.protocol` says (tests pass their own). */
  readonly connect?: ExportPipeline.Connect | undefined
}

/**
 * Collections held while the collector is unreachable. Each is cumulative, so the newest carries
 * every count; a few are enough to bridge the retry window.
 */
const MAX_HELD_COLLECTIONS = 16

/** The pipeline bounds its own flush by the shutdown timeout; this grace only catches a stuck reader. */
const SHUTDOWN_GRACE = Duration.millis(250)

const exporting = (options: Options): Layer.Layer<never, Required.PipelineStartError> =>
  Layer.unwrap(Effect.gen(function*() {
    const { config } = options
    const pipeline = yield* ExportPipeline.make<ResourceMetrics>({
      signal: "metrics",
      config,
      connect: options.connect,
      encodeOtlp: ([metrics]) => metrics === undefined ? undefined : ProtobufMetricsSerializer.serializeRequest(metrics),
      encodeOtlpJson: ([metrics]) => metrics === undefined ? undefined : JsonMetricsSerializer.serializeRequest(metrics),
      encodeJson: (collections) => StdoutJson.encodeMetrics(collections, config.stdoutResource),
      maxQueueSize: MAX_HELD_COLLECTIONS,
      maxBatchSize: 1,
      batchDelayMillis: 0,
      maxConcurrentExports: 1,
      itemName: "metric collections",
      itemPoints: countPoints
    })
    const shutdownTimeout = Duration.fromInputUnsafe(options.shutdownTimeout ?? Duration.seconds(5))
    const switchOn = new Switch(true)
    const exporter = new PipelineMetricExporter(pipeline, Duration.toMillis(shutdownTimeout), switchOn)
    const interval = Duration.toMillis(config.interval)
    yield* makeProvider({
      resource: options.resource,
      disableRuntimeStats: config.disableRuntimeStats,
      makeReader: (effectMetrics) =>
        new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: interval,
          // The SDK refuses an export timeout longer than the interval.
          exportTimeoutMillis: Math.min(Duration.toMillis(config.exportTimeout), interval),
          metricProducers: [effectMetrics]
        }),
      // Shutting the provider down runs the reader's final collection and export.
      shutdown: (provider) =>
        Shutdown.bounded("metrics", Duration.sum(shutdownTimeout, SHUTDOWN_GRACE), () => {
          exporter.beginShutdown()
          return provider.shutdown()
        })
    })
    return Layer.succeed(Control.MetricsControl, {
      exporting: Effect.sync(() => switchOn.on),
      setExporting: (enabled: boolean) => Effect.sync(() => void (switchOn.on = enabled))
    })
  }))

/**
 * The Metrics layer described by `options.config`. With `enabled: false` or exporter `none` it
 * exports nothing. When the pipeline cannot start, `config.required` decides: fail startup with a
 * `PipelineStartError`, or log one warning and run without metrics.
 */
export const layer = (options: Options): Layer.Layer<never, Required.PipelineStartError> => {
  const { config } = options
  if (!config.enabled || config.exporter === "none") return Layer.empty
  return Required.withFallback(exporting(options), { signal: "metrics", required: config.required, fallback: Layer.empty })
}
