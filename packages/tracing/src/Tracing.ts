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
import { Control, ExportPipeline, Globals, Propagation, Required, Shutdown, SpanEncoder, SpanLimits } from "@lingo-obs/core"
import type { Config } from "@lingo-obs/core"
import * as OtelApi from "@opentelemetry/api"
import type { Resource } from "@opentelemetry/resources"
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FiberContextManager } from "@lingo-obs/otlp/ContextManager"
import { type AdjustableSampler, makeSampler } from "@lingo-obs/otlp/Sampler"
import * as EffectTracer from "./internal/effectTracer.js"
import { PipelineSpanProcessor, sdkSpanEncoder } from "@lingo-obs/otlp/SpanProcessor"
import { encodeSpans } from "@lingo-obs/otlp/StdoutJson"

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
  /** Span limits (attribute, event and link counts, value length); default `SpanLimits.defaults`. */
  readonly limits?: SpanLimits.SpanLimits | undefined
}

// The samplers are the engine's, shared with the Effect 4 line: the names of OTEL_TRACES_SAMPLER,
// and a ratio that can change while the program runs without splitting a trace.
export { AdjustableSampler, makeSampler } from "@lingo-obs/otlp/Sampler"

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

/** The pipeline settings every traces pipeline takes from the config. */
const pipelineSettings = (config: Config.TracingConfig) => ({
  signal: "traces" as const,
  config,
  maxQueueSize: config.maxQueueSize,
  maxBatchSize: config.maxExportBatchSize,
  batchDelayMillis: Duration.toMillis(config.batchTimeout),
  maxConcurrentExports: config.maxConcurrentExports,
  itemName: "spans"
})

/**
 * Where the tracer's spans go. OTLP: written as protobuf the moment they end (the span encoder)
 * and batched as bytes, encoded into a request as soon as a batch is full; the SDK provider's
 * spans (libraries using the OpenTelemetry API) join the same pipeline as requests of their own.
 * stdout: `ReadableSpan` records, as JSON lines.
 */
const pipelineExport = (
  config: Config.TracingConfig,
  resource: Resource,
  scope: { readonly name: string; readonly version?: string },
  limits: SpanLimits.SpanLimits,
  shutdownTimeout: Duration.Duration,
  exporting: Control.Switch
) =>
  Effect.gen(function*() {
    const shutdownMillis = Duration.toMillis(shutdownTimeout)
    // stdout and OTLP/JSON take `ReadableSpan`s: the span encoder writes protobuf only.
    if (config.exporter === "stdout" || config.protocol === "http/json") {
      const json = config.exporter === "stdout"
        ? undefined
        : (yield* Effect.promise(() => import("@opentelemetry/otlp-transformer"))).JsonTraceSerializer
      const pipeline = yield* ExportPipeline.make<ReadableSpan>({
        ...pipelineSettings(config),
        encodeOtlp: () => undefined,
        encodeOtlpJson: (spans) => json?.serializeRequest(spans as Array<ReadableSpan>),
        encodeJson: (items) => encodeSpans(items, config.stdoutResource),
        describeItem: (span) => span.name
      })
      const processor = new PipelineSpanProcessor(pipeline, shutdownMillis, exporting, (span) => span)
      return { processor, export: { _tag: "Processor", processor } satisfies EffectTracer.Export }
    }
    const encoder = new SpanEncoder.SpanEncoder({ resource, scope, limits })
    const pipeline = yield* ExportPipeline.make<SpanEncoder.Item>({
      ...pipelineSettings(config),
      encodeOtlp: (items) => SpanEncoder.request(encoder.header, items),
      encodeOtlpJson: () => undefined,
      encodeJson: () => "",
      encodeWhenFull: true,
      describeItem: SpanEncoder.describe
    })
    const processor = new PipelineSpanProcessor(pipeline, shutdownMillis, exporting, sdkSpanEncoder(limits))
    const offer = (span: Uint8Array) => void pipeline.offer(span)
    return {
      processor,
      export: { _tag: "Encoded", encoder, accepting: () => exporting.on, offer } satisfies EffectTracer.Export
    }
  })

