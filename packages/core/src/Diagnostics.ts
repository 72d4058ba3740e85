/**
 * How the toolkit talks to operators: every line it logs goes through the program's Effect logger
 * with the fixed annotations `component=observability` and `service.name`, and secrets in headers
 * are redacted wherever they are printed.
 */
import { DiagLogLevel, diag } from "@opentelemetry/api"
import { loggingErrorHandler, setGlobalErrorHandler } from "@opentelemetry/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Redact from "@lingo-obs/otlp/Redact"
import * as Format from "@lingo-obs/otlp/Format"

/** The annotation every toolkit log line carries. */
export const COMPONENT = "observability"

/** Adds the fixed annotations (`component`, `service.name`, and any extra fields) to an effect's logs. */
export const annotate = (fields: Record<string, unknown> = {}) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.annotateLogs(self, { component: COMPONENT, ...fields })

/**
 * A copy of `headers` safe to print; the one rule is `Redact.headers` (every value hidden but a
 * few standard headers'), kept here under its old name.
 */
export const redactHeaders: (headers: Readonly<Record<string, string>>) => Record<string, string> = Redact.headers

/** `decodeURIComponent` that keeps malformed escapes as they are instead of throwing. */
export { decodeURIComponentSafe } from "@lingo-obs/otlp/Environment"

/** Log levels of the toolkit's own lines. */
export type Level = "debug" | "info" | "warning" | "error"

/** Logging for code that runs outside Effect (exporter callbacks, timers) through the program's logger. */
export interface Sink {
  log(level: Level, message: string, fields?: Readonly<Record<string, unknown>>): void
}

const LOG_AT: Record<Level, (message: string) => Effect.Effect<void>> = {
  debug: Effect.logDebug,
  info: Effect.logInfo,
  warning: Effect.logWarning,
  error: Effect.logError
}

/**
 * A sink that logs through the current fiber's logger and annotations (captured now), adding the
 * fixed fields and `fields`.
 *
 * @example
 * ```ts
 * const sink = yield* Diagnostics.sink({ signal: "traces", endpoint })
 * sink.log("warning", "export failed; retrying")
 * ```
 */
export const sink = (fields: Readonly<Record<string, unknown>> = {}): Effect.Effect<Sink> =>
  Effect.map(Effect.runtime<never>(), (runtime) => {
    const run = Runtime.runFork(runtime)
    return {
      log: (level, message, extra = {}) => {
        run(LOG_AT[level](message).pipe(annotate({ ...fields, ...extra })))
      }
    }
  })

const twoDigits = (value: number) => String(value).padStart(2, "0")
const formatTime = (date: Date) =>
  `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())}.${
    String(date.getMilliseconds()).padStart(3, "0")
  }`
const formatValue = (value: unknown) => {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value)
  return /^[^\s="]*$/.test(text) ? text : JSON.stringify(text)
}

/**
 * `logger`, except that the toolkit's own lines (annotated `component=observability`) are one
 * line each, `[time] LEVEL (#fiber): message key=value …`: a pretty logger prints every
 * annotation on a line of its own, which turned each toolkit line into a block of 6-9 lines.
 *
 * @example
 * ```ts
 * Logger.replace(Logger.prettyLoggerDefault, Diagnostics.singleLine(Logger.prettyLoggerDefault))
 * ```
 */
export const singleLine = <Message, Output>(logger: Logger.Logger<Message, Output>): Logger.Logger<Message, Output | void> =>
  Logger.make((options) => {
    if (Option.getOrUndefined(HashMap.get(options.annotations, "component")) !== COMPONENT) return logger.log(options)
    const parts = Array.isArray(options.message) ? options.message : [options.message]
    const message = parts.map((part) => (typeof part === "string" ? part : formatValue(part))).join(" ")
    const fields: Array<string> = []
    for (const [key, value] of options.annotations) if (key !== "component") fields.push(`${key}=${formatValue(value)}`)
    const cause = Cause.isEmpty(options.cause) ? "" : ` cause=${formatValue(Cause.pretty(options.cause))}`
    globalThis.console.log(
      `[${formatTime(options.date)}] ${options.logLevel.label} (${FiberId.threadName(options.fiberId)}): ${message}${
        fields.length === 0 ? "" : ` ${fields.join(" ")}`
      }${cause}`
    )
  })

/**
 * For the layer's scope, the pretty logger `NodeRuntime.runMain` installs prints the toolkit's
 * lines on one line each (see `singleLine`); other loggers are left alone.
 */
export const layerSingleLine: Layer.Layer<never> = Layer.scopedDiscard(
  Effect.locallyScopedWith(FiberRef.currentLoggers, (loggers) =>
    HashSet.has(loggers, Logger.prettyLoggerDefault as Logger.Logger<unknown, unknown>)
      ? HashSet.add(
        HashSet.remove(loggers, Logger.prettyLoggerDefault as Logger.Logger<unknown, unknown>),
        singleLine(Logger.prettyLoggerDefault) as Logger.Logger<unknown, unknown>
      )
      : loggers)
)

/** Formats milliseconds for a log line: `250ms`, `5.0s`, `1m 2s`. */
export const formatMillis = Format.formatMillis

/**
 * Routes the OpenTelemetry SDK's global error handler and diagnostic logger (warnings and errors)
 * to the program's Effect logger while the scope is open, so SDK errors never reach raw stderr;
 * the SDK's defaults are restored on close.
 *
 * @example
 * ```ts
 * Layer.scopedDiscard(Diagnostics.captureOpenTelemetryErrors)
 * ```
 */
export const captureOpenTelemetryErrors: Effect.Effect<void, never, Scope.Scope> = Effect.gen(function*() {
  const log = yield* sink({ source: "opentelemetry-sdk" })
  const toText = (args: ReadonlyArray<unknown>) => args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(" ")
  yield* Effect.acquireRelease(
    Effect.sync(() => {
      setGlobalErrorHandler((error) => log.log("error", `OpenTelemetry SDK error: ${toText([error])}`))
      diag.setLogger({
        error: (...args) => log.log("error", `OpenTelemetry SDK: ${toText(args)}`),
        warn: (...args) => log.log("warning", `OpenTelemetry SDK: ${toText(args)}`),
        info: () => {},
        debug: () => {},
        verbose: () => {}
      }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
    }),
    () =>
      Effect.sync(() => {
        setGlobalErrorHandler(loggingErrorHandler())
        diag.disable()
      })
  )
})
