import { ROOT_CONTEXT, trace } from "@opentelemetry/api"
import type * as OtelLogs from "@opentelemetry/api-logs"
import * as Cause from "effect/Cause"
import * as Formatter from "effect/Formatter"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { fromFiber } from "./correlation.js"
import { label, severityNumber } from "./severity.js"

/** An annotation as an OTLP attribute value: primitives and arrays as they are, anything else as text. */
const toAnyValue = (value: unknown): OtelLogs.AnyValue => {
  if (value === undefined || value === null) return value
  if (Array.isArray(value)) return value.map(toAnyValue)
  if (value instanceof Uint8Array) return value
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value
    case "bigint":
      return value.toString()
    default:
      return Formatter.format(value)
  }
}

const body = (message: unknown): OtelLogs.AnyValue => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.length === 1 ? toAnyValue(parts[0]) : parts.map(toAnyValue)
}

/**
 * An Effect logger that emits every log call as an OpenTelemetry log record: severity, the
 * message as the body, the annotations as attributes (Effect log spans as `log_span.<label>` in
 * milliseconds, a failure cause as `exception.*`), and the trace context of the span the call
 * was made in, given explicitly so the record is right whatever the OpenTelemetry context is.
 * The records are the Effect 3 line's; the level text is its spelling (`WARN`).
 */
export const bridge = (logger: OtelLogs.Logger): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    const attributes: OtelLogs.LogAttributes = {}
    for (const [key, value] of Object.entries(options.fiber.getRef(References.CurrentLogAnnotations))) {
      attributes[key] = toAnyValue(value)
    }
    const now = options.date.getTime()
    for (const [spanLabel, start] of options.fiber.getRef(References.CurrentLogSpans)) {
      attributes[`log_span.${spanLabel}`] = now - start
    }
    if (options.cause.reasons.length > 0) {
      const error = Cause.squash(options.cause)
      attributes["exception.type"] = error instanceof Error ? error.name : typeof error
      attributes["exception.message"] = error instanceof Error ? error.message : Formatter.format(error)
      attributes["exception.stacktrace"] = Cause.pretty(options.cause)
    }
    const correlation = fromFiber(options.fiber)
    logger.emit({
      timestamp: options.date,
      observedTimestamp: Date.now(),
      severityNumber: severityNumber(options.logLevel),
      severityText: label(options.logLevel),
      body: body(options.message),
      attributes,
      context: correlation === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { ...correlation, isRemote: false })
    })
  })
