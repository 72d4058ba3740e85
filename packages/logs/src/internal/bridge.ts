import { Attributes } from "@lingo-obs/core"
import { ROOT_CONTEXT, trace } from "@opentelemetry/api"
import type * as OtelLogs from "@opentelemetry/api-logs"
import * as Cause from "effect/Cause"
import * as Inspectable from "effect/Inspectable"
import * as Logger from "effect/Logger"
import { fromLogOptions } from "./correlation.js"
import { severityNumber } from "./severity.js"

/** An annotation as an OTLP attribute value: primitives and arrays as they are, anything else as text. */
const toAnyValue = (value: unknown): OtelLogs.AnyValue => {
  if (value === undefined || value === null) return value
  if (Array.isArray(value)) return value.map(toAnyValue)
  if (value instanceof Uint8Array) return value
  return Attributes.primitive(value) ?? Inspectable.toStringUnknown(value, 0)
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
 */
export const bridge = (logger: OtelLogs.Logger): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    const attributes: OtelLogs.LogAttributes = {}
    for (const [key, value] of options.annotations) attributes[key] = toAnyValue(value)
    const now = options.date.getTime()
    for (const span of options.spans) attributes[`log_span.${span.label}`] = now - span.startTime
    if (!Cause.isEmpty(options.cause)) {
      const error = Cause.squash(options.cause)
      attributes["exception.type"] = error instanceof Error ? error.name : typeof error
      attributes["exception.message"] = error instanceof Error ? error.message : Inspectable.toStringUnknown(error, 0)
      attributes["exception.stacktrace"] = Cause.pretty(options.cause, { renderErrorCause: true })
    }
    const correlation = fromLogOptions(options)
    logger.emit({
      timestamp: options.date,
      observedTimestamp: Date.now(),
      severityNumber: severityNumber(options.logLevel),
      severityText: options.logLevel.label,
      body: body(options.message),
      attributes,
      context: correlation === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { ...correlation, isRemote: false })
    })
  })
