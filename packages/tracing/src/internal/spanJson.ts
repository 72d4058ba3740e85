import { hrTimeToMicroseconds } from "@opentelemetry/core"
import { type Config, ServiceResource } from "@lingo-obs/core"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"

const KIND_NAMES = ["internal", "server", "client", "producer", "consumer"] as const
const STATUS_NAMES = ["unset", "ok", "error"] as const

/** One span as a JSON-friendly object: ids in hex, times in microseconds since the epoch. */
export const spanToJson = (span: ReadableSpan, resource: Config.StdoutResource = "once") => {
  const context = span.spanContext()
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: KIND_NAMES[span.kind] ?? span.kind,
    startTimeUnixMicros: Math.round(hrTimeToMicroseconds(span.startTime)),
    durationMicros: Math.round(hrTimeToMicroseconds(span.duration)),
    status: { code: STATUS_NAMES[span.status.code] ?? span.status.code, message: span.status.message },
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixMicros: Math.round(hrTimeToMicroseconds(event.time)),
      attributes: event.attributes
    })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
    resource: ServiceResource.forStdout(span.resource.attributes, resource),
    scope: span.instrumentationScope.name
  }
}

/** The `stdout` exporter's encoding: one JSON object per span and line. */
export const encodeJsonLines = (spans: ReadonlyArray<ReadableSpan>, resource: Config.StdoutResource = "once"): string =>
  spans.map((span) => JSON.stringify(spanToJson(span, resource)) + "\n").join("")
