/**
 * The Tracing layer of the Effect 4 line: Effect's tracer (`Tracer.Tracer`) replaced by the
 * toolkit's own, writing each ended span into the engine's export pipeline (`@lingo-obs/otlp`):
 * over OTLP/gRPC or OTLP/HTTP (protobuf or JSON), or as JSON lines on stdout (`exporter: stdout`),
 * with parent-based ratio sampling adjustable at run time, span limits, and the OpenTelemetry API
 * (context manager, tracer provider) registered so that libraries instrumented with it join
 * Effect's traces. Scoped: when the layer's scope closes, buffered spans are flushed within the
 * shutdown timeout.
 *
 * @example
 * ```ts
 * const TracingLive = Tracing.layer({ config: config.tracing, resource })
 * program.pipe(Effect.withSpan("checkout"), Effect.provide(TracingLive))
 * ```
 */
import { FiberContextManager } from "@lingo-obs/otlp/ContextManager"
import * as Propagators from "@lingo-obs/otlp/Propagators"
import * as SpanEncoder from "@lingo-obs/otlp/SpanEncoder"
import * as SpanLimits from "@lingo-obs/otlp/SpanLimits"
import * as StdoutJson from "@lingo-obs/otlp/StdoutJson"
import { PipelineSpanProcessor, sdkSpanEncoder } from "@lingo-obs/otlp/SpanProcessor"
import { Switch } from "@lingo-obs/otlp/Switch"
import * as OtelApi from "@opentelemetry/api"
import type { Resource } from "@opentelemetry/resources"
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import type * as Config from "../config/Config.js"
import * as Control from "../Control.js"
import * as ExportPipeline from "../export/ExportPipeline.js"
import { AdjustableSampler } from "../internal/engineSeam.js"
import * as Required from "../Required.js"
import * as Shutdown from "../Shutdown.js"
import * as EffectTracer from "./internal/effectTracer.js"

/** The specification's count limits (128) and the toolkit's 8,192-character value limit. */
export const defaultLimits: SpanLimits.SpanLimits = SpanLimits.defaults

/** The span limits a config describes (its `limits` section). */
export const limitsOf = (config: Partial<Config.SpanLimitsConfig> | undefined): SpanLimits.SpanLimits => ({
  ...SpanLimits.defaults,
  ...config
})

/**
 * The pipeline bounds its own flush by the shutdown timeout; this grace only catches a
 * processor that ignores it.
 */
const SHUTDOWN_GRACE = Duration.millis(250)

/** The OpenTelemetry API globals a layer of this module holds now. */
const held = new Set<"context" | "trace" | "propagation">()

/**
 * Registers an OpenTelemetry API global for the scope's life, the Effect 3 line's way: the first
 * holder wins (the API refuses a second registration), a nested layer leaves it alone, and only
 * the holder unregisters it when its scope closes, so closing an inner layer keeps the outer one's.
 */
const globalFor = (api: "context" | "trace" | "propagation", install: () => boolean, uninstall: () => void) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      if (held.has(api) || !install()) return false
      held.add(api)
      return true
    }),
    (registered) =>
      Effect.sync(() => {
        if (!registered) return
        uninstall()
        held.delete(api)
      })
  )

/** Effect spans are reported under the service's own name, as on the Effect 3 line. */
const scopeOf = (resource: Resource) => {
  const attributes = resource.attributes
  return {
    name: String(attributes["service.name"] ?? "lingo-obs"),
    ...(attributes["service.version"] === undefined ? {} : { version: String(attributes["service.version"]) })
  }
}

/**
 * The tracer over `spanExport`, and the OpenTelemetry API's globals (context manager first, so it
 * is released after the provider's shutdown) over a provider writing to `processor`.
 */
