/**
 * The Tracing layer: an OpenTelemetry tracer provider with parent-based ratio sampling, a batch
 * span processor tuned by the config and an OTLP/gRPC or stdout exporter, bridged so that
 * `Effect.withSpan` produces OpenTelemetry spans. Scoped: when the layer's scope closes, spans
 * still buffered are flushed and the provider shut down within the shutdown timeout.
 *
 * @example
 * ```ts
 * import { Tracing } from "@lingo-obs/tracing"
 *
 * const TracingLive = Tracing.layer({ config: config.tracing, resource })
 * program.pipe(Effect.withSpan("checkout"), Effect.provide(TracingLive))
 * ```
 */
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import { Propagation, Required, Shutdown } from "@lingo-obs/core"
import type { Config } from "@lingo-obs/core"
import * as OtelApi from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import type { Resource } from "@opentelemetry/resources"
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler
} from "@opentelemetry/sdk-trace-base"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { makeExporter } from "./internal/exporter.js"

/** What the Tracing layer needs besides its config section. */
export interface Options {
  readonly config: Config.TracingConfig
  /** The resource every span carries (see `ServiceResource.make`). */
  readonly resource: Resource
  /** How long scope close may spend flushing; default 5 s. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /** Replaces the propagator named by `config.propagators` (for a custom propagator). */
  readonly propagator?: OtelApi.TextMapPropagator | undefined
  /** Replaces the exporter the config describes (tests use an in-memory one). */
  readonly exporter?: SpanExporter | undefined
  /** Replaces the batch processor around the exporter (tests export each span as it ends). */
  readonly makeProcessor?: ((exporter: SpanExporter) => SpanProcessor) | undefined
}

/** The sampler the config describes; ratio samplers keep whole traces together by trace id. */
export const makeSampler = (config: Pick<Config.TracingConfig, "sampler" | "samplingRatio">): Sampler => {
  const ratio = new TraceIdRatioBasedSampler(config.samplingRatio)
  switch (config.sampler) {
    case "always_on":
      return new AlwaysOnSampler()
    case "always_off":
      return new AlwaysOffSampler()
    case "traceidratio":
      return ratio
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio })
  }
}

/** The batch processor with the config's queue, batch size, delay and export timeout. */
const batchProcessor = (config: Config.TracingConfig) => (exporter: SpanExporter): SpanProcessor =>
  new BatchSpanProcessor(exporter, {
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: config.maxExportBatchSize,
    scheduledDelayMillis: Duration.toMillis(config.batchTimeout),
    exportTimeoutMillis: Duration.toMillis(config.exportTimeout)
  })

/**
 * Makes the OpenTelemetry API (`trace.getTracer`, `propagation`, `context`) use this pipeline
 * while the scope is open, so libraries instrumented with the API join the Effect spans; the
 * previous globals are restored on close. If another SDK already owns the globals, it keeps them.
 */
const registerGlobals = (provider: OtelApi.TracerProvider, propagator: OtelApi.TextMapPropagator) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const contextManager = new AsyncLocalStorageContextManager().enable()
      return {
        contextManager,
        context: OtelApi.context.setGlobalContextManager(contextManager),
        trace: OtelApi.trace.setGlobalTracerProvider(provider),
        propagation: OtelApi.propagation.setGlobalPropagator(propagator)
      }
    }),
    (registered) =>
      Effect.sync(() => {
        if (registered.trace) OtelApi.trace.disable()
        if (registered.propagation) OtelApi.propagation.disable()
        if (registered.context) OtelApi.context.disable()
        registered.contextManager.disable()
      })
  )

const exporting = (options: Options): Layer.Layer<Propagation.Propagator, Required.PipelineStartError> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const { config } = options
    const propagator = options.propagator ?? Propagation.fromNames(config.propagators)
    const exporter = options.exporter ?? (yield* makeExporter(config))
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new BasicTracerProvider({
          resource: options.resource,
          sampler: makeSampler(config),
          spanProcessors: [(options.makeProcessor ?? batchProcessor(config))(exporter)]
        })
      ),
      (provider) => Shutdown.bounded("traces", options.shutdownTimeout ?? Duration.seconds(5), () => provider.shutdown())
    )
    yield* registerGlobals(provider, propagator)
    const attributes = options.resource.attributes
    const tracer = provider.getTracer(
      String(attributes["service.name"] ?? "lingo-obs"),
      attributes["service.version"] === undefined ? undefined : String(attributes["service.version"])
    )
    return Layer.mergeAll(
      OtelTracer.layerWithoutOtelTracer,
      Propagation.layer(propagator)
    ).pipe(
      Layer.provide(Layer.succeed(OtelTracer.OtelTracer, tracer))
    )
  }))

/**
 * The no-op tracing layer: nothing is exported. `Effect.withSpan` still works (Effect's own
 * tracer), and middleware still propagates incoming context with the configured propagator.
 */
export const layerNoop = (propagator: OtelApi.TextMapPropagator = Propagation.defaultPropagator) =>
  Propagation.layer(propagator)

/**
 * The Tracing layer described by `options.config`. With `enabled: false` or exporter `none` it
 * exports nothing. When the pipeline cannot start, `config.required` decides: fail startup with a
 * `PipelineStartError`, or log one warning and run the no-op layer.
 */
export const layer = (options: Options): Layer.Layer<Propagation.Propagator, Required.PipelineStartError> => {
  const { config } = options
  const propagator = options.propagator ?? Propagation.fromNames(config.propagators)
  if (!config.enabled || (config.exporter === "none" && options.exporter === undefined)) return layerNoop(propagator)
  return Required.withFallback(exporting(options), {
    signal: "traces",
    required: config.required,
    fallback: layerNoop(propagator)
  })
}
