/**
 * The run-time controls of the signals' pipelines, which `Reconfigure` drives: each signal layer
 * provides its control; without it (signal off, or not composed) the not-running control stands
 * in, so `Reconfigure` works whatever signals a program runs. References, so that a composition
 * needs no layer for a signal it does not have.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

/** A change `Reconfigure` refused, naming the field and what was expected. */
export class ReconfigureError extends Data.TaggedError("ReconfigureError")<{
  readonly field: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.field}: ${this.reason}`
  }
}

/** Switches a signal's export on or off while the program runs (recording goes on either way). */
export interface ExportControl {
  readonly exporting: Effect.Effect<boolean>
  readonly setExporting: (enabled: boolean) => Effect.Effect<void, ReconfigureError>
}

export interface TracingControlShape extends ExportControl {
  readonly samplingRatio: Effect.Effect<number>
  readonly setSamplingRatio: (ratio: number) => Effect.Effect<void, ReconfigureError>
}

const notRunning = (field: string) => (): Effect.Effect<void, ReconfigureError> =>
  Effect.fail(new ReconfigureError({ field, reason: "the signal is not running (disabled, or its pipeline did not start)" }))

/** The tracing control of a signal that does not run. */
export const notRunningTracing: TracingControlShape = {
  exporting: Effect.succeed(false),
  setExporting: notRunning("tracing.enabled"),
  samplingRatio: Effect.succeed(0),
  setSamplingRatio: notRunning("tracing.samplingRatio")
}

/** The metrics control of a signal that does not run. */
export const notRunningMetrics: ExportControl = {
  exporting: Effect.succeed(false),
  setExporting: notRunning("metrics.enabled")
}

/** The running traces pipeline's control. */
export const TracingControl = Context.Reference<TracingControlShape>("lingo-obs/Control/TracingControl", {
  defaultValue: () => notRunningTracing
})

/** The running metrics pipeline's control (provided by the metrics layer). */
export const MetricsControl = Context.Reference<ExportControl>("lingo-obs/Control/MetricsControl", {
  defaultValue: () => notRunningMetrics
})
