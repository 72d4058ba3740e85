/**
 * The `stdout` exporter's output, one JSON object per line, for both Effect lines: spans, metrics
 * and log records with ids in hex and times in microseconds since the epoch, and the resource
 * either in full once at start (`stdoutResource: once`, see `resourceLine`) or on each record.
 *
 * @example
 * ```ts
 * process.stdout.write(StdoutJson.resourceLine(resource.attributes))
 * process.stdout.write(StdoutJson.encodeSpans(spans, "once"))
 * ```
 */
import type { HrTime } from "@opentelemetry/api"
import { hrTimeToMicroseconds } from "@opentelemetry/core"
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs"
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { flatten } from "./MetricData.js"

/** How records show the resource: `once` (service.name only; the full resource on a line at start) or `each`. */
export type StdoutResource = "once" | "each"

/**
 * The resource as a record carries it: the full attributes with `each`, else `service.name`
 * only (the full resource is printed once at start).
 */
export const resourceForRecord = (
  attributes: Readonly<Record<string, unknown>>,
  mode: StdoutResource
): Readonly<Record<string, unknown>> => mode === "each" ? attributes : { "service.name": attributes["service.name"] }

/** The line the `stdout` exporter starts with under `once`: the full resource. */
export const resourceLine = (attributes: Readonly<Record<string, unknown>>): string =>
  `${JSON.stringify({ resource: attributes })}\n`

/** Trace flags as the two hex digits of a `traceparent` header (`01`, `00`). */
export const formatTraceFlags = (flags: number): string => flags.toString(16).padStart(2, "0")

const micros = (time: HrTime): number => Math.round(hrTimeToMicroseconds(time))

const KIND_NAMES = ["internal", "server", "client", "producer", "consumer"] as const
const STATUS_NAMES = ["unset", "ok", "error"] as const

/** One span as a JSON-friendly object. */
export const spanToJson = (span: ReadableSpan, mode: StdoutResource = "once") => {
  const context = span.spanContext()
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: KIND_NAMES[span.kind] ?? span.kind,
    startTimeUnixMicros: micros(span.startTime),
    durationMicros: micros(span.duration),
    status: { code: STATUS_NAMES[span.status.code] ?? span.status.code, message: span.status.message },
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixMicros: micros(event.time),
      attributes: event.attributes
    })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
    resource: resourceForRecord(span.resource.attributes, mode),
    scope: span.instrumentationScope.name
  }
}

/** Spans as JSON lines. */
export const encodeSpans = (spans: ReadonlyArray<ReadableSpan>, mode: StdoutResource = "once"): string =>
  spans.map((span) => JSON.stringify(spanToJson(span, mode)) + "\n").join("")

/** Metric collections as JSON lines, one per metric (see `MetricData.flatten` for its fields). */
export const encodeMetrics = (collections: ReadonlyArray<ResourceMetrics>, mode: StdoutResource = "once"): string =>
  collections.flatMap((metrics) => {
    const resource = resourceForRecord(metrics.resource.attributes, mode)
    return flatten(metrics).map((metric) => JSON.stringify({ ...metric, resource }) + "\n")
  }).join("")

/** A log record's line. */
export interface LogRecordJson {
  readonly timeUnixMicros: number
  readonly severityText: string | undefined
  readonly severityNumber: number | undefined
  readonly body: unknown
  readonly traceId: string | undefined
  readonly spanId: string | undefined
  /** `01` sampled, `00` not, as in `traceparent`. */
  readonly traceFlags: string | undefined
  readonly attributes: Readonly<Record<string, unknown>>
  readonly resource: Readonly<Record<string, unknown>>
  readonly scope: string
}

/** One log record as a JSON-friendly object, with the ids of the span it was written in. */
export const logRecordToJson = (record: ReadableLogRecord, mode: StdoutResource = "once"): LogRecordJson => ({
  timeUnixMicros: micros(record.hrTime),
  severityText: record.severityText,
  severityNumber: record.severityNumber,
  body: record.body,
  traceId: record.spanContext?.traceId,
  spanId: record.spanContext?.spanId,
  traceFlags: record.spanContext === undefined ? undefined : formatTraceFlags(record.spanContext.traceFlags),
  attributes: record.attributes,
  resource: resourceForRecord(record.resource.attributes, mode),
  scope: record.instrumentationScope.name
})

/**
 * `JSON.stringify` that leaves out an object met a second time, so a log body or attribute that
 * refers to itself prints instead of throwing (the rule of Effect's `stringifyCircular`, which
 * the Effect 3 line used before).
 */
const stringifyOnce = (value: unknown): string => {
  const seen = new Set<unknown>()
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== "object" || item === null) return item
    if (seen.has(item)) return undefined
    seen.add(item)
    return item
  })
}

/** Log records as JSON lines. */
export const encodeLogRecords = (records: ReadonlyArray<ReadableLogRecord>, mode: StdoutResource = "once"): string =>
  records.map((record) => stringifyOnce(logRecordToJson(record, mode)) + "\n").join("")
