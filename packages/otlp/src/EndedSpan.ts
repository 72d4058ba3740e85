/**
 * An ended span of the toolkit's tracers as an OpenTelemetry SDK span processor reads it
 * (`ReadableSpan`: the stdout exporter, tests), and the span values both Effect lines' tracers
 * share: span kinds, recorded events, and how a span ended (`Outcome`). Conversions (attribute
 * values, times, events) happen on first read, in the exporter's turn, not when the span ends.
 *
 * Plain TypeScript, no Effect: each line passes its own span through the structural shapes below,
 * how its exit became an `Outcome`, and its attribute value conversion.
 *
 * @example
 * ```ts
 * processor.onEnd(new EndedSpan.EndedSpan(span, shared, start, end, () => outcomeOf(exit, end), events, toAttributeValue))
 * ```
 */
import * as OtelApi from "@opentelemetry/api"
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base"
import * as SpanLimits from "./SpanLimits.js"

/** Effect's span kinds (both lines name them alike) as OpenTelemetry's. */
export const KINDS: Record<"internal" | "server" | "client" | "producer" | "consumer", OtelApi.SpanKind> = {
  internal: OtelApi.SpanKind.INTERNAL,
  server: OtelApi.SpanKind.SERVER,
  client: OtelApi.SpanKind.CLIENT,
  producer: OtelApi.SpanKind.PRODUCER,
  consumer: OtelApi.SpanKind.CONSUMER
}

export const NO_ATTRIBUTES: OtelApi.Attributes = Object.freeze({})
export const NO_LINKS: Array<OtelApi.Link> = []

/** An event a span recorded, at epoch nanoseconds. */
export interface RecordedEvent {
  readonly name: string
  readonly time: bigint
  readonly attributes: Record<string, unknown> | undefined
}

/** How a span ended, as OpenTelemetry reports it: status, extra attributes, an exception event. */
export interface Outcome {
  readonly code: OtelApi.SpanStatusCode
  readonly message: string | undefined
  readonly attributes: Record<string, unknown> | undefined
  readonly exception: RecordedEvent | undefined
}

/** A span another span refers to (its parent, a link's target), as both lines' spans have it. */
export interface SpanRef {
  readonly _tag: string
  readonly traceId: string
  readonly spanId: string
  readonly sampled: boolean
}

/** What the view reads of a tracer's span. */
export interface EndingSpan {
  readonly name: string
  readonly kind: keyof typeof KINDS
  readonly traceId: string
  readonly spanId: string
  readonly parent: { readonly _tag: "Some"; readonly value: SpanRef } | { readonly _tag: "None" }
  readonly links: ReadonlyArray<{ readonly span: SpanRef; readonly attributes: Readonly<Record<string, unknown>> }>
  readonly attributes: ReadonlyMap<string, unknown>
  readonly droppedAttributes: number
  readonly droppedEvents: number
  readonly droppedLinks: number
}

/** What every span of one tracer shares that the view reports. */
export interface Origin {
  readonly resource: ReadableSpan["resource"]
  readonly scope: ReadableSpan["instrumentationScope"]
  readonly limits: SpanLimits.SpanLimits
}

const BILLION = BigInt(1_000_000_000)

const hrTime = (nanos: bigint): OtelApi.HrTime => [Number(nanos / BILLION), Number(nanos % BILLION)]

/** An ended span as a span processor reads it; converted on first read. */
export class EndedSpan implements ReadableSpan {
  readonly ended = true
  readonly droppedAttributesCount: number
  readonly droppedEventsCount: number
  readonly droppedLinksCount: number
  readonly name: string
  readonly kind: OtelApi.SpanKind
  readonly resource: ReadableSpan["resource"]
  readonly instrumentationScope: ReadableSpan["instrumentationScope"]
  readonly parentSpanContext?: OtelApi.SpanContext
  private readonly context: OtelApi.SpanContext
  private converted: { attributes: OtelApi.Attributes; events: Array<TimedEvent>; status: OtelApi.SpanStatus } | undefined

  constructor(
    private readonly span: EndingSpan,
    private readonly shared: Origin,
    private readonly start: bigint,
    private readonly end: bigint,
    /** How the span ended: asked for on first read only (describing a failure costs). */
    private readonly outcome: () => Outcome,
    private readonly recordedEvents: ReadonlyArray<RecordedEvent> | undefined,
    /** The line's conversion of an attribute value. */
    private readonly toAttributeValue: (value: unknown) => OtelApi.AttributeValue
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
      const { attributes, dropped } = SpanLimits.limitRecord(
        this.toAttributes(Object.entries(link.attributes), limits.attributeValueLengthLimit),
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

  private toAttributes(entries: Iterable<readonly [string, unknown]>, valueLimit: number): OtelApi.Attributes {
    const attributes: OtelApi.Attributes = {}
    for (const [key, value] of entries) {
      attributes[key] = SpanLimits.truncateValue(this.toAttributeValue(value), valueLimit)
    }
    return attributes
  }

  private convert() {
    if (this.converted !== undefined) return this.converted
    const limits = this.shared.limits
    const valueLimit = limits.attributeValueLengthLimit
    const outcome = this.outcome()
    const attributes = this.span.attributes.size === 0 ? {} : this.toAttributes(this.span.attributes, valueLimit)
    if (outcome.attributes !== undefined) Object.assign(attributes, outcome.attributes)
    const recorded = outcome.exception === undefined ? this.recordedEvents ?? [] : [...this.recordedEvents ?? [], outcome.exception]
    const events: Array<TimedEvent> = recorded.slice(0, limits.eventCountLimit).map((event) => {
      if (event.attributes === undefined) return { name: event.name, time: hrTime(event.time), attributes: NO_ATTRIBUTES, droppedAttributesCount: 0 }
      const limited = SpanLimits.limitRecord(
        this.toAttributes(Object.entries(event.attributes), valueLimit),
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
