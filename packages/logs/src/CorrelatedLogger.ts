/**
 * A logger for the program's Effect logger whose lines can be joined to traces: inside a span
 * every line carries `trace_id`, `span_id` and `trace_flags`, the ids the exported spans have.
 * Three formats: `json` (one object per line, for log pipelines and Cloud Logging), `logfmt`
 * (Effect's default line shape plus the ids) and `pretty` (colours, for a terminal).
 *
 * The toolkit's own lines go through the same logger, with `component=observability` and
 * `service.name` among their annotations.
 *
 * @example
 * ```ts
 * import { CorrelatedLogger } from "@lingo-obs/logs"
 *
 * program.pipe(Effect.provide(CorrelatedLogger.layer({ format: "json" })))
 * // {"timestamp":"…","level":"INFO","severity":"INFO","message":"order placed",
 * //  "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01",…}
 * ```
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as HashSet from "effect/HashSet"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { Diagnostics } from "@lingo-obs/core"
import { type Correlation, formatTraceFlags, fromLogOptions } from "./internal/correlation.js"
import { cloudLoggingSeverity } from "./internal/severity.js"

/** How a line is written. */
export type Format = "json" | "logfmt" | "pretty"

export interface Options {
  /** Default `json`. */
  readonly format?: Format | undefined
}

/** The fields a JSON line adds when it was written inside a span. */
export const TRACE_ID = "trace_id"
export const SPAN_ID = "span_id"
export const TRACE_FLAGS = "trace_flags"

const correlationFields = (correlation: Correlation) => ({
  [TRACE_ID]: correlation.traceId,
  [SPAN_ID]: correlation.spanId,
  [TRACE_FLAGS]: formatTraceFlags(correlation.traceFlags)
})

/** Errors have no JSON form of their own; without this a logged error prints as `{}`. */
const toJson = (value: unknown): unknown =>
  value instanceof Error ? { ...value, name: value.name, message: value.message } : value

/**
 * One JSON object per line: `timestamp`, `level` (Effect's label), `severity` (the name Cloud
 * Logging reads), `message`, the span's ids, then `cause`, Effect log `spans` (label → elapsed
 * milliseconds) and `annotations` when there are any, and `fiber`.
 */
export const jsonLogger: Logger.Logger<unknown, string> = Logger.make((options) => {
  const structured = Logger.structuredLogger.log(options)
  const correlation = fromLogOptions(options)
  const message = Array.isArray(structured.message) ? structured.message.map(toJson) : toJson(structured.message)
  return Inspectable.stringifyCircular({
    timestamp: structured.timestamp,
    level: structured.logLevel,
    severity: cloudLoggingSeverity(options.logLevel),
    message,
    ...(correlation === undefined ? {} : correlationFields(correlation)),
    ...(structured.cause === undefined ? {} : { cause: structured.cause }),
    ...(Object.keys(structured.spans).length === 0 ? {} : { spans: structured.spans }),
    ...(Object.keys(structured.annotations).length === 0 ? {} : { annotations: structured.annotations }),
    fiber: structured.fiberId
  })
})

/** Effect's logfmt line with the span's ids at its end, where they are always found in the same order. */
export const logfmtLogger: Logger.Logger<unknown, string> = Logger.make((options) => {
  const line = Logger.logfmtLogger.log(options)
  const correlation = fromLogOptions(options)
  if (correlation === undefined) return line
  return `${line} ${TRACE_ID}=${correlation.traceId} ${SPAN_ID}=${correlation.spanId} ${TRACE_FLAGS}=${
    formatTraceFlags(correlation.traceFlags)
  }`
})

/** Adds the span's ids to a log call's annotations, for loggers that print annotations. */
const withCorrelation = <Message, Output>(logger: Logger.Logger<Message, Output>): Logger.Logger<Message, Output> =>
  Logger.mapInputOptions(logger, (options) => {
    const correlation = fromLogOptions(options as Logger.Logger.Options<unknown>)
    if (correlation === undefined) return options
    let annotations = options.annotations
    for (const [key, value] of Object.entries(correlationFields(correlation))) {
      annotations = HashMap.set(annotations, key, value)
    }
    return { ...options, annotations }
  })

/**
 * The logger in the given format, writing through the fiber's `Console` (so `Effect.withConsole`
 * captures it, as it does Effect's default logger).
 *
 * @example
 * ```ts
 * const logger = CorrelatedLogger.make({ format: "logfmt" })
 * program.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
 * ```
 */
export const make = (options: Options = {}): Logger.Logger<unknown, void> => {
  switch (options.format ?? "json") {
    case "json":
      return Logger.withConsoleLog(jsonLogger)
    case "logfmt":
      return Logger.withConsoleLog(logfmtLogger)
    case "pretty":
      // The toolkit's own lines stay single-line (a pretty logger prints each annotation on its own line).
      return withCorrelation(Diagnostics.singleLine(Logger.prettyLogger()))
  }
}

/**
 * Replaces Effect's default logger with the correlated logger, for the layer's scope. When the
 * program has already replaced the default logger with one of its own (provided outside this
 * layer), that logger stays and this layer changes nothing, so no line is written twice.
 *
 * @example
 * ```ts
 * main.pipe(Effect.provide(CorrelatedLogger.layer({ format: "pretty" })))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<never> => {
  const logger = make(options)
  return Layer.scopedDiscard(
    Effect.locallyScopedWith(FiberRef.currentLoggers, (loggers) => {
      // `NodeRuntime.runMain` swaps Effect's default logger for its pretty one; both are Effect's
      // own defaults, not a logger the team chose, so the configured format replaces either.
      const builtIn = [Logger.defaultLogger, Logger.prettyLoggerDefault].filter((candidate) =>
        HashSet.has(loggers, candidate as Logger.Logger<unknown, unknown>)
      )
      if (builtIn.length === 0) return loggers
      return HashSet.add(
        builtIn.reduce((rest, candidate) => HashSet.remove(rest, candidate as Logger.Logger<unknown, unknown>), loggers),
        logger
      )
    })
  )
}
