/**
 * Changing a running program's observability without a restart, as on the Effect 3 line: the
 * sampling ratio (raise it to 1 while debugging, then back) and whether each signal exports.
 * Through the `Reconfigure` service, or by editing a watched config file (`watch: true` or
 * `OBSERVABILITY_CONFIG_WATCH=true`). Every change logs one line with the old and the new value;
 * an invalid value fails with a `ReconfigureError` naming the field and changes nothing, and an
 * invalid edit of the file logs an error naming the field and keeps the running config.
 *
 * Sampling stays parent-based: a new ratio applies to new root spans, and spans of traces
 * already started follow their root's decision, so no trace is split by a change.
 *
 * @example
 * ```ts
 * import { Reconfigure } from "lingo-obs"
 *
 * yield* Reconfigure.setSamplingRatio(1)   // debugging
 * yield* Reconfigure.setSamplingRatio(0.1) // and back
 * ```
 */
import * as ConfigWatch from "@lingo-obs/otlp/ConfigWatch"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Config from "./config/Config.js"
import * as Environment from "./config/Environment.js"
import * as Control from "./Control.js"
import * as Diagnostics from "./Diagnostics.js"

export type ExportingSignal = "tracing" | "metrics"

export { ReconfigureError } from "./Control.js"

/** The values that can change while the program runs. */
export interface LiveSettings {
  readonly samplingRatio: number
  readonly tracingExport: boolean
  readonly metricsExport: boolean
}

export class Reconfigure extends Context.Service<Reconfigure, {
  readonly current: Effect.Effect<LiveSettings>
  readonly setSamplingRatio: (ratio: number) => Effect.Effect<void, Control.ReconfigureError>
  readonly setExporting: (signal: ExportingSignal, enabled: boolean) => Effect.Effect<void, Control.ReconfigureError>
}>()("lingo-obs/Reconfigure") {}

/** The values now in effect. */
export const current: Effect.Effect<LiveSettings, never, Reconfigure> = Reconfigure.use((r) => r.current)

/** Sets the sampling ratio of new root spans (0 to 1). */
export const setSamplingRatio = (ratio: number): Effect.Effect<void, Control.ReconfigureError, Reconfigure> =>
  Reconfigure.use((r) => r.setSamplingRatio(ratio))

/** Switches a signal's export on or off (recording goes on either way). */
export const setExporting = (
  signal: ExportingSignal,
  enabled: boolean
): Effect.Effect<void, Control.ReconfigureError, Reconfigure> => Reconfigure.use((r) => r.setExporting(signal, enabled))

const logChange = (field: string, before: unknown, after: unknown) =>
  Effect.logInfo(`${field} changed from ${String(before)} to ${String(after)}`).pipe(Diagnostics.annotate({ field }))

/**
 * The service over the signals' controls, read where it is built: provide it after (outside)
 * the signal layers, whose controls stand in for the not-running ones.
 */
export const layer: Layer.Layer<Reconfigure> = Layer.effect(
  Reconfigure,
  Effect.gen(function*() {
    const tracing = yield* Control.TracingControl
    const metrics = yield* Control.MetricsControl
    const controls = { tracing, metrics }
    return Reconfigure.of({
      current: Effect.all({
        samplingRatio: tracing.samplingRatio,
        tracingExport: tracing.exporting,
        metricsExport: metrics.exporting
      }),
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
 * Applies a newly loaded config: the fields a running program can change (the engine's
 * `ConfigWatch.HOT_FIELDS`) through `Reconfigure`; for the others, one warning that they take
 * effect at the next start. A refused change is logged as an error naming the field.
 */
export const apply = (
  before: Config.ObservabilityConfig,
  after: Config.ObservabilityConfig,
  source: string
): Effect.Effect<void, never, Reconfigure> =>
  Effect.gen(function*() {
    const { cold, hot } = ConfigWatch.classify(encodeConfig(before), encodeConfig(after))
    if (hot.includes("tracing.samplingRatio")) yield* setSamplingRatio(after.tracing.samplingRatio)
    if (hot.includes("tracing.enabled")) yield* setExporting("tracing", after.tracing.enabled)
    if (hot.includes("metrics.enabled")) yield* setExporting("metrics", after.metrics.enabled)
    if (cold.length > 0) {
      yield* Effect.logWarning(`${source}: ${cold.join(", ")} changed; these take effect at the next start`)
    }
  }).pipe(
    Effect.catch((error) => Effect.logError(`${source}: ${error.message}`)),
    Diagnostics.annotate({ source })
  )

/**
 * Watches a config file (polling its content, which survives editors that replace the file) and
 * applies each valid edit within about `interval` (default 500 ms); an invalid edit logs the
 * error, naming the field, and the running config stays. Stops when the scope closes.
 *
 * @example
 * ```ts
 * yield* Reconfigure.watchFile({ file: "observability.yaml", initial: config })
 * ```
 */
export const watchFile = (options: {
  readonly file: string
  /** The explicit config the file is merged under, as at start-up. */
  readonly config?: unknown
  /** The environment read at start-up (`OTEL_*`); default `process.env`. */
  readonly variables?: Readonly<Record<string, string | undefined>> | undefined
  /** The config in effect at start-up. */
  readonly initial: Config.ObservabilityConfig
  readonly interval?: Duration.Input | undefined
}): Effect.Effect<void, never, Reconfigure | Scope.Scope> =>
  Effect.gen(function*() {
    const changes = new ConfigWatch.FileChanges(options.file)
    yield* Effect.promise(() => changes.start())
    let applied = options.initial
    const check = Effect.gen(function*() {
      const change = yield* Effect.promise(() => changes.next())
      if (change === undefined) return
      const next = yield* Effect.result(Environment.load({ file: options.file, config: options.config, variables: options.variables }))
      if (next._tag === "Failure") {
        yield* Effect.logError(`${next.failure.message}\nThe running config stays as it was.`).pipe(
          Diagnostics.annotate({ source: options.file })
        )
        return
      }
      yield* apply(applied, next.success, options.file)
      applied = next.success
    })
    yield* Effect.forkScoped(Effect.repeat(check, Schedule.spaced(options.interval ?? "500 millis")))
  })
