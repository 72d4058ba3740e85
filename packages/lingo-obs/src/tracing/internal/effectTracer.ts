/**
 * Effect 4's `Tracer`, implemented straight onto the export pipeline (the Effect 3 line's tracer,
 * ported to Effect 4.1's `Tracer.make` contract). Each `Effect.withSpan`
 * makes one small span object; when a sampled span ends it is either written at once as OTLP
 * bytes by the span encoder (the OTLP exporters: nothing of the span outlives its end, so the
 * garbage collector reclaims it young), or handed as one plain record in the shape the SDK reads
 * (`ReadableSpan`) to a span processor (stdout, tests). Compared with bridging through an SDK
 * tracer, this skips an SDK span per Effect span, the copying of attributes into both, and an
 * OpenTelemetry context object per span (see the README's performance section).
 *
 * The span limits (attribute, event and link counts) are applied as the span records them, the
 * dropped counts kept on the span; value lengths are cut when the span is written.
 *
 * Interop with the OpenTelemetry API is kept: while a fiber runs, its current span is the
 * active OpenTelemetry context (libraries using `trace.getTracer` become its children), and an
 * Effect root span started inside an active OpenTelemetry span becomes that span's child.
 *
 * Effect 4 decides part of sampling itself and passes it as `sampled`: false under an unsampled
 * parent or below `Tracer.MinimumTraceLevel`. The configured sampler can only narrow that.
 */
import * as OtelApi from "@opentelemetry/api"
import type { InstrumentationScope } from "@opentelemetry/core"
import type { Resource } from "@opentelemetry/resources"
import type { ReadableSpan, Sampler, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace-base"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as EffectTracer from "effect/Tracer"
import type { FiberContextManager } from "@lingo-obs/otlp/ContextManager"
import { type EventRecord, randomId, type SpanRecord } from "@lingo-obs/otlp/SpanEncoder"
import { limitRecord, type SpanLimits, truncateValue } from "@lingo-obs/otlp/SpanLimits"
import { toAttributeValue } from "../../internal/engineSeam.js"
import { STATUS_UNSET } from "../../Instrumentation.js"

/** The part of the engine's `SpanEncoder` the tracer calls: one span to OTLP bytes. */
export interface SpanRecordEncoder {
  encodeSpan(span: SpanRecord): Uint8Array
}

/** How root spans are sampled, and whether children follow their parent. */
export interface Sampling {
  /** The sampler of root spans (and of every span when not parent-based). */
  readonly root: () => Sampler
  readonly parentBased: boolean
}

/** Where ended spans go: written as OTLP bytes at once, or handed to a span processor. */
export type Export =
  | {
    readonly _tag: "Encoded"
    readonly encoder: SpanRecordEncoder
    /** Consulted before a span is written, so that nothing is encoded while export is off. */
    readonly accepting: () => boolean
    readonly offer: (span: Uint8Array) => void
  }
  | { readonly _tag: "Processor"; readonly processor: SpanProcessor }

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
// Values
// -------------------------------------------------------------------------------------------

const BILLION = BigInt(1_000_000_000)

const hrTime = (nanos: bigint): OtelApi.HrTime => [Number(nanos / BILLION), Number(nanos % BILLION)]

const toAttributes = (entries: Iterable<readonly [string, unknown]>, valueLimit: number): OtelApi.Attributes => {
  const attributes: OtelApi.Attributes = {}
  for (const [key, value] of entries) {
    attributes[key] = truncateValue(toAttributeValue(value), valueLimit)
  }
  return attributes
}

/** Effect attribute values as the encoder writes them (a Map, converted value by value). */
const encodableAttributes = (attributes: ReadonlyMap<string, unknown>): Map<string, unknown> | undefined => {
  if (attributes.size === 0) return undefined
  let converted: Map<string, unknown> | undefined
  attributes.forEach((value, key) => {
    const attribute = toAttributeValue(value)
    if (attribute !== value) (converted ??= new Map(attributes)).set(key, attribute)
  })
  return (converted ?? attributes) as Map<string, unknown>
}

const recordOf = (record: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
  if (record === undefined) return undefined
  let converted: Record<string, unknown> | undefined
  for (const key in record) {
    const value = record[key]
    const attribute = toAttributeValue(value)
    if (attribute !== value) (converted ??= { ...record })[key] = attribute
  }
  return converted ?? record
}

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
  readonly export: Export
  readonly resource: Resource
  readonly scope: InstrumentationScope
  readonly limits: SpanLimits
}

/** How a span ended, as OpenTelemetry reports it: status, extra attributes, an exception event. */
interface Outcome {
  readonly code: OtelApi.SpanStatusCode
  readonly message: string | undefined
  readonly attributes: Record<string, unknown> | undefined
  readonly exception: RecordedEvent | undefined
}

