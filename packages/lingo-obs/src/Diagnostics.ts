/**
 * How the toolkit talks to operators on the Effect 4 line: every line it logs goes through the
 * program's own logger (whatever `Logger.layer` the app installed) with the fixed annotation
 * `component=observability`, as on the Effect 3 line. Code that runs outside Effect (the engine's
 * pipeline, its timers and transport callbacks) logs through a `Sink` captured from the fiber
 * that built the layer, so its lines carry that fiber's loggers and annotations.
 *
 * @example
 * ```ts
 * const log = yield* Diagnostics.sink({ signal: "traces", endpoint })
 * log.log("warning", "export failed; retrying")
 * ```
 */
import { DiagLogLevel, diag } from "@opentelemetry/api"
import { loggingErrorHandler, setGlobalErrorHandler } from "@opentelemetry/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/** The annotation every toolkit log line carries. */
export const COMPONENT = "observability"

/** Adds the fixed annotation (`component`) and any extra fields to an effect's logs. */
export const annotate = (fields: Readonly<Record<string, unknown>> = {}) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.annotateLogs(self, { component: COMPONENT, ...fields })

/** Log levels of the toolkit's own lines (the engine's `LogSink` levels). */
export type Level = "debug" | "info" | "warning" | "error"

/** Logging for code that runs outside Effect, through the program's logger. */
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
 * A sink that logs through the current fiber's services (its loggers, log level and annotations,
 * captured now), adding the fixed fields and `fields`.
 */
export const sink = (fields: Readonly<Record<string, unknown>> = {}): Effect.Effect<Sink> =>
  Effect.map(Effect.context<never>(), (context) => {
    const run = Effect.runForkWith(context)
    return {
      log: (level, message, extra = {}) => {
        run(LOG_AT[level](message).pipe(annotate({ ...fields, ...extra })))
      }
    }
  })

/**
 * Routes the OpenTelemetry SDK's global error handler and diagnostic logger (warnings and errors)
 * to the program's logger while the scope is open, so SDK errors never reach raw stderr.
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
