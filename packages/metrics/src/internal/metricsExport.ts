/**
 * The metrics export itself: the SDK's meter provider, the producer of Effect's metrics, the OTLP
 * serializer and the pipeline. Loaded by `Metrics.layer` only
 * when metrics are on, so that a program without metrics pays none of their start-up time.
 */
import { type Config, Control, ExportPipeline, Globals, type Required, SelfMetrics, Shutdown } from "@lingo-obs/core"
import * as OtelApi from "@opentelemetry/api"
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer"
import {
  MeterProvider,
  type MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics
} from "@opentelemetry/sdk-metrics"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type { Options, OtelMetricsProducer } from "./options.js"
import * as RuntimeMetrics from "../RuntimeMetrics.js"
import { EffectMetricProducer } from "./effectMetricProducer.js"
import { encodeMetrics } from "@lingo-obs/otlp/StdoutJson"
import { countPoints, PipelineMetricExporter } from "@lingo-obs/otlp/PipelineMetricExporter"

/** The pipeline bounds its own flush by the shutdown timeout; this grace only catches a stuck reader. */
const SHUTDOWN_GRACE = Duration.millis(250)

const periodicReader = (config: Config.MetricsConfig, exporter: PushMetricExporter) =>
(effectMetrics: OtelMetricsProducer): MetricReader => {
  const interval = Duration.toMillis(config.interval)
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: interval,
    // The SDK refuses an export timeout longer than the interval.
    exportTimeoutMillis: Math.min(Duration.toMillis(config.exportTimeout), interval),
    metricProducers: [effectMetrics]
  })
}

/**
 * Collections held while the collector is unreachable. Each is cumulative, so the newest
 * carries every count; a few are enough to bridge the retry window.
 */
const MAX_HELD_COLLECTIONS = 16

/** The export pipeline for collections: one at a time, each its own batch, retried like spans. */
const makeExporter = (config: Config.MetricsConfig, shutdownTimeout: Duration.Duration, exporting: Control.Switch) =>
  Effect.map(
    ExportPipeline.make<ResourceMetrics>({
      signal: "metrics",
      config,
      encodeOtlp: ([metrics]) => metrics === undefined ? undefined : ProtobufMetricsSerializer.serializeRequest(metrics),
      encodeOtlpJson: ([metrics]) => metrics === undefined ? undefined : JsonMetricsSerializer.serializeRequest(metrics),
      encodeJson: (items) => encodeMetrics(items, config.stdoutResource),
      maxQueueSize: MAX_HELD_COLLECTIONS,
      maxBatchSize: 1,
      batchDelayMillis: 0,
      maxConcurrentExports: 1,
      itemName: "metric collections",
      itemPoints: countPoints
    }),
    (pipeline) => new PipelineMetricExporter(pipeline, Duration.toMillis(shutdownTimeout), exporting)
  )

/** Makes `metrics.getMeter` (the OpenTelemetry API) record into this provider while the scope is open. */
const registerGlobal = (provider: MeterProvider) =>
  Globals.register("metrics", () => OtelApi.metrics.setGlobalMeterProvider(provider), () => OtelApi.metrics.disable())

/** Builds the provider and reader in the current scope; shared by the live and the test layer. */
export const makeProvider = (
  options: Options & { readonly makeReader: (effectMetrics: OtelMetricsProducer) => MetricReader }
) =>
  Effect.gen(function*() {
    const reader = options.makeReader(new EffectMetricProducer(options.resource))
    // What the final collection reads (runtime sampling, the self-metrics) must outlive the
    // provider's shutdown, which runs that collection: this scope is closed after the
    // provider's release, which is acquired below.
    const observedUntilShutdown = yield* Effect.flatMap(
      Effect.scope,
      (scope) => Scope.fork(scope, ExecutionStrategy.sequential)
    )
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() => new MeterProvider({ resource: options.resource, readers: [reader] })),
      // Shutting the provider down runs the reader's final collection and export.
      (provider) =>
        Shutdown.bounded(
          "metrics",
          Duration.sum(options.shutdownTimeout ?? Duration.seconds(5), SHUTDOWN_GRACE),
          () => {
            options.beforeShutdown?.()
            return provider.shutdown()
          }
        )
    )
    yield* registerGlobal(provider)
    if (!options.config.disableRuntimeStats) {
      yield* RuntimeMetrics.register(provider).pipe(Scope.extend(observedUntilShutdown))
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => SelfMetrics.observe(provider.getMeter("@lingo-obs/observability"))),
      (stopObserving) => Effect.sync(stopObserving)
    ).pipe(Scope.extend(observedUntilShutdown))
    return { provider, reader }
  })

export const exporting = (options: Options): Layer.Layer<Control.MetricsControl, Required.PipelineStartError> =>
  Layer.scoped(
    Control.MetricsControl,
    Effect.gen(function*() {
      const exporting = new Control.Switch(true)
      if (options.makeReader !== undefined) {
        yield* makeProvider({ ...options, makeReader: options.makeReader })
      } else {
        const shutdownTimeout = Duration.decode(options.shutdownTimeout ?? Duration.seconds(5))
        const exporter = yield* makeExporter(options.config, shutdownTimeout, exporting)
        yield* makeProvider({
          ...options,
          makeReader: periodicReader(options.config, exporter),
          beforeShutdown: () => exporter.beginShutdown()
        })
      }
      return {
        exporting: Effect.sync(() => exporting.on),
        setExporting: (enabled: boolean) => Effect.sync(() => void (exporting.on = enabled))
      }
    })
  )

