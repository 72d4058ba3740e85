/**
 * Changing a running pipeline without a restart: each signal layer provides a control (the
 * no-op layers provide one that says why it cannot change anything), and the Observability
 * layer combines them into its `Reconfigure` service.
 *
 * @example
 * ```ts
 * const tracing = yield* Control.TracingControl
 * yield* tracing.setSamplingRatio(1)
 * ```
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

/** A change that cannot be made: the value is out of range, or the signal is not running. */
export class ReconfigureError extends Data.TaggedError("ReconfigureError")<{
  readonly field: string
  readonly reason: string
}> {
  override get message(): string {
    return `Cannot change ${this.field}: ${this.reason}`
  }
}

/** What can change while the program runs, for one exporting signal. */
export interface SignalControl {
  /** Whether finished data is handed to the exporter (recording goes on either way). */
  readonly exporting: Effect.Effect<boolean>
  readonly setExporting: (enabled: boolean) => Effect.Effect<void, ReconfigureError>
}

export interface TracingControlShape extends SignalControl {
  readonly samplingRatio: Effect.Effect<number>
  /** Applies to new root spans; children follow their parent's decision, so no trace is split. */
  readonly setSamplingRatio: (ratio: number) => Effect.Effect<void, ReconfigureError>
}

const notRunning = (field: string) =>
  Effect.fail(new ReconfigureError({ field, reason: "the signal is not running (disabled, or it failed to start)" }))

/** The control of a signal that is not running. */
export const notRunningSignal = (signal: "tracing" | "metrics"): SignalControl => ({
  exporting: Effect.succeed(false),
  setExporting: () => notRunning(`${signal}.enabled`)
})

/** The control of a tracing pipeline that is not running. */
export const notRunningTracing: TracingControlShape = {
  ...notRunningSignal("tracing"),
  samplingRatio: Effect.succeed(0),
  setSamplingRatio: () => notRunning("tracing.samplingRatio")
}

export class TracingControl extends Context.Reference<TracingControl>()("@lingo-obs/core/Control/TracingControl", {
  defaultValue: (): TracingControlShape => notRunningTracing
}) {}

export class MetricsControl extends Context.Reference<MetricsControl>()("@lingo-obs/core/Control/MetricsControl", {
  defaultValue: (): SignalControl => notRunningSignal("metrics")
}) {}

export { Switch } from "@lingo-obs/otlp/Switch"
