/**
 * The receiver's decoded items in the store's JSON-safe form: nanosecond bigints become float
 * milliseconds, bigint attribute values decimal strings, bytes base64, one metric point per row.
 */
import type { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import type * as Api from "../Api.js"

export type NewSpan = Omit<Api.Span, "seq">
export type NewLogRecord = Omit<Api.LogRecord, "seq">
export type NewMetricPoint = Omit<Api.MetricPoint, "seq">

const UNKNOWN_SERVICE = "unknown_service"

/** Float milliseconds; split so the integer part stays exact before the division. */
export const nanosToMillis = (nanos: bigint): number =>
  Number(nanos / 1_000_000n) + Number(nanos % 1_000_000n) / 1_000_000

const jsonValue = (value: unknown): unknown => {
  if (typeof value === "bigint") return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64")
  if (Array.isArray(value)) return value.map(jsonValue)
  if (value !== null && typeof value === "object") return jsonAttributes(value as Api.Attributes)
  return value
}

/** Only bigints, bytes, arrays and maps need converting; other values are JSON as they are. */
const isPlain = (value: unknown): boolean => typeof value !== "bigint" && (value === null || typeof value !== "object")

export const jsonAttributes = (attributes: Api.Attributes): Api.Attributes => {
  let plain = true
  for (const key in attributes) {
    if (!isPlain(attributes[key])) {
      plain = false
      break
    }
  }
  // Most attribute sets are strings and numbers only: shared as they are, not copied.
  if (plain) return attributes
  // fromEntries defines keys, so a `__proto__` attribute stays an attribute (assignment would not).
  return Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, jsonValue(value)]))
}

const serviceOf = (resource: Api.Attributes): string => {
  const name = resource["service.name"]
  return typeof name === "string" && name !== "" ? name : UNKNOWN_SERVICE
}

/** Resources repeat on every item of a request: convert each one once per batch. */
const resourceCache = () => {
  const cache = new Map<OtlpReceiver.Attributes, Api.Attributes>()
  return (resource: OtlpReceiver.Attributes): Api.Attributes => {
    let converted = cache.get(resource)
    if (converted === undefined) {
      converted = jsonAttributes(resource)
      cache.set(resource, converted)
    }
    return converted
  }
}

const scopeOf = (scope: OtlpReceiver.ReceivedScope): Api.Scope =>
  scope.version === undefined ? { name: scope.name } : { name: scope.name, version: scope.version }

export const spans = (received: ReadonlyArray<OtlpReceiver.ReceivedSpan>): Array<NewSpan> => {
  const resourceOf = resourceCache()
  return received.map((span) => {
    const resource = resourceOf(span.resource)
    return {
      traceId: span.traceId,
      spanId: span.spanId,
      ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
      name: span.name,
      service: serviceOf(resource),
      kind: span.kind,
      start: nanosToMillis(span.startTimeUnixNano),
      end: nanosToMillis(span.endTimeUnixNano),
      attributes: jsonAttributes(span.attributes),
      status: span.status,
      events: span.events.map((event) => ({
        name: event.name,
        time: nanosToMillis(event.timeUnixNano),
        attributes: jsonAttributes(event.attributes)
      })),
      links: span.links.map((link) => ({ ...link, attributes: jsonAttributes(link.attributes) })),
      resource,
      scope: scopeOf(span.scope)
    }
  })
}

export const logRecords = (received: ReadonlyArray<OtlpReceiver.ReceivedLogRecord>): Array<NewLogRecord> => {
  const resourceOf = resourceCache()
  return received.map((record) => {
    const resource = resourceOf(record.resource)
    return {
      time: nanosToMillis(record.timeUnixNano === 0n ? record.observedTimeUnixNano : record.timeUnixNano),
      severityNumber: record.severityNumber,
      severityText: record.severityText,
      body: jsonValue(record.body),
      attributes: jsonAttributes(record.attributes),
      ...(record.traceId === undefined ? {} : { traceId: record.traceId }),
      ...(record.spanId === undefined ? {} : { spanId: record.spanId }),
      service: serviceOf(resource),
      resource,
      scope: scopeOf(record.scope)
    }
  })
}

export const metricPoints = (received: ReadonlyArray<OtlpReceiver.ReceivedMetric>): Array<NewMetricPoint> => {
  const resourceOf = resourceCache()
  return received.flatMap((metric) => {
    const resource = resourceOf(metric.resource)
    const service = serviceOf(resource)
    const instance = resource["service.instance.id"]
    return metric.dataPoints.map((point): NewMetricPoint => ({
      name: metric.name,
      description: metric.description,
      unit: metric.unit,
      type: metric.type,
      ...(metric.isMonotonic === undefined ? {} : { monotonic: metric.isMonotonic }),
      ...(metric.aggregationTemporality === undefined ? {} : { temporality: metric.aggregationTemporality }),
      service,
      ...(instance === undefined || instance === "" ? {} : { instance: String(instance) }),
      attributes: jsonAttributes(point.attributes),
      startTime: nanosToMillis(point.startTimeUnixNano),
      time: nanosToMillis(point.timeUnixNano),
      ...(point.value === undefined ? {} : { value: point.value }),
      ...(point.count === undefined ? {} : { count: point.count }),
      ...(point.sum === undefined ? {} : { sum: point.sum }),
      ...(point.min === undefined ? {} : { min: point.min }),
      ...(point.max === undefined ? {} : { max: point.max }),
      ...(point.bucketCounts === undefined ? {} : { bucketCounts: point.bucketCounts }),
      ...(point.explicitBounds === undefined ? {} : { explicitBounds: point.explicitBounds }),
      ...(point.quantileValues === undefined ? {} : { quantileValues: point.quantileValues })
    }))
  })
}