const OK: Outcome = { code: OtelApi.SpanStatusCode.OK, message: undefined, attributes: undefined, exception: undefined }
const INTERRUPTED: Outcome = {
  code: OtelApi.SpanStatusCode.OK,
  message: undefined,
  attributes: { "span.label": "⚠︎ Interrupted", "status.interrupted": true },
  exception: undefined
}

/** A span an instrumentation ended without judging it OK (`Instrumentation.unsetExit`). */
const UNSET: Outcome = { code: OtelApi.SpanStatusCode.UNSET, message: undefined, attributes: undefined, exception: undefined }

const outcomeOf = (exit: Exit.Exit<unknown, unknown>, end: bigint): Outcome => {
  if (exit._tag === "Success") return exit.value === STATUS_UNSET ? UNSET : OK
  if (Cause.hasInterruptsOnly(exit.cause)) return INTERRUPTED
  const error = Cause.prettyErrors(exit.cause)[0]
  if (error === undefined) return OK
  return {
    code: OtelApi.SpanStatusCode.ERROR,
    message: error.message,
    attributes: undefined,
    exception: {
      name: "exception",
      time: end,
      attributes: {
        "exception.type": error.name,
        "exception.message": error.message,
        "exception.stacktrace": Cause.pretty(exit.cause)
      }
    }
  }
}

/** The OpenTelemetry context key of the active span (`trace.setSpan` stores the span under it). */
const SPAN_KEY = OtelApi.createContextKey("OpenTelemetry Context Key SPAN")

/**
 * Whether a span can stand in for its own OpenTelemetry context (the API looks the active span up
 * under `SPAN_KEY`); checked once against the installed API, otherwise contexts are made eagerly.
 */
const LAZY_CONTEXT = (() => {
  const marker = OtelApi.trace.wrapSpanContext(OtelApi.INVALID_SPAN_CONTEXT)
  const probe = { getValue: (key: symbol) => (key === SPAN_KEY ? marker : undefined) } as unknown as OtelApi.Context
  return OtelApi.trace.getSpan(probe) === marker
})()

class ExportingSpan implements EffectTracer.Span, OtelApi.Context {
  readonly _tag = "Span"
  readonly spanId: string
  readonly traceId: string
  private ownAttributes: Map<string, unknown> | undefined
  status: EffectTracer.SpanStatus
  private events: Array<RecordedEvent> | undefined
  private otelSpan: OtelApi.Span | undefined
  private otelContext: OtelApi.Context | undefined
  droppedAttributes = 0
  droppedEvents = 0
  droppedLinks = 0

  constructor(
    private readonly shared: Shared,
    readonly name: string,
    readonly parent: Option.Option<EffectTracer.AnySpan>,
    readonly annotations: Context.Context<never>,
    public links: ReadonlyArray<EffectTracer.SpanLink>,
    startTime: bigint,
    readonly kind: EffectTracer.SpanKind,
    traceId: string,
    readonly sampled: boolean
  ) {
    this.traceId = traceId
    this.spanId = randomId(8)
    this.status = { _tag: "Started", startTime }
    if (links.length > shared.limits.linkCountLimit) {
      this.droppedLinks = links.length - shared.limits.linkCountLimit
      this.links = links.slice(0, shared.limits.linkCountLimit)
    }
  }

  /** Most spans carry no attributes: the map is made on the first one. */
  get attributes(): ReadonlyMap<string, unknown> {
    return this.ownAttributes ?? NO_SPAN_ATTRIBUTES
  }

  attribute(key: string, value: unknown): void {
    const attributes = this.ownAttributes ??= new Map()
    // New keys beyond the limit are dropped; a kept key may still change, as the spec says.
    if (attributes.size >= this.shared.limits.attributeCountLimit && !attributes.has(key)) {
      this.droppedAttributes++
      return
    }
    attributes.set(key, value)
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    const events = this.events ??= []
    if (events.length >= this.shared.limits.eventCountLimit) {
      this.droppedEvents++
      return
    }
    events.push({ name, time: startTime, attributes })
  }

  addLinks(links: ReadonlyArray<EffectTracer.SpanLink>): void {
    const room = Math.max(0, this.shared.limits.linkCountLimit - this.links.length)
    this.droppedLinks += Math.max(0, links.length - room)
    this.links = [...this.links, ...links.slice(0, room)]
  }

