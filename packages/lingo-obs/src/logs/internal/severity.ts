import { SeverityNumber } from "@opentelemetry/api-logs"
import type * as LogLevel from "effect/LogLevel"

/**
 * Effect's levels as OpenTelemetry severity numbers (Effect's own ordinals are not severities: a
 * collector rejects or misreads them).
 */
const NUMBERS: Record<LogLevel.LogLevel, SeverityNumber> = {
  All: SeverityNumber.TRACE,
  Trace: SeverityNumber.TRACE,
  Debug: SeverityNumber.DEBUG,
  Info: SeverityNumber.INFO,
  Warn: SeverityNumber.WARN,
  Error: SeverityNumber.ERROR,
  Fatal: SeverityNumber.FATAL,
  None: SeverityNumber.UNSPECIFIED
}

/** The OpenTelemetry severity of an Effect log level. */
export const severityNumber = (level: LogLevel.LogLevel): SeverityNumber => NUMBERS[level]

/** The severity names Google Cloud Logging reads from a JSON line's `severity` field. */
const CLOUD_LOGGING: Record<LogLevel.LogLevel, string> = {
  All: "DEFAULT",
  Trace: "DEBUG",
  Debug: "DEBUG",
  Info: "INFO",
  Warn: "WARNING",
  Error: "ERROR",
  Fatal: "CRITICAL",
  None: "DEFAULT"
}

/** The `severity` of a JSON log line, so Cloud Run's log viewer shows the level. */
export const cloudLoggingSeverity = (level: LogLevel.LogLevel): string => CLOUD_LOGGING[level]

/** The level as the Effect 3 line spells it in lines and records (`WARN`, not `Warn`), so assertions read the same in both lines. */
export const label = (level: LogLevel.LogLevel): string => level.toUpperCase()
