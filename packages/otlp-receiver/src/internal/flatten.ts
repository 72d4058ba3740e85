/**
 * Turns decoded OTLP export requests into the flat records tests assert on: ids as lower-case hex,
 * attributes as plain objects, timestamps as bigint nanoseconds, resource and scope on every item.
 */
import type {
  Attributes,
  ReceivedDataPoint,
  ReceivedLogRecord,
  ReceivedMetric,
  ReceivedScope,
  ReceivedSpan
} from "../Received.js"
import * as Proto from "./otlpProto.js"

type Nullable<T> = T | null | undefined

/** `{ [key]: value }` when the value is present, `{}` otherwise, so optional fields stay absent. */
const present = <K extends string, V>(key: K, value: Nullable<V>): { [P in K]?: V } =>
  value == null ? {} : ({ [key]: value } as { [P in K]?: V })

const sumOf = <T>(items: ReadonlyArray<T>, countOf: (item: T) => number): number =>
  items.reduce((total, item) => total + countOf(item), 0)

const toBigInt = (value: Nullable<Proto.Int64>): bigint => (value == null ? 0n : BigInt(value.toString()))

const toNumber = (value: Nullable<Proto.Int64>): number => Number(toBigInt(value))

/** int64 attribute values become numbers unless that would lose precision. */
const toSafeInteger = (value: Proto.Int64): number | bigint => {
  const exact = toBigInt(value)
  return exact >= BigInt(Number.MIN_SAFE_INTEGER) && exact <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(exact) : exact
}

/** Lower-case hex of an id; `undefined` for the empty id OTLP uses for "none". */
const toHexId = (bytes: Nullable<Uint8Array>): string | undefined =>
  bytes == null || bytes.length === 0 ? undefined : Buffer.from(bytes).toString("hex")

/** How deep arrays and key-value lists may nest in one attribute value (see the decoder). */
export const MAX_NESTING = Proto.MAX_NESTING

/** A request that decodes but cannot be accepted, e.g. nested beyond `MAX_NESTING`. */
export class InvalidRequest extends Error {}

export const anyValueToJs = (value: Nullable<Proto.AnyValue>, depth = 0): unknown => {
  if (value == null) return undefined
  if (value.stringValue != null) return value.stringValue
  if (value.boolValue != null) return value.boolValue
  if (value.intValue != null) return toSafeInteger(value.intValue)
  if (value.doubleValue != null) return value.doubleValue
  if (value.arrayValue != null || value.kvlistValue != null) {
    if (depth >= MAX_NESTING) throw new InvalidRequest(`an attribute value nests arrays or key-value lists deeper than ${MAX_NESTING} levels`)
    if (value.arrayValue != null) return value.arrayValue.values.map((item) => anyValueToJs(item, depth + 1))
    return attributesToJs(value.kvlistValue!.values, depth + 1)
  }
  if (value.bytesValue != null) return value.bytesValue
  return undefined
}

export const attributesToJs = (keyValues: ReadonlyArray<Proto.KeyValue>, depth = 0): Attributes =>
  Object.fromEntries(keyValues.map((keyValue) => [keyValue.key ?? "", anyValueToJs(keyValue.value, depth)]))

const scopeToJs = (scope: Nullable<Proto.InstrumentationScope>): ReceivedScope => ({
  name: scope?.name ?? "",
  ...present("version", scope?.version || undefined)
})

const resourceToJs = (resource: Nullable<Proto.Resource>): Attributes => attributesToJs(resource?.attributes ?? [])

// ---------------------------------------------------------------------------------------------
// Traces
// ---------------------------------------------------------------------------------------------

const spanToJs = (span: Proto.Span, resource: Attributes, scope: ReceivedScope): ReceivedSpan => ({
  traceId: toHexId(span.traceId) ?? "",
  spanId: toHexId(span.spanId) ?? "",
  parentSpanId: toHexId(span.parentSpanId),
  name: span.name ?? "",
  kind: span.kind ?? 0,
  startTimeUnixNano: toBigInt(span.startTimeUnixNano),
  endTimeUnixNano: toBigInt(span.endTimeUnixNano),
  attributes: attributesToJs(span.attributes),
  status: { code: span.status?.code ?? 0, ...present("message", span.status?.message || undefined) },
  events: span.events.map((event) => ({
    name: event.name ?? "",
    timeUnixNano: toBigInt(event.timeUnixNano),
    attributes: attributesToJs(event.attributes),
    droppedAttributes: event.droppedAttributesCount ?? 0
  })),
  links: span.links.map((link) => ({
    traceId: toHexId(link.traceId) ?? "",
    spanId: toHexId(link.spanId) ?? "",
    attributes: attributesToJs(link.attributes)
  })),
  resource,
  scope,
  dropped: {
    attributes: span.droppedAttributesCount ?? 0,
    events: span.droppedEventsCount ?? 0,
    links: span.droppedLinksCount ?? 0
  }
})

export const spansOf = (request: Proto.ExportTraceServiceRequest): Array<ReceivedSpan> =>
  request.resourceSpans.flatMap((resourceSpans) => {
    const resource = resourceToJs(resourceSpans.resource)
    return resourceSpans.scopeSpans.flatMap((scopeSpans) => {
      const scope = scopeToJs(scopeSpans.scope)
      return scopeSpans.spans.map((span) => spanToJs(span, resource, scope))
    })
  })

export const countSpans = (request: Proto.ExportTraceServiceRequest): number =>
  sumOf(request.resourceSpans, (resourceSpans) =>
    sumOf(resourceSpans.scopeSpans, (scopeSpans) => scopeSpans.spans.length)
  )

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

const pointBase = (point: Proto.DataPointBase) => ({
  attributes: attributesToJs(point.attributes),
  startTimeUnixNano: toBigInt(point.startTimeUnixNano),
  timeUnixNano: toBigInt(point.timeUnixNano)
})

