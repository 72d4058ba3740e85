/**
 * A decoded config section as the engine takes it: the same fields, durations in milliseconds.
 * Typed by shape, so that `export/` needs nothing from `config/`.
 */
import * as Duration from "effect/Duration"
import type * as EngineConfig from "@lingo-obs/otlp/ExportConfig"

/** A connection section as core's config writes it: the export timeout a `Duration`. */
export type ConnectionSection = Omit<EngineConfig.ConnectionConfig, "exportTimeoutMillis"> & {
  readonly exportTimeout: Duration.DurationInput
}

/** A signal's export section as core's config writes it. */
export type ExportSection =
  & Omit<EngineConfig.ExportConfig, "exportTimeoutMillis" | "retry" | "startupProbeTimeoutMillis">
  & ConnectionSection
  & {
    readonly startupProbeTimeout: Duration.DurationInput
    readonly retry: {
      readonly enabled: boolean
      readonly initialBackoff: Duration.DurationInput
      readonly maxBackoff: Duration.DurationInput
      readonly maxElapsedTime: Duration.DurationInput
    }
  }

export const connection = <C extends ConnectionSection>(
  config: C
): Omit<C, "exportTimeout"> & { readonly exportTimeoutMillis: number } => ({
  ...config,
  exportTimeoutMillis: Duration.toMillis(config.exportTimeout)
})

export const exportConfig = (config: ExportSection): EngineConfig.ExportConfig => ({
  ...connection(config),
  startupProbeTimeoutMillis: Duration.toMillis(config.startupProbeTimeout),
  retry: {
    enabled: config.retry.enabled,
    initialBackoffMillis: Duration.toMillis(config.retry.initialBackoff),
    maxBackoffMillis: Duration.toMillis(config.retry.maxBackoff),
    maxElapsedMillis: Duration.toMillis(config.retry.maxElapsedTime)
  }
})
