/**
 * The logs export itself: the SDK's logger provider, the OTLP serializer and the pipeline. Loaded
 * by `Logs.layer` only when log export is on, so a program that does not export logs never loads
 * `@opentelemetry/sdk-logs` or the serializers.
 */
import { type Config, ExportPipeline, Globals, type Required, Shutdown } from "@lingo-obs/core"
import { logs as OtelLogsApi } from "@opentelemetry/api-logs"
import { JsonLogsSerializer, ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer"
import { LoggerProvider, type SdkLogRecord } from "@opentelemetry/sdk-logs"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import { type Options, SCOPE } from "./options.js"
import { bridge } from "./bridge.js"
import { encodeLogRecords } from "@lingo-obs/otlp/StdoutJson"
import { PipelineLogRecordProcessor } from "@lingo-obs/otlp/LogRecordProcessor"

/** The pipeline bounds its own flush by the shutdown timeout; this grace only catches a stuck processor. */
const SHUTDOWN_GRACE = Duration.millis(250)

/** The export pipeline with the config's queue, batching, concurrency and retry settings. */
const pipelineProcessor = (config: Config.LogsConfig, shutdownTimeout: Duration.Duration) =>
  Effect.map(
    ExportPipeline.make<SdkLogRecord>({
      signal: "logs",
      config,
      encodeOtlp: (records) => ProtobufLogsSerializer.serializeRequest(records as Array<SdkLogRecord>),
      encodeOtlpJson: (records) => JsonLogsSerializer.serializeRequest(records as Array<SdkLogRecord>),
      encodeJson: (items) => encodeLogRecords(items, config.stdoutResource),
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

export const exporting = (options: Options): Layer.Layer<never, Required.PipelineStartError> =>
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