const numberPointToJs = (point: Proto.NumberDataPoint): ReceivedDataPoint => ({
  ...pointBase(point),
  ...present("value", point.asDouble ?? (point.asInt == null ? undefined : toNumber(point.asInt)))
})

const histogramPointToJs = (point: Proto.HistogramDataPoint): ReceivedDataPoint => ({
  ...pointBase(point),
  count: toNumber(point.count),
  ...present("sum", point.sum),
  bucketCounts: point.bucketCounts.map(toNumber),
  explicitBounds: [...point.explicitBounds],
  ...present("min", point.min),
  ...present("max", point.max)
})

const bucketsToJs = (buckets: Nullable<Proto.ExponentialBuckets>) =>
  buckets == null ? undefined : { offset: buckets.offset ?? 0, bucketCounts: buckets.bucketCounts.map(toNumber) }

const exponentialPointToJs = (point: Proto.ExponentialHistogramDataPoint): ReceivedDataPoint => ({
  ...pointBase(point),
  count: toNumber(point.count),
  ...present("sum", point.sum),
  scale: point.scale ?? 0,
  zeroCount: toNumber(point.zeroCount),
  ...present("positive", bucketsToJs(point.positive)),
  ...present("negative", bucketsToJs(point.negative)),
  ...present("min", point.min),
  ...present("max", point.max)
})

const summaryPointToJs = (point: Proto.SummaryDataPoint): ReceivedDataPoint => ({
  ...pointBase(point),
  count: toNumber(point.count),
  ...present("sum", point.sum),
  quantileValues: point.quantileValues.map((quantile) => ({
    quantile: quantile.quantile ?? 0,
    value: quantile.value ?? 0
  }))
})

type MetricData = Pick<ReceivedMetric, "type" | "dataPoints" | "isMonotonic" | "aggregationTemporality">

/** The populated branch of the Metric `data` oneof; `undefined` for a metric without data. */
const metricDataToJs = (metric: Proto.Metric): MetricData | undefined => {
  if (metric.sum != null) {
    return {
      type: "sum",
      dataPoints: metric.sum.dataPoints.map(numberPointToJs),
      isMonotonic: metric.sum.isMonotonic ?? false,
      aggregationTemporality: metric.sum.aggregationTemporality ?? 0
    }
  }
  if (metric.gauge != null) return { type: "gauge", dataPoints: metric.gauge.dataPoints.map(numberPointToJs) }
  if (metric.histogram != null) {
    return {
      type: "histogram",
      dataPoints: metric.histogram.dataPoints.map(histogramPointToJs),
      aggregationTemporality: metric.histogram.aggregationTemporality ?? 0
    }
  }
  if (metric.exponentialHistogram != null) {
    return {
      type: "exponentialHistogram",
      dataPoints: metric.exponentialHistogram.dataPoints.map(exponentialPointToJs),
      aggregationTemporality: metric.exponentialHistogram.aggregationTemporality ?? 0
    }
  }
  if (metric.summary != null) return { type: "summary", dataPoints: metric.summary.dataPoints.map(summaryPointToJs) }
  return undefined
}

export const metricsOf = (request: Proto.ExportMetricsServiceRequest): Array<ReceivedMetric> =>
  request.resourceMetrics.flatMap((resourceMetrics) => {
    const resource = resourceToJs(resourceMetrics.resource)
    return resourceMetrics.scopeMetrics.flatMap((scopeMetrics) => {
      const scope = scopeToJs(scopeMetrics.scope)
      return scopeMetrics.metrics.flatMap((metric) => {
        const data = metricDataToJs(metric)
        if (data === undefined) return []
        const described = { name: metric.name ?? "", description: metric.description ?? "", unit: metric.unit ?? "" }
        return [{ ...described, ...data, resource, scope }]
      })
    })
  })

const pointsOf = (metric: Proto.Metric): number =>
  (metric.sum ?? metric.gauge ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary)?.dataPoints
    .length ?? 0

export const countDataPoints = (request: Proto.ExportMetricsServiceRequest): number =>
  sumOf(request.resourceMetrics, (resourceMetrics) =>
    sumOf(resourceMetrics.scopeMetrics, (scopeMetrics) => sumOf(scopeMetrics.metrics, pointsOf))
  )

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

const logRecordToJs = (record: Proto.LogRecord, resource: Attributes, scope: ReceivedScope): ReceivedLogRecord => ({
  timeUnixNano: toBigInt(record.timeUnixNano),
  observedTimeUnixNano: toBigInt(record.observedTimeUnixNano),
  severityNumber: record.severityNumber ?? 0,
  severityText: record.severityText ?? "",
  body: anyValueToJs(record.body),
  attributes: attributesToJs(record.attributes),
  traceId: toHexId(record.traceId),
  spanId: toHexId(record.spanId),
  flags: record.flags ?? 0,
  ...present("eventName", record.eventName || undefined),
  resource,
  scope
})

export const logRecordsOf = (request: Proto.ExportLogsServiceRequest): Array<ReceivedLogRecord> =>
  request.resourceLogs.flatMap((resourceLogs) => {
    const resource = resourceToJs(resourceLogs.resource)
    return resourceLogs.scopeLogs.flatMap((scopeLogs) => {
      const scope = scopeToJs(scopeLogs.scope)
      return scopeLogs.logRecords.map((record) => logRecordToJs(record, resource, scope))
    })
  })

export const countLogRecords = (request: Proto.ExportLogsServiceRequest): number =>
  sumOf(request.resourceLogs, (resourceLogs) =>
    sumOf(resourceLogs.scopeLogs, (scopeLogs) => scopeLogs.logRecords.length)
  )
