import { hrTimeToMicroseconds } from "@opentelemetry/core"
import { type Config, ServiceResource } from "@lingo-obs/core"
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs"
import * as Inspectable from "effect/Inspectable"
import { formatTraceFlags } from "./correlation.js"

/** One log record as a JSON-friendly object: ids in hex, times in microseconds since the epoch. */
export const logRecordToJson = (record: ReadableLogRecord, resource: Config.StdoutResource = "once") => ({
  timeUnixMicros: Math.round(hrTimeToMicroseconds(record.hrTime)),
  severityText: record.severityText,
  severityNumber: record.severityNumber,
  body: record.body,
  traceId: record.spanContext?.traceId,
  spanId: record.spanContext?.spanId,
  traceFlags: record.spanContext === undefined ? undefined : formatTraceFlags(record.spanContext.traceFlags),
  attributes: record.attributes,
  resource: ServiceResource.forStdout(record.resource.attributes, resource),
  scope: record.instrumentationScope.name
})

/** The `stdout` exporter's encoding: one JSON object per log record and line. */
export const encodeJsonLines = (records: ReadonlyArray<ReadableLogRecord>, resource: Config.StdoutResource = "once"): string =>
  records.map((record) => Inspectable.stringifyCircular(logRecordToJson(record, resource)) + "\n").join("")