/** The span limits a config describes (its `limits` section, env overlaid). */
export const limitsOf = (config: Partial<Config.SpanLimitsConfig> | undefined): SpanLimits.SpanLimits => ({
  ...SpanLimits.defaults,
  ...config
})

/**
 * Makes the OpenTelemetry API's `context` use this context manager while the scope is open.
 * Registered before the provider is made, so it is released after the provider's shutdown: the
 * final exports run under suppressed tracing, which only a working context manager carries (an
 * instrumentation's tracer outlives the global provider, so without it each export made while
 * shutting down became a span, exported by another export, until the timeout).
 */
const registerContext = (contextManager: FiberContextManager) =>
  Globals.register("context", () => OtelApi.context.setGlobalContextManager(contextManager), () => {
    OtelApi.context.disable()
    contextManager.disable()
  })

/**
 * Makes the OpenTelemetry API (`trace.getTracer`, `propagation`) use this pipeline while the
 * scope is open, so libraries instrumented with the API join the Effect spans; the previous
 * globals are restored on close. If another SDK already owns the globals, it keeps them.
 */
const registerGlobals = (provider: OtelApi.TracerProvider, propagator: OtelApi.TextMapPropagator) =>
  Effect.all([
    Globals.register("trace", () => OtelApi.trace.setGlobalTracerProvider(provider), () => OtelApi.trace.disable()),
    Globals.register(
      "propagation",
      () => OtelApi.propagation.setGlobalPropagator(propagator),
      () => OtelApi.propagation.disable()
    )
  ])

const exporting = (options: Options): Layer.Layer<Propagation.Propagator | Control.TracingControl, Required.PipelineStartError> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const { config } = options
    const propagator = options.propagator ?? Propagation.fromNames(config.propagators)
    const shutdownTimeout = Duration.decode(options.shutdownTimeout ?? Duration.seconds(5))
    const exporting = new Control.Switch(true)
    const limits = options.limits ?? SpanLimits.defaults
    const attributes = options.resource.attributes
    // Effect spans are reported under the service's own name, as the bridge of @effect/opentelemetry does.
    const scope = {
      name: String(attributes["service.name"] ?? "lingo-obs"),
      ...(attributes["service.version"] === undefined ? {} : { version: String(attributes["service.version"]) })
    }
    const { export: spanExport, processor } = options.spanProcessor === undefined
      ? yield* pipelineExport(config, options.resource, scope, limits, shutdownTimeout, exporting)
      : { processor: options.spanProcessor, export: { _tag: "Processor", processor: options.spanProcessor } as const }
    const sampler = makeSampler(config)
    const contextManager = new FiberContextManager()
    yield* registerContext(contextManager)
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new BasicTracerProvider({
          resource: options.resource,
          sampler,
          spanProcessors: [processor],
          // Library spans made through the OpenTelemetry API keep the same limits.
          spanLimits: {
            attributeCountLimit: limits.attributeCountLimit,
            attributeValueLengthLimit: limits.attributeValueLengthLimit,
            eventCountLimit: limits.eventCountLimit,
            linkCountLimit: limits.linkCountLimit,
            attributePerEventCountLimit: limits.eventAttributeCountLimit,
            attributePerLinkCountLimit: limits.linkAttributeCountLimit
          }
        })
      ),
      (provider) => Shutdown.bounded("traces", Duration.sum(shutdownTimeout, SHUTDOWN_GRACE), () => provider.shutdown())
    )
    yield* registerGlobals(provider, propagator)
    const tracer = EffectTracer.make({
      export: spanExport,
      resource: options.resource,
      scope,
      limits,
      sampling: { root: sampler.rootSampler, parentBased: sampler.parentBased },
      contextManager
    })
    return Layer.mergeAll(
      Layer.setTracer(tracer),
      Propagation.layer(propagator),
      Layer.succeed(Control.TracingControl, makeControl(sampler, exporting))
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
