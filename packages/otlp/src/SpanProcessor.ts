import { TraceFlags } from "@opentelemetry/api"
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { Pipeline } from "./Pipeline.js"
import * as SpanEncoder from "./SpanEncoder.js"
import type * as SpanLimits from "./SpanLimits.js"
import type { Switch } from "./Switch.js"

/**
 * Hands every sampled span of the SDK's tracer provider (spans made through the OpenTelemetry
 * API: `trace.getTracer(...)`) to the export pipeline as it ends, while exporting is switched on,
 * as the pipeline's item (`toItem`).
 */
export class PipelineSpanProcessor<Item> implements SpanProcessor {
  /**
   * Shut down: spans that end now are ignored, as the SDK's processors do. They come from
   * tracers that outlive the provider (an instrumentation keeps the one it was given).
   */
  private shutDown = false

  constructor(
    private readonly pipeline: Pipeline<Item, unknown>,
    private readonly shutdownTimeoutMillis: number,
    private readonly exporting: Switch,
    private readonly toItem: (span: ReadableSpan) => Item
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (!this.shutDown && this.exporting.on && (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED) {
      this.pipeline.offer(this.toItem(span))
    }
  }

  forceFlush(): Promise<void> {
    return this.pipeline.flush()
  }

  shutdown(): Promise<void> {
    return this.pipeline.shutdown(this.shutdownTimeoutMillis).then(() => void (this.shutDown = true))
  }
}

const nanos = (time: readonly [number, number]): bigint => BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])

/** An SDK span as the encoder's record (the SDK has applied the span limits already). */
const recordOf = (span: ReadableSpan): SpanEncoder.SpanRecord => {
  const context = span.spanContext()
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: context.traceFlags,
    traceState: context.traceState?.serialize(),
    parentSpanId: span.parentSpanContext?.spanId,
    parentIsRemote: span.parentSpanContext?.isRemote,
    name: span.name,
    kind: span.kind,
    startTime: nanos(span.startTime),
    endTime: nanos(span.endTime),
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({ name: event.name, time: nanos(event.time), attributes: event.attributes })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceFlags: link.context.traceFlags,
      traceState: link.context.traceState?.serialize(),
      isRemote: link.context.isRemote,
      attributes: link.attributes
    })),
    droppedLinksCount: span.droppedLinksCount,
    statusCode: span.status.code,
    statusMessage: span.status.message
  }
}

/**
 * Encodes SDK spans as whole requests, one encoder per instrumentation scope (a library's spans
 * carry its own scope, and the resource may differ from the tracer's).
 */
export const sdkSpanEncoder = (limits: SpanLimits.SpanLimits): (span: ReadableSpan) => SpanEncoder.Item => {
  const encoders = new WeakMap<object, WeakMap<object, SpanEncoder.SpanEncoder>>()
  return (span) => {
    let byScope = encoders.get(span.resource)
    if (byScope === undefined) encoders.set(span.resource, byScope = new WeakMap())
    let encoder = byScope.get(span.instrumentationScope)
    if (encoder === undefined) {
      encoder = new SpanEncoder.SpanEncoder({ resource: span.resource, scope: span.instrumentationScope, limits })
      byScope.set(span.instrumentationScope, encoder)
    }
    return SpanEncoder.standalone(encoder, recordOf(span))
  }
}
