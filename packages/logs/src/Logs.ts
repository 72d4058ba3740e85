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
import { type Config, ExportPipeline, Globals, Required, Shutdown } from "@lingo-obs/core"
import { logs as OtelLogsApi } from "@opentelemetry/api-logs"
import { ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer"
import type { Resource } from "@opentelemetry/resources"
import { LoggerProvider, type LogRecordProcessor, type SdkLogRecord } from "@opentelemetry/sdk-logs"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as CorrelatedLogger from "./CorrelatedLogger.js"
import { bridge } from "./internal/bridge.js"
import { encodeJsonLines } from "./internal/logJson.js"
import { PipelineLogRecordProcessor } from "./internal/pipelineLogRecordProcessor.js"

/** The instrumentation scope of the exported records. */
export const SCOPE = "@lingo-obs/logs"

/** The pipeline bounds its own flush by the shutdown timeout; this grace only catches a stuck processor. */
const SHUTDOWN_GRACE = Duration.millis(250)

/** What the logs signal needs besides its config section. */
export interface Options {
  readonly config: Config.LogsConfig
  /** The resource every record carries (see `ServiceResource.make`). */
  readonly resource: Resource
  /** How long scope close may spend flushing; default 5 s. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /** Replaces the export pipeline the config describes (tests keep records in memory). */
  readonly processor?: LogRecordProcessor | undefined
}

/** The export pipeline with the config's queue, batching, concurrency and retry settings. */
const pipelineProcessor = (config: Config.LogsConfig, shutdownTimeout: Duration.Duration) =>
  Effect.map(
    ExportPipeline.make<SdkLogRecord>({
      signal: "logs",
      config,
      encodeOtlp: (records) => ProtobufLogsSerializer.serializeRequest(records as Array<SdkLogRecord>),
      encodeJson: (items) => encodeJsonLines(items, config.stdoutResource),
      maxQueueSize: config.maxQueueSize,
      maxBatchSize: config.maxExportBatchSize,
      batchDelayMillis: Duration.toMillis(config.batchTimeout),
      maxConcurrentExports: config.maxConcurrentExports,
      itemName: "log records"
    }),
    (pipeline) => new PipelineLogRecordProcessor(pipeline, Duration.toMillis(shutdownTimeout))
  )

/**
 * Makes the OpenTelemetry logs API (`logs.getLogger`) emit into this provider while the scope is
 * open, so libraries that log through it are exported too. If another SDK owns it, it keeps it.
 */
const registerGlobal = (provider: LoggerProvider) =>
  Globals.register("logs", () => OtelLogsApi.setGlobalLoggerProvider(provider) === provider, () => OtelLogsApi.disable())

const exporting = (options: Options): Layer.Layer<never, Required.PipelineStartError> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const shutdownTimeout = Duration.decode(options.shutdownTimeout ?? Duration.seconds(5))
    const processor = options.processor ?? (yield* pipelineProcessor(options.config, shutdownTimeout))
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() => new LoggerProvider({ resource: options.resource, processors: [processor] })),
      // A shut-down provider ignores records, so lines logged while closing cannot fail.
      (provider) => Shutdown.bounded("logs", Duration.sum(shutdownTimeout, SHUTDOWN_GRACE), () => provider.shutdown())
    )
    yield* registerGlobal(provider)
    const attributes = options.resource.attributes
    const logger = bridge(provider.getLogger(
      SCOPE,
      attributes["service.version"] === undefined ? undefined : String(attributes["service.version"])
    ))
    yield* Effect.locallyScopedWith(FiberRef.currentLoggers, HashSet.add(logger))
  }))

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
