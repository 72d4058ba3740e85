/**
 * The Metrics layer of the Effect 4 line: an OpenTelemetry meter provider with a periodic reader
 * at the config's `interval`, exporting through the engine's pipeline (`@lingo-obs/otlp`). Effect
 * `Metric` values (read from the registry of the layer's context), instruments created through
 * the OpenTelemetry API (`metrics.getMeter`), the Node runtime metrics (unless
 * `disableRuntimeStats`) and the toolkit's own `lingo_obs.*` self-metrics reach the same exporter.
 * Scoped: on close, one final collection is exported within the shutdown timeout.
 *
 * @example
 * ```ts
 * const orders = Metric.counter("orders_total", { incremental: true })
 * program.pipe(
 *   Effect.andThen(Metric.update(orders, 1)),
 *   Effect.provide(Metrics.layer({ config: config.metrics, resource, transport }))
 * )
 * ```
 */
import * as OtelApi from "@opentelemetry/api"
import type { LogSink } from "@lingo-obs/otlp/Pipeline"
import * as SelfMetrics from "@lingo-obs/otlp/SelfMetrics"
import { Switch } from "@lingo-obs/otlp/Switch"
import type { Transport } from "@lingo-obs/otlp/Transport"
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer"
import type { Resource } from "@opentelemetry/resources"
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type * as Config from "../config/Config.js"
import * as OtelGlobals from "../internal/otelGlobals.js"
import * as SignalPipeline from "../internal/signalPipeline.js"
import { EffectMetricProducer } from "./internal/effectMetricProducer.js"
import { countPoints, PipelineMetricExporter } from "./internal/pipelineMetricExporter.js"
import * as RuntimeMetrics from "./internal/runtimeMetrics.js"

export { SCOPE_NAME as EFFECT_SCOPE } from "./internal/effectMetricProducer.js"
export { SCOPE as RUNTIME_SCOPE } from "./internal/runtimeMetrics.js"

/** The scope the toolkit's self-metrics are reported under. */
export const SELF_SCOPE = "@lingo-obs/observability"

/** What the provider needs; shared by the live and the test layer. */
export interface ProviderOptions {
  readonly resource: Resource
  /** The reader, given the producer of Effect's metrics to pass on as one of its `metricProducers`. */
  readonly makeReader: (effectMetrics: EffectMetricProducer) => MetricReader
  readonly disableRuntimeStats?: boolean | undefined
  /** How long scope close may spend on the final export; default 5 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** Called when the layer starts closing, before the provider shuts down. */
  readonly beforeShutdown?: (() => void) | undefined
}

/** The pipeline bounds its own flush by the shutdown timeout; this grace only catches a stuck reader. */
const SHUTDOWN_GRACE_MILLIS = 250

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
    const outer = yield* Effect.scope
    const observedUntilShutdown = yield* Scope.fork(outer, "sequential")
    const timeoutMillis = Duration.toMillis(Duration.fromInputUnsafe(options.shutdownTimeout ?? "5 seconds"))
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() => new MeterProvider({ resource: options.resource, readers: [reader] })),
      // Shutting the provider down runs the reader's final collection and export, bounded.
      (provider) =>
        Effect.promise(() => {
          options.beforeShutdown?.()
          return provider.shutdown()
        }).pipe(Effect.timeoutOption(timeoutMillis + SHUTDOWN_GRACE_MILLIS), Effect.ignore)
    )
    yield* OtelGlobals.register(
      "metrics",
      () => OtelApi.metrics.setGlobalMeterProvider(provider),
      () => OtelApi.metrics.disable()
    )
    if (options.disableRuntimeStats !== true) {
      yield* Effect.acquireRelease(
        Effect.sync(() => RuntimeMetrics.start(provider.getMeter(RuntimeMetrics.SCOPE), {})),
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
  readonly resource: Resource
  /** Where the collections go: the engine's OTLP/gRPC or OTLP/HTTP transport for `config`'s endpoint. */
  readonly transport: Transport
  /** Where the pipeline's lines go; default the Effect logger of the layer's context. */
  readonly log?: LogSink | undefined
  readonly shutdownTimeout?: Duration.Input | undefined
}

/**
 * Collections held while the collector is unreachable. Each is cumulative, so the newest carries
 * every count; a few are enough to bridge the retry window.
 */
const MAX_HELD_COLLECTIONS = 16

/**
 * Metrics exported as `options.config` says, through `options.transport`. With `enabled: false`
 * it exports nothing.
 */
export const layer = (options: Options): Layer.Layer<never> => {
  const { config } = options
  if (!config.enabled || config.exporter === "none") return Layer.empty
  return Layer.effectDiscard(Effect.gen(function*() {
    const log = options.log ?? SignalPipeline.logSinkFrom(yield* Effect.context<never>())
    const serializer = config.protocol === "http/json" ? JsonMetricsSerializer : ProtobufMetricsSerializer
    const pipeline = SignalPipeline.make<ResourceMetrics>({
      signal: "metrics",
      config,
      transport: options.transport,
      log,
      encode: ([metrics]) => metrics === undefined ? undefined : serializer.serializeRequest(metrics),
      maxQueueSize: MAX_HELD_COLLECTIONS,
      maxBatchSize: 1,
      batchDelayMillis: 0,
      maxConcurrentExports: 1,
      itemName: "metric collections",
      itemPoints: countPoints
    })
    const timeoutMillis = Duration.toMillis(Duration.fromInputUnsafe(options.shutdownTimeout ?? "5 seconds"))
    const exporter = new PipelineMetricExporter(pipeline, timeoutMillis, new Switch(true))
    const interval = Duration.toMillis(config.interval)
    yield* makeProvider({
      resource: options.resource,
      disableRuntimeStats: config.disableRuntimeStats,
      shutdownTimeout: options.shutdownTimeout,
      beforeShutdown: () => exporter.beginShutdown(),
      makeReader: (effectMetrics) =>
        new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: interval,
          // The SDK refuses an export timeout longer than the interval.
          exportTimeoutMillis: Math.min(Duration.toMillis(config.exportTimeout), interval),
          metricProducers: [effectMetrics]
        })
    })
  }))
}
