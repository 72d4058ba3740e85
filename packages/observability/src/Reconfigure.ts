/**
 * Changing a running program's observability without a restart: the sampling ratio (raise it to
 * 1 while debugging, then back) and whether each signal exports. Through the `Reconfigure`
 * service, or by editing a watched config file. Every change logs one line with the old and the
 * new value; an invalid edit logs an error naming the field and changes nothing.
 *
 * Sampling stays parent-based: a new ratio applies to new root spans, and spans of traces
 * already started follow their root's decision, so no trace is split by a change.
 *
 * @example
 * ```ts
 * import { Reconfigure } from "@lingo-obs/observability"
 *
 * yield* Reconfigure.setSamplingRatio(1)   // debugging
 * yield* Reconfigure.setSamplingRatio(0.1) // and back
 * ```
 */
import { Config, ConfigSource, ConfigWatch, Control, Diagnostics } from "@lingo-obs/core"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"

export type ExportingSignal = "tracing" | "metrics"

/** The values that can change while the program runs. */
export interface LiveSettings {
  readonly samplingRatio: number
  readonly tracingExport: boolean
  readonly metricsExport: boolean
}

export class Reconfigure extends Context.Tag("@lingo-obs/observability/Reconfigure")<Reconfigure, {
  readonly current: Effect.Effect<LiveSettings>
  readonly setSamplingRatio: (ratio: number) => Effect.Effect<void, Control.ReconfigureError>
  readonly setExporting: (signal: ExportingSignal, enabled: boolean) => Effect.Effect<void, Control.ReconfigureError>
}>() {}

/** The values now in effect. */
export const current: Effect.Effect<LiveSettings, never, Reconfigure> = Effect.flatMap(Reconfigure, (r) => r.current)

/** Sets the sampling ratio of new root spans (0 to 1). */
export const setSamplingRatio = (ratio: number): Effect.Effect<void, Control.ReconfigureError, Reconfigure> =>
  Effect.flatMap(Reconfigure, (r) => r.setSamplingRatio(ratio))

/** Switches a signal's export on or off (recording goes on either way). */
export const setExporting = (
  signal: ExportingSignal,
  enabled: boolean
): Effect.Effect<void, Control.ReconfigureError, Reconfigure> =>
  Effect.flatMap(Reconfigure, (r) => r.setExporting(signal, enabled))

const logChange = (field: string, before: unknown, after: unknown) =>
  Effect.logInfo(`${field} changed from ${String(before)} to ${String(after)}`).pipe(Diagnostics.annotate({ field }))

/** The service over the signals' controls (the not-running ones when a signal is off). */
export const layer: Layer.Layer<Reconfigure> = Layer.effect(
  Reconfigure,
  Effect.gen(function*() {
    const tracing = yield* Control.TracingControl
    const metrics = yield* Control.MetricsControl
    const controls = { tracing, metrics }
    const current = Effect.all({
      samplingRatio: tracing.samplingRatio,
      tracingExport: tracing.exporting,
      metricsExport: metrics.exporting
    })
    return Reconfigure.of({
      current,
      setSamplingRatio: (ratio) =>
        Effect.gen(function*() {
          const before = yield* tracing.samplingRatio
          if (before === ratio) return
          yield* tracing.setSamplingRatio(ratio)
          yield* logChange("tracing.samplingRatio", before, ratio)
        }),
      setExporting: (signal, enabled) =>
        Effect.gen(function*() {
          const control = controls[signal]
          const before = yield* control.exporting
          if (before === enabled) return
          yield* control.setExporting(enabled)
          yield* logChange(`${signal}.enabled`, before, enabled)
        })
    })
  })
)

const encodeConfig = Schema.encodeSync(Config.ObservabilityConfig)

/**
 * Applies a newly loaded config: the hot fields through `Reconfigure`; for the others, one
 * warning that they take effect at the next start.
 */
export const apply = (
  before: Config.ObservabilityConfig,
  after: Config.ObservabilityConfig,
  source: string
): Effect.Effect<void, never, Reconfigure> =>
  Effect.gen(function*() {
    // Which fields changed, and which of them apply now, is the engine's (one copy for both lines).
    const { cold, hot } = ConfigWatch.classify(encodeConfig(before), encodeConfig(after))
    if (hot.includes("tracing.samplingRatio")) yield* setSamplingRatio(after.tracing.samplingRatio)
    if (hot.includes("tracing.enabled")) yield* setExporting("tracing", after.tracing.enabled)
    if (hot.includes("metrics.enabled")) yield* setExporting("metrics", after.metrics.enabled)
    if (cold.length > 0) {
      yield* Effect.logWarning(`${source}: ${cold.join(", ")} changed; these take effect at the next start`)
    }
  }).pipe(
    Effect.catchAll((error) => Effect.logError(`${source}: ${error.message}`)),
    Diagnostics.annotate({ source })
  )

/**
 * Watches a config file (polling its content, which survives editors that replace the file)
 * and applies each valid edit within about `interval`; an invalid edit logs the error, naming
 * the field, and the running config stays. Stops when the scope closes.
 */
export const watchFile = (options: {
  readonly file: string
  /** The explicit config the file is merged under, as at startup. */
  readonly config?: unknown
  /** The config in effect at startup. */
  readonly initial: Config.ObservabilityConfig
  readonly interval?: Duration.DurationInput | undefined
}): Effect.Effect<void, never, Reconfigure | Scope.Scope> =>
  Effect.gen(function*() {
    const changes = new ConfigWatch.FileChanges(options.file)
    yield* Effect.promise(() => changes.start())
    let applied = options.initial
    const check = Effect.gen(function*() {
      if ((yield* Effect.promise(() => changes.next())) === undefined) return
      const next = yield* Effect.either(ConfigSource.load({ file: options.file, config: options.config }))
      if (next._tag === "Left") {
        yield* Effect.logError(`${next.left.message}\nThe running config stays as it was.`).pipe(
          Diagnostics.annotate({ source: options.file })
        )
        return
      }
      yield* apply(applied, next.right, options.file)
      applied = next.right
    })
    yield* Effect.forkScoped(Effect.repeat(check, Schedule.spaced(options.interval ?? Duration.millis(500))))
  })
