/**
 * One OTLP export request per signal, encoded the way the toolkit's pipelines encode theirs, so
 * that `lingo-obs doctor` proves what a service's own exports would meet: one span, one metric
 * point, one log record, named so nobody mistakes them for application data.
 */
import { randomBytes } from "node:crypto"
import type { Config } from "@lingo-obs/core"
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer
} from "@opentelemetry/otlp-transformer"
import { AggregationTemporality, DataPointType } from "@opentelemetry/sdk-metrics"

type Span = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0][number]
type ResourceMetrics = Parameters<typeof ProtobufMetricsSerializer.serializeRequest>[0]
type LogRecord = Parameters<typeof ProtobufLogsSerializer.serializeRequest>[0][number]
type Resource = Span["resource"]

/** The name of the test span, metric and log record, and the scope they are reported under. */
export const NAME = "lingo_obs.doctor"
export const SCOPE = { name: "@lingo-obs/cli/doctor" }
const ATTRIBUTES = { "lingo_obs.doctor": true }

const hrTime = (millis: number): [number, number] => [Math.floor(millis / 1000), (millis % 1000) * 1_000_000]

const span = (resource: Resource, now: number): Span => {
  const context = { traceId: randomBytes(16).toString("hex"), spanId: randomBytes(8).toString("hex"), traceFlags: 1 }
  const time = hrTime(now)
  return {
    name: NAME,
    kind: 0, // SpanKind.INTERNAL
    spanContext: () => context,
    startTime: time,
    endTime: time,
    duration: [0, 0],
    status: { code: 0 },
    attributes: ATTRIBUTES,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0
  }
}

const metric = (resource: Resource, now: number): ResourceMetrics => ({
  resource,
  scopeMetrics: [{
    scope: SCOPE,
    metrics: [{
      descriptor: { name: NAME, description: "lingo-obs doctor test point", unit: "1", valueType: 1 /* ValueType.DOUBLE */ },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints: [{ startTime: hrTime(now), endTime: hrTime(now), attributes: ATTRIBUTES, value: 1 }]
    }]
  }]
})

const logRecord = (resource: Resource, now: number): LogRecord => ({
  hrTime: hrTime(now),
  hrTimeObserved: hrTime(now),
  severityNumber: 9, // SeverityNumber.INFO
  severityText: "INFO",
  body: "lingo-obs doctor test record",
  attributes: ATTRIBUTES,
  droppedAttributesCount: 0,
  resource,
  instrumentationScope: SCOPE
})

/** The encoded export request of `signal` carrying one test item. */
export const encode = (signal: Config.Signal, resource: Resource, json = false, now = Date.now()): Uint8Array => {
  const bytes = signal === "traces"
    ? (json ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest([span(resource, now)])
    : signal === "metrics"
    ? (json ? JsonMetricsSerializer : ProtobufMetricsSerializer).serializeRequest(metric(resource, now))
    : (json ? JsonLogsSerializer : ProtobufLogsSerializer).serializeRequest([logRecord(resource, now)])
  if (bytes === undefined) throw new Error(`cannot encode the ${signal} test request`)
  return bytes
}

/** What one test request carries, for the report. */
export const ITEM: Readonly<Record<Config.Signal, string>> = {
  traces: "1 span",
  metrics: "1 metric point",
  logs: "1 log record"
}