const install = (options: {
  readonly resource: Resource
  readonly processor: SpanProcessor
  readonly spanExport: EffectTracer.Export
  readonly sampler: AdjustableSampler
  readonly limits: SpanLimits.SpanLimits
  readonly shutdown: (provider: BasicTracerProvider) => Effect.Effect<void>
  readonly propagator: OtelApi.TextMapPropagator
}): Effect.Effect<Tracer.Tracer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { limits, sampler } = options
    const contextManager = new FiberContextManager()
    yield* globalFor("context", () => OtelApi.context.setGlobalContextManager(contextManager), () => {
      OtelApi.context.disable()
      contextManager.disable()
    })
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new BasicTracerProvider({
          resource: options.resource,
          sampler,
          spanProcessors: [options.processor],
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
      options.shutdown
    )
    yield* globalFor("trace", () => OtelApi.trace.setGlobalTracerProvider(provider), () => OtelApi.trace.disable())
    // Libraries that inject or extract through the OpenTelemetry API use the configured propagators.
    yield* globalFor("propagation", () => OtelApi.propagation.setGlobalPropagator(options.propagator), () => OtelApi.propagation.disable())
    return EffectTracer.make({
      export: options.spanExport,
      resource: options.resource,
      scope: scopeOf(options.resource),
      limits,
      sampling: { root: sampler.rootSampler, parentBased: sampler.parentBased },
      contextManager
    })
  })

