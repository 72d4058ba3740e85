/**
 * A logger for the program's Effect logger whose lines can be joined to traces: inside a span
 * every line carries `trace_id`, `span_id` and `trace_flags`, the ids the exported spans have.
 * Three formats, as on the Effect 3 line: `json` (one object per line, for log pipelines and Cloud
 * Logging), `logfmt` (Effect's logfmt line plus the ids) and `pretty` (colours, for a terminal).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(CorrelatedLogger.layer({ format: "json" })))
 * // {"timestamp":"…","level":"INFO","severity":"INFO","message":"order placed",
 * //  "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01",…}
 * ```
 */
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Formatter from "effect/Formatter"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { type Correlation, formatTraceFlags, fromFiber } from "./internal/correlation.js"
import { cloudLoggingSeverity } from "./internal/severity.js"

/** How a line is written. */
export type Format = "json" | "logfmt" | "pretty"

export interface Options {
  /** Default `json`. */
  readonly format?: Format | undefined
}

/** The fields a line adds when it was written inside a span. */
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
 * One JSON object per line: `timestamp`, `level` (`INFO`, `WARN`, …), `severity` (the name Cloud
 * Logging reads), `message`, the span's ids, then `cause`, Effect log `spans` (label → elapsed
 * milliseconds) and `annotations` when there are any, and `fiber`.
 */
export const jsonLogger: Logger.Logger<unknown, string> = Logger.make((options) => {
  const structured = Logger.formatStructured.log(options)
  const correlation = fromFiber(options.fiber)
  const message = Array.isArray(structured.message) ? structured.message.map(toJson) : toJson(structured.message)
  return Formatter.formatJson({
    timestamp: structured.timestamp,
    level: structured.level,
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
  const line = Logger.formatLogFmt.log(options)
  const correlation = fromFiber(options.fiber)
  if (correlation === undefined) return line
  return `${line} ${TRACE_ID}=${correlation.traceId} ${SPAN_ID}=${correlation.spanId} ${TRACE_FLAGS}=${
    formatTraceFlags(correlation.traceFlags)
  }`
})

/**
 * The fiber as a logger sees it, with the span's ids among its log annotations: Effect 4's
 * loggers read annotations from the fiber (`References.CurrentLogAnnotations`), not from their
 * options, so this is how a logger that prints annotations (the pretty one) prints the ids too.
 */
const withCorrelationAnnotations = (fiber: Fiber.Fiber<unknown, unknown>, correlation: Correlation): Fiber.Fiber<unknown, unknown> =>
  new Proxy(fiber, {
    get(target, property, receiver) {
      if (property !== "getRef") return Reflect.get(target, property, receiver)
      return <A>(ref: Parameters<Fiber.Fiber<unknown, unknown>["getRef"]>[0] & { readonly key: string }): A => {
        const value = target.getRef(ref) as A
        return ref.key === References.CurrentLogAnnotations.key
          ? { ...(value as Record<string, unknown>), ...correlationFields(correlation) } as A
          : value
      }
    }
  })

/** Effect's pretty console logger with the span's ids among the annotations it prints. */
const prettyLogger = (): Logger.Logger<unknown, void> => {
  const pretty = Logger.consolePretty()
  return Logger.make((options) => {
    const correlation = fromFiber(options.fiber)
    return pretty.log(correlation === undefined ? options : { ...options, fiber: withCorrelationAnnotations(options.fiber, correlation) })
  })
}

/**
 * The logger in the given format, writing through the fiber's `Console` (so a test's console
 * captures it, as it does Effect's default logger).
 *
 * @example
 * ```ts
 * const logger = CorrelatedLogger.make({ format: "logfmt" })
 * ```
 */
export const make = (options: Options = {}): Logger.Logger<unknown, void> => {
  switch (options.format ?? "json") {
    case "json":
      return Logger.withConsoleLog(jsonLogger)
    case "logfmt":
      return Logger.withConsoleLog(logfmtLogger)
    case "pretty":
      return prettyLogger()
  }
}

/**
 * Replaces Effect's default logger with the correlated logger, for the layer's scope; the other
 * loggers of the fiber (Effect's `tracerLogger`, which writes log lines as span events, the OTLP
 * bridge, a test's recorder) stay. When the program has already replaced the default logger with
 * one of its own (provided outside this layer), that logger stays and this layer changes nothing,
 * so no line is written twice.
 *
 * @example
 * ```ts
 * main.pipe(Effect.provide(CorrelatedLogger.layer({ format: "pretty" })))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<never> => {
  const logger = make(options)
  return Layer.effect(
    References.CurrentLoggers,
    Effect.map(Effect.service(References.CurrentLoggers), (loggers) => {
      if (!loggers.has(Logger.defaultLogger)) return loggers
      const replaced = new Set(loggers)
      replaced.delete(Logger.defaultLogger)
      return replaced.add(logger)
    })
  )
}
