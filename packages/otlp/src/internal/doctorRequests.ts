/**
 * One OTLP export request per signal, encoded the way the toolkit's pipelines encode theirs, so
 * that `lingo-obs doctor` proves what a service's own exports would meet: one span, one metric
 * point, one log record, named so nobody mistakes them for application data.
 *
 * The serializers are the line's (`@opentelemetry/otlp-transformer`, which each Effect line
 * already depends on for its pipelines): the engine takes them as it takes the pipelines' encoders.
 */
import { randomBytes } from "node:crypto"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { AggregationTemporality, DataPointType, type ResourceMetrics } from "@opentelemetry/sdk-metrics"
import type { Signal } from "../Transport.js"

/** An OTLP serializer of `@opentelemetry/otlp-transformer` (its request type is the serializer's business). */
export interface Serializer {
  readonly serializeRequest: (request: never) => Uint8Array | undefined
}

/** The six OTLP serializers of `@opentelemetry/otlp-transformer`: `import * as Serializers from "@opentelemetry/otlp-transformer"`. */
export interface Serializers {
  readonly ProtobufTraceSerializer: Serializer
  readonly JsonTraceSerializer: Serializer
  readonly ProtobufMetricsSerializer: Serializer
  readonly JsonMetricsSerializer: Serializer
  readonly ProtobufLogsSerializer: Serializer
  readonly JsonLogsSerializer: Serializer
}

/** The resource the test items carry: the service's, as its own exports would. */
export type Resource = ReadableSpan["resource"]

/** The name of the test span, metric and log record, and the scope they are reported under. */
export const NAME = "lingo_obs.doctor"
export const SCOPE = { name: "@lingo-obs/cli/doctor" }
const ATTRIBUTES = { "lingo_obs.doctor": true }

const hrTime = (millis: number): [number, number] => [Math.floor(millis / 1000), (millis % 1000) * 1_000_000]

const span = (resource: Resource, now: number): ReadableSpan => {
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

/** A log record as `@opentelemetry/sdk-logs` hands it to an exporter (the fields the serializers read). */
const logRecord = (resource: Resource, now: number) => ({
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

const serialize = (serializer: Serializer, request: unknown): Uint8Array | undefined =>
  (serializer.serializeRequest as (request: unknown) => Uint8Array | undefined)(request)

/** The encoded export request of `signal` carrying one test item. */
export const encode = (
  serializers: Serializers,
  signal: Signal,
  resource: Resource,
  json = false,
  now = Date.now()
): Uint8Array => {
  const bytes = signal === "traces"
    ? serialize(json ? serializers.JsonTraceSerializer : serializers.ProtobufTraceSerializer, [span(resource, now)])
    : signal === "metrics"
    ? serialize(json ? serializers.JsonMetricsSerializer : serializers.ProtobufMetricsSerializer, metric(resource, now))
    : serialize(json ? serializers.JsonLogsSerializer : serializers.ProtobufLogsSerializer, [logRecord(resource, now)])
  if (bytes === undefined) throw new Error(`cannot encode the ${signal} test request`)
  return bytes
}

/** What one test request carries, for the report. */
export const ITEM: Readonly<Record<Signal, string>> = {
  traces: "1 span",
  metrics: "1 metric point",
  logs: "1 log record"
}