  // The span is its own OpenTelemetry context: made active for each operation of its fiber, it
  // builds the API's span object only when a library asks for the active span.

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.otelSpan ??= OtelApi.trace.wrapSpanContext(this.spanContext()) : undefined
  }

  setValue(key: symbol, value: unknown): OtelApi.Context {
    return this.materialized().setValue(key, value)
  }

  deleteValue(key: symbol): OtelApi.Context {
    return this.materialized().deleteValue(key)
  }

  /** A real OpenTelemetry context with this span active (what deriving a context starts from). */
  private materialized(): OtelApi.Context {
    return this.otelContext ??= OtelApi.trace.setSpanContext(OtelApi.ROOT_CONTEXT, this.spanContext())
  }

  private spanContext(): OtelApi.SpanContext {
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      traceFlags: this.sampled ? OtelApi.TraceFlags.SAMPLED : OtelApi.TraceFlags.NONE,
      isRemote: false
    }
  }

  /** The OpenTelemetry context with this span active, for API calls made while it runs. */
  activeContext(): OtelApi.Context {
    return LAZY_CONTEXT ? this : this.materialized()
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    const startTime = this.status.startTime
    this.status = { _tag: "Ended", startTime, endTime, exit }
    if (!this.sampled) return
    const sink = this.shared.export
    if (sink._tag === "Processor") {
      sink.processor.onEnd(new EndedSpan(this, this.shared, startTime, endTime, exit, this.events))
    } else if (sink.accepting()) {
      sink.offer(sink.encoder.encodeSpan(this.record(startTime, endTime, exit)))
    }
  }

  /** What the encoder writes for this span. */
  private record(startTime: bigint, endTime: bigint, exit: Exit.Exit<unknown, unknown>): SpanRecord {
    const outcome = outcomeOf(exit, endTime)
    const parent = this.parent._tag === "Some" ? this.parent.value : undefined
    const recorded = this.events
    let events: ReadonlyArray<EventRecord> | undefined = recorded
    if (recorded !== undefined && recorded.some((event) => event.attributes !== undefined)) {
      events = recorded.map((event) => ({ ...event, attributes: recordOf(event.attributes) }))
    }
    let droppedEvents = this.droppedEvents
    if (outcome.exception !== undefined) {
      if ((events?.length ?? 0) < this.shared.limits.eventCountLimit) events = [...(events ?? []), outcome.exception]
      else droppedEvents++
    }
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      traceFlags: OtelApi.TraceFlags.SAMPLED,
      parentSpanId: parent?.spanId,
      parentIsRemote: parent?._tag === "ExternalSpan",
      name: this.name,
      kind: KINDS[this.kind],
      startTime,
      endTime,
      attributes: this.ownAttributes === undefined ? undefined : encodableAttributes(this.ownAttributes),
      extraAttributes: outcome.attributes,
      droppedAttributesCount: this.droppedAttributes,
      events,
      droppedEventsCount: droppedEvents,
      links: this.links.length === 0 ? undefined : this.links.map((link) => ({
        traceId: link.span.traceId,
        spanId: link.span.spanId,
        traceFlags: link.span.sampled ? OtelApi.TraceFlags.SAMPLED : OtelApi.TraceFlags.NONE,
        isRemote: link.span._tag === "ExternalSpan",
        attributes: recordOf(link.attributes)
      })),
      droppedLinksCount: this.droppedLinks,
      statusCode: outcome.code,
      statusMessage: outcome.message
    }
  }
}

/**
 * An ended span as a span processor reads it (stdout, tests). Conversions (attribute values,
 * times, events) happen on first read, in the exporter's turn, not when the span ends.
 */
class EndedSpan implements ReadableSpan {
  readonly ended = true
  readonly droppedAttributesCount: number
  readonly droppedEventsCount: number
  readonly droppedLinksCount: number
  readonly name: string
  readonly kind: OtelApi.SpanKind
  readonly resource: Resource
  readonly instrumentationScope: InstrumentationScope
  readonly parentSpanContext?: OtelApi.SpanContext
  private readonly context: OtelApi.SpanContext
  private converted: { attributes: OtelApi.Attributes; events: Array<TimedEvent>; status: OtelApi.SpanStatus } | undefined

