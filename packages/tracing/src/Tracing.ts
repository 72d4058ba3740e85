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
import { Control, ExportPipeline, Propagation, Required, Shutdown } from "@lingo-obs/core"
import type { Config } from "@lingo-obs/core"
import * as OtelApi from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import type { Resource } from "@opentelemetry/resources"
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler
} from "@opentelemetry/sdk-trace-base"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PipelineSpanProcessor } from "./internal/pipelineSpanProcessor.js"
import { encodeJsonLines } from "./internal/spanJson.js"

/**
 * The pipeline bounds its own flush by the shutdown timeout; this grace only catches a
 * processor that ignores it.
 */
const SHUTDOWN_GRACE = Duration.millis(250)

/** What the Tracing layer needs besides its config section. */
export interface Options {
  readonly config: Config.TracingConfig
  /** The resource every span carries (see `ServiceResource.make`). */
  readonly resource: Resource
  /** How long scope close may spend flushing; default 5 s. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /** Replaces the propagator named by `config.propagators` (for a custom propagator). */
  readonly propagator?: OtelApi.TextMapPropagator | undefined
  /** Replaces the export pipeline the config describes (tests record each span as it ends). */
  readonly spanProcessor?: SpanProcessor | undefined
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

/**
 * The configured sampler with a ratio that can change while the program runs. Only root
 * decisions use the ratio (in the parent-based samplers), so a change never splits a trace.
 */
class AdjustableSampler implements Sampler {
  private current: Sampler

  constructor(private readonly kind: Config.SamplerKind, public ratio: number) {
    this.current = makeSampler({ sampler: kind, samplingRatio: ratio })
  }

  setRatio(ratio: number): void {
    this.ratio = ratio
    this.current = makeSampler({ sampler: this.kind, samplingRatio: ratio })
  }

  shouldSample(...args: Parameters<Sampler["shouldSample"]>) {
    return this.current.shouldSample(...args)
  }

  toString(): string {
    return `AdjustableSampler{${this.current.toString()}}`
  }
}

/** The control of a running pipeline: the sampler's ratio and the export switch. */
const makeControl = (sampler: AdjustableSampler, exporting: Control.Switch): Control.TracingControlShape => ({
  exporting: Effect.sync(() => exporting.on),
  setExporting: (enabled) => Effect.sync(() => void (exporting.on = enabled)),
  samplingRatio: Effect.sync(() => sampler.ratio),
  setSamplingRatio: (ratio) =>
    Number.isFinite(ratio) && ratio >= 0 && ratio <= 1
      ? Effect.sync(() => sampler.setRatio(ratio))
      : Effect.fail(
        new Control.ReconfigureError({ field: "tracing.samplingRatio", reason: `expected a number between 0 and 1, got ${ratio}` })
      )
})

/** The export pipeline with the config's queue, batching, concurrency and retry settings. */
const pipelineProcessor = (
  config: Config.TracingConfig,
  shutdownTimeout: Duration.Duration,
  exporting: Control.Switch
) =>
  Effect.map(
    ExportPipeline.make<ReadableSpan>({
      signal: "traces",
      config,
      encodeOtlp: (spans) => ProtobufTraceSerializer.serializeRequest(spans as Array<ReadableSpan>),
      encodeJson: encodeJsonLines,
      maxQueueSize: config.maxQueueSize,
      maxBatchSize: config.maxExportBatchSize,
      batchDelayMillis: Duration.toMillis(config.batchTimeout),
      maxConcurrentExports: config.maxConcurrentExports,
      itemName: "spans"
    }),
    (pipeline) => new PipelineSpanProcessor(pipeline, Duration.toMillis(shutdownTimeout), exporting)
  )

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

const exporting = (options: Options): Layer.Layer<Propagation.Propagator | Control.TracingControl, Required.PipelineStartError> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const { config } = options
    const propagator = options.propagator ?? Propagation.fromNames(config.propagators)
    const shutdownTimeout = Duration.decode(options.shutdownTimeout ?? Duration.seconds(5))
    const exporting = new Control.Switch(true)
    const processor = options.spanProcessor ?? (yield* pipelineProcessor(config, shutdownTimeout, exporting))
    const sampler = new AdjustableSampler(config.sampler, config.samplingRatio)
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() => new BasicTracerProvider({ resource: options.resource, sampler, spanProcessors: [processor] })),
      (provider) => Shutdown.bounded("traces", Duration.sum(shutdownTimeout, SHUTDOWN_GRACE), () => provider.shutdown())
    )
    yield* registerGlobals(provider, propagator)
    const attributes = options.resource.attributes
    const tracer = provider.getTracer(
      String(attributes["service.name"] ?? "lingo-obs"),
      attributes["service.version"] === undefined ? undefined : String(attributes["service.version"])
    )
    return Layer.mergeAll(
      OtelTracer.layerWithoutOtelTracer,
      Propagation.layer(propagator),
      Layer.succeed(Control.TracingControl, makeControl(sampler, exporting))
    ).pipe(
      Layer.provide(Layer.succeed(OtelTracer.OtelTracer, tracer))
    )
  }))

/**
 * The no-op tracing layer: nothing is exported. `Effect.withSpan` still works (Effect's own
 * tracer), and middleware still propagates incoming context with the configured propagator.
 */
export const layerNoop = (
  propagator: OtelApi.TextMapPropagator = Propagation.defaultPropagator
): Layer.Layer<Propagation.Propagator | Control.TracingControl> =>
  Layer.merge(Propagation.layer(propagator), Layer.succeed(Control.TracingControl, Control.notRunningTracing))

/**
 * The Tracing layer described by `options.config`. With `enabled: false` or exporter `none` it
 * exports nothing. When the pipeline cannot start, `config.required` decides: fail startup with a
 * `PipelineStartError`, or log one warning and run the no-op layer.
 */
export const layer = (options: Options): Layer.Layer<Propagation.Propagator | Control.TracingControl, Required.PipelineStartError> => {
  const { config } = options
  const propagator = options.propagator ?? Propagation.fromNames(config.propagators)
  if (!config.enabled || (config.exporter === "none" && options.spanProcessor === undefined)) {
    return layerNoop(propagator)
  }
  return Required.withFallback(exporting(options), {
    signal: "traces",
    required: config.required,
    fallback: layerNoop(propagator)
  })
}
