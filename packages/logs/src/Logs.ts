/**
 * The logs signal: every Effect log call becomes an OpenTelemetry log record (severity, message
 * as body, annotations as attributes, and the trace and span ids of the span it was written in)
 * and goes through the toolkit's export pipeline to OTLP/gRPC or stdout, batched, retried and
 * bounded like spans. Scoped: records still buffered are flushed when the layer's scope closes.
 *
 * The `logs` section also says how the program's own log lines look on stdout (`format`) and
 * the minimum level (`level`): `layerConsole` applies those, `layer` the export.
 *
 * @example
 * ```ts
 * import { Logs } from "@lingo-obs/logs"
 *
 * const LogsLive = Logs.layer({ config: { ...config.logs, enabled: true }, resource })
 * Effect.logInfo("order placed").pipe(Effect.withSpan("checkout"), Effect.provide(LogsLive))
 * ```
 */
import { type Config, Required } from "@lingo-obs/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as CorrelatedLogger from "./CorrelatedLogger.js"
import type { Options } from "./internal/options.js"

export { type Options, SCOPE } from "./internal/options.js"

/**
 * The export, loaded on first use: its SDK modules cost start-up time that a program exporting no
 * logs should not pay.
 */
const exporting = (options: Options): Layer.Layer<never, Required.PipelineStartError> =>
  Layer.unwrapEffect(Effect.map(Effect.promise(() => import("./internal/logsExport.js")), (module) => module.exporting(options)))

/**
 * The export of log records `options.config` describes: nothing unless `enabled` (and exporter
 * not `none`). When the pipeline cannot start, `config.required` decides: fail startup with a
 * `PipelineStartError`, or log one warning and run without exporting logs.
 *
 * @example
 * ```ts
 * const LogsLive = Logs.layer({ config: { ...Config.defaults.logs, enabled: true, endpoint: "otel:4317" }, resource })
 * ```
 */
export const layer = (options: Options): Layer.Layer<never, Required.PipelineStartError> => {
  const { config } = options
  if (!config.enabled || (config.exporter === "none" && options.processor === undefined)) return Layer.empty
  return Required.withFallback(exporting(options), { signal: "logs", required: config.required, fallback: Layer.empty })
}

const LEVELS: Record<Config.LogLevelName, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/**
 * The program's log lines as the `logs` section says: the stdout format (`effect` changes
 * nothing) and the minimum level. Provide it outside the other observability layers so their
 * own lines are written the same way.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Logs.layerConsole({ ...Config.defaults.logs, format: "json", level: "debug" })))
 * ```
 */
export const layerConsole = (config: Pick<Config.LogsConfig, "format" | "level">): Layer.Layer<never> => {
  const format = config.format === "effect" ? Layer.empty : CorrelatedLogger.layer({ format: config.format })
  const level = config.level === undefined ? Layer.empty : Logger.minimumLogLevel(LEVELS[config.level])
  return Layer.merge(format, level)
}