/** The control of a running pipeline: the sampler's ratio and the export switch. */
const makeControl = (sampler: AdjustableSampler, exporting: Switch): Control.TracingControlShape => ({
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

export interface ProcessorOptions {
  /** The resource every span carries. */
  readonly resource: Resource
  /** Where ended spans go, Effect's and those made through the OpenTelemetry API alike. */
  readonly spanProcessor: SpanProcessor
  /** `OTEL_TRACES_SAMPLER` name; default `parentbased_traceidratio`. */
  readonly sampler?: string | undefined
  /** The root sampling ratio; default 1. */
  readonly samplingRatio?: number | undefined
  readonly limits?: SpanLimits.SpanLimits | undefined
  /** The OpenTelemetry API's global propagator; default W3C trace context and baggage. */
  readonly propagator?: OtelApi.TextMapPropagator | undefined
}

/** Tracing onto `spanProcessor`, with the sampling, limits and OpenTelemetry-API interop of the full layer. */
export const layerProcessor = (options: ProcessorOptions): Layer.Layer<never> =>
  Layer.unwrap(Effect.gen(function*() {
    const sampler = new AdjustableSampler(options.sampler ?? "parentbased_traceidratio", options.samplingRatio ?? 1)
    const tracer = yield* install({
      resource: options.resource,
      processor: options.spanProcessor,
      spanExport: { _tag: "Processor", processor: options.spanProcessor },
      sampler,
      limits: options.limits ?? defaultLimits,
      shutdown: (provider) => Effect.promise(() => provider.shutdown()),
      propagator: options.propagator ?? Propagators.defaultPropagator
    })
    return Layer.merge(
      Layer.succeed(Tracer.Tracer, tracer),
      Layer.succeed(Control.TracingControl, makeControl(sampler, new Switch(true)))
    )
  }))

/** What the Tracing layer needs besides its config section. */
export interface Options {
  readonly config: Config.TracingConfig
  /** The resource every span carries (see `ServiceResource.make`). */
  readonly resource: Resource
  /** How long scope close may spend flushing; default 5 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
  readonly limits?: SpanLimits.SpanLimits | undefined
  /** Replaces the propagator named by `config.propagators` (for a custom propagator). */
  readonly propagator?: OtelApi.TextMapPropagator | undefined
  /** Opens the OTLP transport; default: the engine's gRPC or HTTP transport, as `config.protocol` says. */
  readonly connect?: ExportPipeline.Connect | undefined
}

/** The pipeline settings every traces pipeline takes from the config. */
const pipelineSettings = (options: Options) => ({
  signal: "traces" as const,
  config: options.config,
  connect: options.connect,
  maxQueueSize: options.config.maxQueueSize,
  maxBatchSize: options.config.maxExportBatchSize,
  batchDelayMillis: Duration.toMillis(options.config.batchTimeout),
  maxConcurrentExports: options.config.maxConcurrentExports,
  itemName: "spans"
})

/**
 * Where the spans go. OTLP over gRPC or with protobuf bodies: written as protobuf the moment they
 * end (the span encoder) and batched as bytes, encoded into a request as soon as a batch is full;
 * the SDK provider's spans (libraries using the OpenTelemetry API) join the same pipeline as
 * requests of their own. stdout and OTLP/JSON: the spans as records (`ReadableSpan`), encoded as
 * JSON lines or an OTLP/JSON request when their batch goes, as on the Effect 3 line (the span
 * encoder writes protobuf only).
 */
const pipelineExport = (options: Options, limits: SpanLimits.SpanLimits, shutdownMillis: number, switchOn: Switch) =>
  Effect.gen(function*() {
    const { config } = options
    if (config.exporter === "stdout" || config.protocol === "http/json") {
      // Loaded only for OTLP/JSON: the other exports never pay its start-up time.
      const json = config.exporter === "stdout"
        ? undefined
        : (yield* Effect.promise(() => import("@opentelemetry/otlp-transformer"))).JsonTraceSerializer
      const pipeline = yield* ExportPipeline.make<ReadableSpan>({
        ...pipelineSettings(options),
        encodeOtlp: () => undefined,
        encodeOtlpJson: (spans) => json?.serializeRequest(spans as Array<ReadableSpan>),
        encodeJson: (spans) => StdoutJson.encodeSpans(spans, config.stdoutResource),
        describeItem: (span) => span.name
      })
      const processor = new PipelineSpanProcessor(pipeline, shutdownMillis, switchOn, (span) => span)
      return { processor, spanExport: { _tag: "Processor", processor } satisfies EffectTracer.Export }
    }
    const encoder = new SpanEncoder.SpanEncoder({ resource: options.resource, scope: scopeOf(options.resource), limits })
    const pipeline = yield* ExportPipeline.make<SpanEncoder.Item>({
      ...pipelineSettings(options),
      encodeOtlp: (items) => SpanEncoder.request(encoder.header, items),
      encodeOtlpJson: () => undefined,
      encodeJson: () => "",
      encodeWhenFull: true,
      describeItem: SpanEncoder.describe
    })
    const processor = new PipelineSpanProcessor(pipeline, shutdownMillis, switchOn, sdkSpanEncoder(limits))
    const spanExport: EffectTracer.Export = {
      _tag: "Encoded",
      encoder,
      accepting: () => switchOn.on,
      offer: (span) => void pipeline.offer(span)
    }
    return { processor, spanExport }
  })

const exporting = (options: Options): Layer.Layer<never, Required.PipelineStartError> =>
  Layer.unwrap(Effect.gen(function*() {
    const { config } = options
    const shutdownTimeout = Duration.fromInputUnsafe(options.shutdownTimeout ?? Duration.seconds(5))
    const limits = options.limits ?? defaultLimits
    const switchOn = new Switch(true)
    const { processor, spanExport } = yield* pipelineExport(options, limits, Duration.toMillis(shutdownTimeout), switchOn)
    const sampler = new AdjustableSampler(config.sampler, config.samplingRatio)
    const tracer = yield* install({
      resource: options.resource,
      processor,
      spanExport,
      sampler,
      limits,
      propagator: options.propagator ?? Propagators.fromNames(config.propagators),
      // The provider's shutdown shuts the processor down, which flushes the pipeline.
      shutdown: (provider) => Shutdown.bounded("traces", Duration.sum(shutdownTimeout, SHUTDOWN_GRACE), () => provider.shutdown())
    })
    return Layer.merge(
      Layer.succeed(Tracer.Tracer, tracer),
      Layer.succeed(Control.TracingControl, makeControl(sampler, switchOn))
    )
  }))

/**
 * The Tracing layer described by `options.config`. With `enabled: false` or exporter `none`,
 * Effect's own tracer stays and nothing is exported. When the pipeline cannot start,
 * `config.required` decides: fail startup with a `PipelineStartError`, or log one warning and run
 * without export.
 */
export const layer = (options: Options): Layer.Layer<never, Required.PipelineStartError> => {
  const { config } = options
  if (!config.enabled || config.exporter === "none") return Layer.empty
  return Required.withFallback(exporting(options), { signal: "traces", required: config.required, fallback: Layer.empty })
}
