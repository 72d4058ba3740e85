/**
 * The Tracing layer of the Effect 4 line: Effect's tracer (`Tracer.Tracer`) replaced by the
 * toolkit's own, writing ended spans onto a span processor, and the OpenTelemetry API (context
 * manager, tracer provider) registered so that libraries instrumented with it join Effect's traces.
 *
 * Today it takes the span processor (tests record to memory); the export pipelines' processors
 * come from the engine (`@lingo-obs/otlp`) when it is merged.
 *
 * @example
 * ```ts
 * import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
 *
 * const TracingLive = Tracing.layerProcessor({
 *   resource: resourceFromAttributes({ "service.name": "checkout" }),
 *   spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter())
 * })
 * ```
 */
import * as OtelApi from "@opentelemetry/api"
import type { Resource } from "@opentelemetry/resources"
import { BasicTracerProvider, ParentBasedSampler, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tracer from "effect/Tracer"
import { FiberContextManager, samplingFor, type SpanLimits } from "../internal/engineSeam.js"
import * as EffectTracer from "./internal/effectTracer.js"

/** The specification's count limits (128) and the toolkit's 8,192-character value limit. */
export const defaultLimits: SpanLimits = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: 8_192,
  eventCountLimit: 128,
  linkCountLimit: 128,
  eventAttributeCountLimit: 128,
  linkAttributeCountLimit: 128
}

export interface ProcessorOptions {
  /** The resource every span carries. */
  readonly resource: Resource
  /** Where ended spans go, Effect's and those made through the OpenTelemetry API alike. */
  readonly spanProcessor: SpanProcessor
  /** `OTEL_TRACES_SAMPLER` name; default `parentbased_traceidratio`. */
  readonly sampler?: string | undefined
  /** The root sampling ratio; default 1. */
  readonly samplingRatio?: number | undefined
  readonly limits?: SpanLimits | undefined
}

/** The OpenTelemetry API globals a layer of this module holds now. */
const held = new Set<"context" | "trace">()

/**
 * Registers an OpenTelemetry API global for the scope's life, the Effect 3 line's way: the first
 * holder wins (the API refuses a second registration), a nested layer leaves it alone, and only
 * the holder unregisters it when its scope closes, so closing an inner layer keeps the outer one's.
 */
const globalFor = (api: "context" | "trace", install: () => boolean, uninstall: () => void) =>
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

/** Tracing onto `spanProcessor`, with the sampling, limits and OpenTelemetry-API interop of the full layer. */
export const layerProcessor = (options: ProcessorOptions): Layer.Layer<never> =>
  Layer.unwrap(Effect.gen(function*() {
    const limits = options.limits ?? defaultLimits
    const sampling = samplingFor(options.sampler ?? "parentbased_traceidratio", options.samplingRatio ?? 1)
    const attributes = options.resource.attributes
    // Effect spans are reported under the service's own name, as on the Effect 3 line.
    const scope = {
      name: String(attributes["service.name"] ?? "lingo-obs"),
      ...(attributes["service.version"] === undefined ? {} : { version: String(attributes["service.version"]) })
    }
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new BasicTracerProvider({
          resource: options.resource,
          sampler: sampling.parentBased ? new ParentBasedSampler({ root: sampling.root() }) : sampling.root(),
          spanProcessors: [options.spanProcessor],
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
      (provider) => Effect.promise(() => provider.shutdown())
    )
    const contextManager = new FiberContextManager()
    yield* globalFor("context", () => OtelApi.context.setGlobalContextManager(contextManager), () => OtelApi.context.disable())
    yield* globalFor("trace", () => OtelApi.trace.setGlobalTracerProvider(provider), () => OtelApi.trace.disable())
    const tracer = EffectTracer.make({
      export: { _tag: "Processor", processor: options.spanProcessor },
      resource: options.resource,
      scope,
      limits,
      sampling,
      contextManager
    })
    return Layer.succeed(Tracer.Tracer, tracer)
  }))