  constructor(
    private readonly span: ExportingSpan,
    private readonly shared: Shared,
    private readonly start: bigint,
    private readonly end: bigint,
    private readonly exit: Exit.Exit<unknown, unknown>,
    private readonly recordedEvents: ReadonlyArray<RecordedEvent> | undefined
  ) {
    this.name = span.name
    this.kind = KINDS[span.kind]
    this.resource = shared.resource
    this.instrumentationScope = shared.scope
    this.droppedAttributesCount = span.droppedAttributes
    this.droppedEventsCount = span.droppedEvents
    this.droppedLinksCount = span.droppedLinks
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
    const limits = this.shared.limits
    return this.span.links.length === 0 ? NO_LINKS : this.span.links.map((link) => {
      const { attributes, dropped } = limitRecord(
        toAttributes(Object.entries(link.attributes), limits.attributeValueLengthLimit),
        limits.linkAttributeCountLimit,
        limits.attributeValueLengthLimit
      )
      return {
        context: {
          traceId: link.span.traceId,
          spanId: link.span.spanId,
          traceFlags: link.span.sampled ? OtelApi.TraceFlags.SAMPLED : OtelApi.TraceFlags.NONE
        },
        attributes,
        droppedAttributesCount: dropped
      }
    })
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
    const limits = this.shared.limits
    const valueLimit = limits.attributeValueLengthLimit
    const outcome = outcomeOf(this.exit, this.end)
    const attributes = this.span.attributes.size === 0 ? {} : toAttributes(this.span.attributes, valueLimit)
    if (outcome.attributes !== undefined) Object.assign(attributes, outcome.attributes)
    const recorded = outcome.exception === undefined ? this.recordedEvents ?? [] : [...this.recordedEvents ?? [], outcome.exception]
    const events: Array<TimedEvent> = recorded.slice(0, limits.eventCountLimit).map((event) => {
      if (event.attributes === undefined) return { name: event.name, time: hrTime(event.time), attributes: NO_ATTRIBUTES, droppedAttributesCount: 0 }
      const limited = limitRecord(
        toAttributes(Object.entries(event.attributes), valueLimit),
        limits.eventAttributeCountLimit,
        valueLimit
      )
      return { name: event.name, time: hrTime(event.time), attributes: limited.attributes, droppedAttributesCount: limited.dropped }
    })
    if (recorded.length > limits.eventCountLimit) {
      ;(this as { droppedEventsCount: number }).droppedEventsCount += recorded.length - limits.eventCountLimit
    }
    const status: OtelApi.SpanStatus = outcome.message === undefined ? { code: outcome.code } : { code: outcome.code, message: outcome.message }
    return this.converted = { attributes, events, status }
  }
}

/** The parent an Effect root span takes from the active OpenTelemetry context, if any. */
const otelParent = (annotations: Context.Context<never>): Option.Option<EffectTracer.AnySpan> => {
  const active = OtelApi.trace.getSpanContext(OtelApi.context.active())
  return active === undefined || !OtelApi.isSpanContextValid(active)
    ? Option.none()
    : Option.some(EffectTracer.externalSpan({
      traceId: active.traceId,
      spanId: active.spanId,
      sampled: (active.traceFlags & OtelApi.TraceFlags.SAMPLED) === OtelApi.TraceFlags.SAMPLED,
      annotations
    }))
}

const isPropagationDisabled = (span: EffectTracer.AnySpan) => Context.get(span.annotations, EffectTracer.DisablePropagation)

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
    span({ annotations, kind, links, name, parent, root, sampled, startTime }) {
      const effectiveParent = parent._tag === "Some" || root ? parent : otelParent(annotations)
      const parentSpan = effectiveParent._tag === "Some" ? effectiveParent.value : undefined
      const traceId = parentSpan?.traceId ?? randomId(16)
      // Effect's `sampled` (parent unsampled, level below MinimumTraceLevel) is a veto; the
      // configured sampler then decides, or the parent when parent-based.
      const decided = sampled && (parentSpan !== undefined && sampling.parentBased
        ? parentSpan.sampled
        : sampling.root().shouldSample(OtelApi.ROOT_CONTEXT, traceId, name, KINDS[kind], NO_ATTRIBUTES, NO_LINKS)
          .decision === 2) // SamplingDecision.RECORD_AND_SAMPLED
      return new ExportingSpan(options, name, effectiveParent, annotations, links, startTime, kind, traceId, decided)
    },
    // Called as `fiber.cache.tracerContext(primitive, fiber)` before every operation a fiber runs
    // (so `this` is not the tracer): it must evaluate the primitive. The common case (the same
    // span as the previous operation) costs one comparison when the context manager trusts it.
    context(primitive, fiber) {
      const span = fiber.cache.span
      if (span === lastSpan && contextManager.trusted()) return primitive[EVALUATE](fiber)
      lastSpan = span
      if (span === undefined || isPropagationDisabled(span)) {
        contextManager.leave()
      } else {
        contextManager.enter(span instanceof ExportingSpan ? span.activeContext() : externalContext(span))
      }
      return primitive[EVALUATE](fiber)
    }
  })
}

/** The method Effect 4's primitives are evaluated by (`Tracer.EffectPrimitive`). */
const EVALUATE = "~effect/Effect/evaluate" as const
