/**
 * The logs signal of the Effect 4 line: every Effect log call becomes an OpenTelemetry log record
 * (severity, message as body, annotations as attributes, and the trace and span ids of the span it
 * was written in) and goes through the engine's export pipeline (`@lingo-obs/otlp`), batched,
 * retried and bounded like spans. Scoped: records still buffered are flushed when the layer's
 * scope closes.
 *
 * The `logs` section also says how the program's own log lines look on stdout (`format`) and the
 * minimum level (`level`): `layerConsole` applies those, `layer` the export.
 *
 * @example
 * ```ts
 * const LogsLive = Logs.layer({ config: { ...config.logs, enabled: true }, resource, transport })
 * Effect.logInfo("order placed").pipe(Effect.withSpan("checkout"), Effect.provide(LogsLive))
 * ```
 */
import { PipelineLogRecordProcessor } from "@lingo-obs/otlp/LogRecordProcessor"
import type { LogSink, Pipeline } from "@lingo-obs/otlp/Pipeline"
import type { Transport } from "@lingo-obs/otlp/Transport"
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
import * as OtelGlobals from "../internal/otelGlobals.js"
import * as SignalPipeline from "../internal/signalPipeline.js"
import * as CorrelatedLogger from "./CorrelatedLogger.js"
import { bridge } from "./internal/bridge.js"

/** The instrumentation scope of the exported records (the Effect 3 line's). */
export const SCOPE = "@lingo-obs/logs"

/** What the logs signal needs besides its config section. */
export interface Options {
  readonly config: Config.LogsConfig
  readonly resource: Resource
  /**
   * Where the records go: the engine's OTLP/gRPC or OTLP/HTTP transport for `config`'s endpoint,
   * or a processor of the caller's (tests keep records in memory).
   */
  readonly export: { readonly transport: Transport; readonly log?: LogSink | undefined } | { readonly processor: LogRecordProcessor }
  /** How long scope close may spend flushing; default 5 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
}

/** The processor handing records to the engine's pipeline, with the config's queue, batching, concurrency and retry. */
const pipelineProcessor = (config: Config.LogsConfig, transport: Transport, log: LogSink, timeoutMillis: number) => {
  const serializer = config.protocol === "http/json" ? JsonLogsSerializer : ProtobufLogsSerializer
  const pipeline = SignalPipeline.make<SdkLogRecord>({
    signal: "logs",
    config,
    transport,
    log,
    encode: (records) => serializer.serializeRequest(records as Array<SdkLogRecord>),
    maxQueueSize: config.maxQueueSize,
    maxBatchSize: config.maxExportBatchSize,
    batchDelayMillis: Duration.toMillis(config.batchTimeout),
    maxConcurrentExports: config.maxConcurrentExports,
    itemName: "log records"
  })
  // The engine's processor is typed for `Pipeline<SdkLogRecord, unknown>`, whose `send` takes any
  // payload; this pipeline's takes bytes, which is all it is given (the processor never sends).
  return new PipelineLogRecordProcessor(pipeline as unknown as Pipeline<SdkLogRecord, unknown>, timeoutMillis)
}

/** The pipeline bounds its own flush by the shutdown timeout; this grace only catches a stuck processor. */
const SHUTDOWN_GRACE_MILLIS = 250

/**
 * The export of log records `options.config` describes: nothing unless `enabled` (and exporter not
 * `none`). The bridge joins the fiber's loggers (`References.CurrentLoggers`); the program's own
 * loggers stay.
 *
 * @example
 * ```ts
 * const LogsLive = Logs.layer({ config: { ...Config.defaults.logs, enabled: true }, resource, export: { transport } })
 * ```
 */
export const layer = (options: Options): Layer.Layer<never> => {
  const { config } = options
  if (!config.enabled || (config.exporter === "none" && !("processor" in options.export))) return Layer.empty
  return Layer.effect(
    References.CurrentLoggers,
    Effect.gen(function*() {
      const timeoutMillis = Duration.toMillis(Duration.fromInputUnsafe(options.shutdownTimeout ?? "5 seconds"))
      const target = options.export
      const processor = "processor" in target
        ? target.processor
        : pipelineProcessor(config, target.transport, target.log ?? SignalPipeline.logSinkFrom(yield* Effect.context<never>()), timeoutMillis)
      const provider = yield* Effect.acquireRelease(
        Effect.sync(() => new LoggerProvider({ resource: options.resource, processors: [processor] })),
        // A shut-down provider ignores records, so lines logged while closing cannot fail.
        (provider) => Effect.promise(() => provider.shutdown()).pipe(Effect.timeoutOption(timeoutMillis + SHUTDOWN_GRACE_MILLIS), Effect.ignore)
      )
      yield* OtelGlobals.register(
        "logs",
        () => OtelLogsApi.setGlobalLoggerProvider(provider) === provider,
        () => OtelLogsApi.disable()
      )
      const version = options.resource.attributes["service.version"]
      const logger = bridge(provider.getLogger(SCOPE, version === undefined ? undefined : String(version)))
      const loggers = yield* Effect.service(References.CurrentLoggers)
      return new Set([...loggers, logger])
    })
  )
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

