/**
 * The logs signal of the Effect 4 line: every Effect log call becomes an OpenTelemetry log record
 * (severity, message as body, annotations as attributes, and the trace and span ids of the span it
 * was written in) and goes through the engine's export pipeline (`@lingo-obs/otlp`), over OTLP or
 * as JSON lines on stdout (`exporter: stdout`), batched, retried and bounded like spans. Scoped: records still buffered are flushed when the layer's
 * scope closes.
 *
 * The `logs` section also says how the program's own log lines look on stdout (`format`) and the
 * minimum level (`level`): `layerConsole` applies those, `layer` the export.
 *
 * @example
 * ```ts
 * const LogsLive = Logs.layer({ config: { ...config.logs, enabled: true }, resource })
 * Effect.logInfo("order placed").pipe(Effect.withSpan("checkout"), Effect.provide(LogsLive))
 * ```
 */
import { PipelineLogRecordProcessor } from "@lingo-obs/otlp/LogRecordProcessor"
import * as StdoutJson from "@lingo-obs/otlp/StdoutJson"
import { logs as OtelLogsApi } from "@opentelemetry/api-logs"
import { JsonLogsSerializer, ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer"
import type { Resource } from "@opentelemetry/resources"
import { LoggerProvider, type LogRecordProcessor, type SdkLogRecord } from "@opentelemetry/sdk-logs"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"
import type * as Config from "../config/Config.js"
import * as ExportPipeline from "../export/ExportPipeline.js"
import * as OtelGlobals from "../internal/otelGlobals.js"
import * as Required from "../Required.js"
import * as Shutdown from "../Shutdown.js"
import * as CorrelatedLogger from "./CorrelatedLogger.js"
import { bridge } from "./internal/bridge.js"

/** The instrumentation scope of the exported records (the Effect 3 line's). */
export const SCOPE = "@lingo-obs/logs"

/** What the logs signal needs besides its config section. */
export interface Options {
  readonly config: Config.LogsConfig
  /** The resource every record carries (see `ServiceResource.make`). */
  readonly resource: Resource
  /** How long scope close may spend flushing; default 5 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** Opens the OTLP transport; default: the engine's gRPC or HTTP transport, as `config.protocol` says (tests pass their own). */
  readonly connect?: ExportPipeline.Connect | undefined
  /** Replaces the export pipeline the config describes (tests keep records in memory). */
  readonly processor?: LogRecordProcessor | undefined
}

/** The pipeline bounds its own flush by the shutdown timeout; this grace only catches a stuck processor. */
const SHUTDOWN_GRACE = Duration.millis(250)

/** The processor handing records to the engine's pipeline, with the config's queue, batching, concurrency and retry. */
const pipelineProcessor = (options: Options, shutdownTimeout: Duration.Duration) =>
  Effect.gen(function*() {
    const { config } = options
    const pipeline = yield* ExportPipeline.make<SdkLogRecord>({
      signal: "logs",
      config,
      connect: options.connect,
      encodeOtlp: (records) => ProtobufLogsSerializer.serializeRequest(records as Array<SdkLogRecord>),
      encodeOtlpJson: (records) => JsonLogsSerializer.serializeRequest(records as Array<SdkLogRecord>),
      encodeJson: (records) => StdoutJson.encodeLogRecords(records, config.stdoutResource),
      maxQueueSize: config.maxQueueSize,
      maxBatchSize: config.maxExportBatchSize,
      batchDelayMillis: Duration.toMillis(config.batchTimeout),
      maxConcurrentExports: config.maxConcurrentExports,
      itemName: "log records"
    })
    return new PipelineLogRecordProcessor(pipeline, Duration.toMillis(shutdownTimeout))
  })

const exporting = (options: Options): Layer.Layer<never, Required.PipelineStartError> =>
  Layer.effect(
    References.CurrentLoggers,
    Effect.gen(function*() {
      const shutdownTimeout = Duration.fromInputUnsafe(options.shutdownTimeout ?? Duration.seconds(5))
      const processor = options.processor ?? (yield* pipelineProcessor(options, shutdownTimeout))
      const provider = yield* Effect.acquireRelease(
        Effect.sync(() => new LoggerProvider({ resource: options.resource, processors: [processor] })),
        // A shut-down provider ignores records, so lines logged while closing cannot fail.
        (provider) => Shutdown.bounded("logs", Duration.sum(shutdownTimeout, SHUTDOWN_GRACE), () => provider.shutdown())
      )
      yield* OtelGlobals.register(
        "logs",
        () => OtelLogsApi.setGlobalLoggerProvider(provider) === provider,
        () => OtelLogsApi.disable()
      )
      const version = options.resource.attributes["service.version"]
      const logger = bridge(provider.getLogger(SCOPE, version === undefined ? undefined : String(version)))
      // The program's loggers (stdout, a test's recorder) stay; the bridge joins them.
      const loggers = yield* Effect.service(References.CurrentLoggers)
      return new Set([...loggers, logger])
    })
  )

/**
 * The export of log records `options.config` describes: nothing unless `enabled` (and exporter not
 * `none`). The bridge joins the fiber's loggers (`References.CurrentLoggers`); the program's own
 * loggers stay. When the pipeline cannot start, `config.required` decides: fail startup with a
 * `PipelineStartError`, or log one warning and run without exporting logs.
 *
 * @example
 * ```ts
 * const LogsLive = Logs.layer({ config: { ...Config.defaults.logs, enabled: true }, resource })
 * ```
 */
export const layer = (options: Options): Layer.Layer<never, Required.PipelineStartError> => {
  const { config } = options
  if (!config.enabled || (config.exporter === "none" && options.processor === undefined)) return Layer.empty
  return Required.withFallback(exporting(options), { signal: "logs", required: config.required, fallback: Layer.empty })
}

const LEVELS: Record<Config.LogLevelName, LogLevel.LogLevel> = {
  all: "All",
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warning: "Warn",
  error: "Error",
  fatal: "Fatal",
  none: "None"
}

/**
 * The program's log lines as the `logs` section says: the stdout format (`effect` changes
 * nothing) and the minimum level. Provide it outside the other observability layers so their own
 * lines are written the same way.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Logs.layerConsole({ format: "json", level: "debug" })))
 * ```
 */
export const layerConsole = (config: Pick<Config.LogsConfig, "format" | "level">): Layer.Layer<never> => {
  const format = config.format === "effect" ? Layer.empty : CorrelatedLogger.layer({ format: config.format })
  const level = config.level === undefined ? Layer.empty : Layer.succeed(References.MinimumLogLevel, LEVELS[config.level])
  return Layer.merge(format, level)
}

