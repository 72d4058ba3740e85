import { SeverityNumber } from "@opentelemetry/api-logs"
import type * as LogLevel from "effect/LogLevel"

/**
 * Effect's levels as OpenTelemetry severity numbers. Effect's own ordinals (20000 for Info) are
 * not severities: a collector rejects or misreads them, so they are mapped here.
 */
const NUMBERS: Record<LogLevel.LogLevel["_tag"], SeverityNumber> = {
  All: SeverityNumber.TRACE,
  Trace: SeverityNumber.TRACE,
  Debug: SeverityNumber.DEBUG,
  Info: SeverityNumber.INFO,
  Warning: SeverityNumber.WARN,
  Error: SeverityNumber.ERROR,
  Fatal: SeverityNumber.FATAL,
  None: SeverityNumber.UNSPECIFIED
}

/** The OpenTelemetry severity of an Effect log level. */
export const severityNumber = (level: LogLevel.LogLevel): SeverityNumber => NUMBERS[level._tag]

/** The severity names Google Cloud Logging reads from a JSON line's `severity` field. */
const CLOUD_LOGGING: Record<LogLevel.LogLevel["_tag"], string> = {
  All: "DEFAULT",
  Trace: "DEBUG",
  Debug: "DEBUG",
  Info: "INFO",
  Warning: "WARNING",
  Error: "ERROR",
  Fatal: "CRITICAL",
  None: "DEFAULT"
}

/** The `severity` of a JSON log line, so Cloud Run's log viewer shows the level. */
export const cloudLoggingSeverity = (level: LogLevel.LogLevel): string => CLOUD_LOGGING[level._tag]
