/**
 * Changing a running program's observability without a restart, as on the Effect 3 line: the
 * sampling ratio (raise it to 1 while debugging, then back) and whether each signal exports.
 * Every change logs one line with the old and the new value; an invalid value fails with a
 * `ReconfigureError` naming the field and changes nothing.
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
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
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
