/**
 * Effect's `Tracer`, implemented straight onto the export pipeline. Each `Effect.withSpan`
 * makes one small span object; when a sampled span ends, one plain record in the shape the
 * OTLP serializer reads (`ReadableSpan`) goes to the span processor. Compared with bridging
 * through an SDK tracer, this skips an SDK span per Effect span, the copying of attributes into
 * both, and an OpenTelemetry context object per span, which is where most of the bridge's cost
 * went (see the README's performance section).
 *
 * Interop with the OpenTelemetry API is kept: while a fiber runs, its current span is the
 * active OpenTelemetry context (libraries using `trace.getTracer` become its children), and an
 * Effect root span started inside an active OpenTelemetry span becomes that span's child.
 */
import { Attributes } from "@lingo-obs/core"
import * as OtelApi from "@opentelemetry/api"
import type { InstrumentationScope } from "@opentelemetry/core"
import type { Resource } from "@opentelemetry/resources"
import type { ReadableSpan, Sampler, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace-base"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as EffectTracer from "effect/Tracer"
import type { FiberContextManager } from "./contextManager.js"

/** How root spans are sampled, and whether children follow their parent. */
export interface Sampling {
  /** The sampler of root spans (and of every span when not parent-based). */
  readonly root: () => Sampler
  readonly parentBased: boolean
}

const KINDS: Record<EffectTracer.SpanKind, OtelApi.SpanKind> = {
  internal: OtelApi.SpanKind.INTERNAL,
  server: OtelApi.SpanKind.SERVER,
  client: OtelApi.SpanKind.CLIENT,
  producer: OtelApi.SpanKind.PRODUCER,
  consumer: OtelApi.SpanKind.CONSUMER
}

const NO_ATTRIBUTES: OtelApi.Attributes = Object.freeze({})
const NO_SPAN_ATTRIBUTES: ReadonlyMap<string, unknown> = new Map()
const NO_LINKS: Array<OtelApi.Link> = []

// -------------------------------------------------------------------------------------------
// Ids: random, never all zero (an all-zero id is invalid)
// -------------------------------------------------------------------------------------------

const idBytes = Buffer.alloc(16)

const randomId = (bytes: 8 | 16): string => {
  for (;;) {
    for (let offset = 0; offset < bytes; offset += 4) idBytes.writeUInt32BE((Math.random() * 0x1_0000_0000) >>> 0, offset)
    const id = idBytes.toString("hex", 0, bytes)
    if (id !== "0".repeat(bytes * 2)) return id
  }
}

// -------------------------------------------------------------------------------------------
// Values
// -------------------------------------------------------------------------------------------

const BILLION = BigInt(1_000_000_000)

const hrTime = (nanos: bigint): OtelApi.HrTime => [Number(nanos / BILLION), Number(nanos % BILLION)]


const toAttributes = (entries: Iterable<readonly [string, unknown]>): OtelApi.Attributes => {
  const attributes: OtelApi.Attributes = {}
  for (const [key, value] of entries) attributes[key] = Attributes.toAttributeValue(value)
  return attributes
}

const linkOf = (link: EffectTracer.SpanLink): OtelApi.Link => ({
  context: {
    traceId: link.span.traceId,
    spanId: link.span.spanId,
    traceFlags: link.span.sampled ? OtelApi.TraceFlags.SAMPLED : OtelApi.TraceFlags.NONE
  },
  attributes: toAttributes(Object.entries(link.attributes))
})

// -------------------------------------------------------------------------------------------
// Spans
// -------------------------------------------------------------------------------------------

interface RecordedEvent {
  readonly name: string
  readonly time: bigint
  readonly attributes: Record<string, unknown> | undefined
}

/** What every span of one tracer shares. */
interface Shared {
  readonly processor: SpanProcessor
  readonly resource: Resource
  readonly scope: InstrumentationScope
}

class ExportingSpan implements EffectTracer.Span {
  readonly _tag = "Span"
  readonly spanId: string
  readonly traceId: string
  private ownAttributes: Map<string, unknown> | undefined
  status: EffectTracer.SpanStatus
  private events: Array<RecordedEvent> | undefined
  private otelContext: OtelApi.Context | undefined

  constructor(
    private readonly shared: Shared,
    readonly name: string,
    readonly parent: Option.Option<EffectTracer.AnySpan>,
    readonly context: Context.Context<never>,
    public links: ReadonlyArray<EffectTracer.SpanLink>,
    startTime: bigint,
    readonly kind: EffectTracer.SpanKind,
    traceId: string,
    readonly sampled: boolean
  ) {
    this.traceId = traceId
    this.spanId = randomId(8)
    this.status = { _tag: "Started", startTime }
  }

  /** Most spans carry no attributes: the map is made on the first one. */
  get attributes(): ReadonlyMap<string, unknown> {
    return this.ownAttributes ?? NO_SPAN_ATTRIBUTES
  }

  attribute(key: string, value: unknown): void {
    ;(this.ownAttributes ??= new Map()).set(key, value)
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    ;(this.events ??= []).push({ name, time: startTime, attributes })
  }

  addLinks(links: ReadonlyArray<EffectTracer.SpanLink>): void {
    this.links = [...this.links, ...links]
  }

  /** The OpenTelemetry context with this span active, for API calls made while it runs. */
  activeContext(): OtelApi.Context {
    return this.otelContext ??= OtelApi.trace.setSpanContext(OtelApi.ROOT_CONTEXT, {
      traceId: this.traceId,
      spanId: this.spanId,
      traceFlags: this.sampled ? OtelApi.TraceFlags.SAMPLED : OtelApi.TraceFlags.NONE,
      isRemote: false
    })
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    const startTime = this.status.startTime
    this.status = { _tag: "Ended", startTime, endTime, exit }
    if (this.sampled) this.shared.processor.onEnd(new EndedSpan(this, this.shared, startTime, endTime, exit, this.events))
  }
}

/**
 * An ended span as the processor and the OTLP serializer read it. Conversions (attribute values,
 * times, events) happen on first read, in the exporter's turn, not when the span ends.
 */
class EndedSpan implements ReadableSpan {
  readonly ended = true
  readonly droppedAttributesCount = 0
  readonly droppedEventsCount = 0
  readonly droppedLinksCount = 0
  readonly name: string
  readonly kind: OtelApi.SpanKind
  readonly resource: Resource
  readonly instrumentationScope: InstrumentationScope
  readonly parentSpanContext?: OtelApi.SpanContext
  private readonly context: OtelApi.SpanContext
  private converted: { attributes: OtelApi.Attributes; events: Array<TimedEvent>; status: OtelApi.SpanStatus } | undefined

  constructor(
    private readonly span: ExportingSpan,
    shared: Shared,
    private readonly start: bigint,
    private readonly end: bigint,
    private readonly exit: Exit.Exit<unknown, unknown>,
    private readonly recordedEvents: ReadonlyArray<RecordedEvent> | undefined
  ) {
    this.name = span.name
    this.kind = KINDS[span.kind]
    this.resource = shared.resource
    this.instrumentationScope = shared.scope
    this.context = { traceId: span.traceId, spanId: span.spanId, traceFlags: OtelApi.TraceFlags.SAMPLED }
    const parent = span.parent._tag === "Some" ? span.parent.value : undefined
    if (parent !== undefined) {
      this.parentSpanContext = {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.sampled ? OtelApi.TraceFlags.SAMPLED : OtelApi.TraceFlags.NONE,
        isRemote: parent._tag === "ExternalSpan"
      }
    }
  }

  spanContext(): OtelApi.SpanContext {
    return this.context
  }

  get startTime(): OtelApi.HrTime {
    return hrTime(this.start)
  }

  get endTime(): OtelApi.HrTime {
    return hrTime(this.end)
  }

  get duration(): OtelApi.HrTime {
    return hrTime(this.end > this.start ? this.end - this.start : BigInt(0))
  }

  get links(): Array<OtelApi.Link> {
    return this.span.links.length === 0 ? NO_LINKS : this.span.links.map(linkOf)
  }

  get attributes(): OtelApi.Attributes {
    return this.convert().attributes
  }

  get events(): Array<TimedEvent> {
    return this.convert().events
  }

  get status(): OtelApi.SpanStatus {
    return this.convert().status
  }

  private convert() {
    if (this.converted !== undefined) return this.converted
    const attributes = this.span.attributes.size === 0 ? {} : toAttributes(this.span.attributes)
    const events: Array<TimedEvent> = (this.recordedEvents ?? []).map((event) => ({
      name: event.name,
      time: hrTime(event.time),
      attributes: event.attributes === undefined ? NO_ATTRIBUTES : toAttributes(Object.entries(event.attributes)),
      droppedAttributesCount: 0
    }))
    let status: OtelApi.SpanStatus = { code: OtelApi.SpanStatusCode.OK }
    if (this.exit._tag === "Failure") {
      if (Cause.isInterruptedOnly(this.exit.cause)) {
        attributes["span.label"] = "⚠︎ Interrupted"
        attributes["status.interrupted"] = true
      } else {
        const error = Cause.prettyErrors(this.exit.cause)[0]
        if (error !== undefined) {
          status = { code: OtelApi.SpanStatusCode.ERROR, message: error.message }
          events.push({
            name: "exception",
            time: hrTime(this.end),
            attributes: {
              "exception.type": error.name,
              "exception.message": error.message,
              "exception.stacktrace": Cause.pretty(this.exit.cause, { renderErrorCause: true })
            },
            droppedAttributesCount: 0
          })
        }
      }
    }
    return this.converted = { attributes, events, status }
  }
}

/** The parent an Effect root span takes from the active OpenTelemetry context, if any. */
const otelParent = (context: Context.Context<never>): Option.Option<EffectTracer.AnySpan> => {
  const active = OtelApi.trace.getSpanContext(OtelApi.context.active())
  return active === undefined || !OtelApi.isSpanContextValid(active)
    ? Option.none()
    : Option.some(EffectTracer.externalSpan({
      traceId: active.traceId,
      spanId: active.spanId,
      sampled: (active.traceFlags & OtelApi.TraceFlags.SAMPLED) === OtelApi.TraceFlags.SAMPLED,
      context
    }))
}

const isPropagationDisabled = (span: EffectTracer.AnySpan) => Context.get(span.context, EffectTracer.DisablePropagation)

/** The contexts of spans made elsewhere (an extracted parent), one per span so `enter` can compare. */
const externalContexts = new WeakMap<EffectTracer.AnySpan, OtelApi.Context>()
const externalContext = (span: EffectTracer.AnySpan): OtelApi.Context => {
  let context = externalContexts.get(span)
  if (context === undefined) {
    context = OtelApi.trace.setSpanContext(OtelApi.ROOT_CONTEXT, {
      traceId: span.traceId,
      spanId: span.spanId,
      traceFlags: span.sampled ? OtelApi.TraceFlags.SAMPLED : OtelApi.TraceFlags.NONE,
      isRemote: span._tag === "ExternalSpan"
    })
    externalContexts.set(span, context)
  }
  return context
}

/**
 * The tracer. `sampling.root()` is read for each root span, so a sampler swapped at run time
 * applies to the next root.
 */
export const make = (
  options: Shared & { readonly sampling: Sampling; readonly contextManager: FiberContextManager }
): EffectTracer.Tracer => {
  const { contextManager, sampling } = options
  let lastSpan: EffectTracer.AnySpan | undefined
  return EffectTracer.make({
    span(name, parent, context, links, startTime, kind, spanOptions) {
      const effectiveParent = parent._tag === "Some" || spanOptions?.root === true ? parent : otelParent(context)
      const parentSpan = effectiveParent._tag === "Some" ? effectiveParent.value : undefined
      const traceId = parentSpan?.traceId ?? randomId(16)
      const sampled = parentSpan !== undefined && sampling.parentBased
        ? parentSpan.sampled
        : sampling.root().shouldSample(OtelApi.ROOT_CONTEXT, traceId, name, KINDS[kind], NO_ATTRIBUTES, NO_LINKS)
          .decision === 2 // SamplingDecision.RECORD_AND_SAMPLED
      return new ExportingSpan(
        options,
        name,
        effectiveParent,
        context,
        links,
        startTime,
        kind,
        traceId,
        sampled
      )
    },
    context(execution, fiber) {
      // Called for every operation a fiber runs: the common case (same span as the previous
      // operation, in the same synchronous run) costs one comparison.
      const span = fiber.currentSpan
      if (span === lastSpan && contextManager.trusted()) return execution()
      lastSpan = span
      if (span === undefined || isPropagationDisabled(span)) {
        contextManager.leave()
      } else {
        contextManager.enter(span instanceof ExportingSpan ? span.activeContext() : externalContext(span))
      }
      return execution()
    }
  })
}
