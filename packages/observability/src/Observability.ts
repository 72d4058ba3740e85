/**
 * The one import a service needs. `ObservabilityLive` reads the config from the environment (and
 * the file named by `OBSERVABILITY_CONFIG_FILE`); `layer({ service, config })` takes it in code;
 * `ObservabilityTest` records to memory for tests.
 *
 * @example
 * ```ts
 * import { ObservabilityLive } from "@lingo-obs/observability"
 * import { NodeRuntime } from "@effect/platform-node"
 *
 * main.pipe(Effect.provide(ObservabilityLive), NodeRuntime.runMain)
 * ```
 */
import {
  Config,
  ConfigSource,
  Diagnostics,
  Endpoint,
  Instrumentation,
  type Propagation,
  type Required,
  ServiceResource
} from "@lingo-obs/core"
import { Logs } from "@lingo-obs/logs"
import { MetricsTest, Metrics } from "@lingo-obs/metrics"
import { Tracing, TracingTest } from "@lingo-obs/tracing"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as EffectConfig from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Reconfigure from "./Reconfigure.js"
import * as TestClockAdvance from "./internal/testClock.js"
import * as TestLogs from "./internal/testLogs.js"

/** Options of `layer`: who the service is and, optionally, its config. */
export interface Options {
  /** Service name, version and environment; they override the config and the environment. */
  readonly service?: ServiceResource.ServiceInfo | undefined
  /** The config as plain data (the shape of a config file); missing fields come from `OTEL_*`, then defaults. */
  readonly config?: Config.ObservabilityConfigInput | undefined
  /** A YAML or JSON config file, under `config`; default: `OBSERVABILITY_CONFIG_FILE` if set. */
  readonly file?: string | undefined
  /** Replaces the propagator named by `tracing.propagators`. */
  readonly propagator?: TextMapPropagator | undefined
  /**
   * Watch the config file and apply edits of the sampling ratio and of the signals' `enabled`
   * while the program runs (see `Reconfigure`). Default: `OBSERVABILITY_CONFIG_WATCH=true`.
   */
  readonly watch?: boolean | undefined
}

/** What can stop startup: a malformed config, or a required pipeline that cannot start. */
export type StartupError = ConfigSource.ConfigError | Required.PipelineStartError

/** `otlp http/protobuf http://localhost:4318/v1/traces (plaintext)`; a bad endpoint fails later, with its error. */
const describeSignal = (
  signal: "traces" | "metrics" | "logs",
  section: Config.TracingConfig | Config.MetricsConfig | Config.LogsConfig
): string => {
  if (!section.enabled || section.exporter === "none") return "off"
  if (section.exporter === "stdout") return "stdout"
  try {
    const target = Endpoint.resolve(signal, section)
    return `otlp ${section.protocol} ${target.display} (${target.tls ? "TLS" : "plaintext"})`
  } catch {
    return `otlp ${section.protocol}`
  }
}

/** What the Observability layers provide: the propagator, the instrumentation settings, reconfiguration. */
export type Services = Propagation.Propagator | Instrumentation.Settings | Reconfigure.Reconfigure

/** The pipelines for an already resolved config. */
export const layerFromConfig = (
  config: Config.ObservabilityConfig,
  options: Pick<Options, "service" | "propagator"> = {}
): Layer.Layer<Services, Required.PipelineStartError> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const resource = yield* ServiceResource.make(config, options.service)
    const serviceName = String(resource.attributes["service.name"])
    const pipelines = Layer.mergeAll(
      Tracing.layer({
        config: config.tracing,
        resource,
        shutdownTimeout: config.shutdownTimeout,
        propagator: options.propagator
      }),
      Metrics.layer({ config: config.metrics, resource, shutdownTimeout: config.shutdownTimeout }),
      Instrumentation.layer(config.metrics)
    )
    const started = Layer.effectDiscard(
      Effect.logInfo(
        `observability started: traces ${describeSignal("traces", config.tracing)}, metrics ${describeSignal("metrics", config.metrics)}, logs ${
          describeSignal("logs", config.logs)
        }`
      ).pipe(Diagnostics.annotate())
    )
    // Before the other pipelines, so that their own warnings are exported as log records too,
    // and released after them, so that their shutdown lines are.
    const logs = Logs.layer({ config: config.logs, resource, shutdownTimeout: config.shutdownTimeout })
    // Taken over first and released last, so SDK errors during shutdown are logged too.
    const otelErrors = Layer.scopedDiscard(Diagnostics.captureOpenTelemetryErrors)
    // Outermost: every line of the toolkit, from the first to the last, is written in the format.
    const consoleLines = Logs.layerConsole(config.logs)
    return Layer.provideMerge(Layer.merge(started, Reconfigure.layer), pipelines).pipe(
      Layer.provideMerge(logs),
      Layer.provideMerge(otelErrors),
      // After the console format is chosen, before anything of the toolkit logs.
      Layer.provideMerge(Diagnostics.layerSingleLine),
      Layer.provideMerge(consoleLines),
      Layer.annotateLogs({ component: Diagnostics.COMPONENT, "service.name": serviceName })
    )
  }))

/**
 * Observability for a service: config from `options.config` and `options.file`, then `OTEL_*`
 * environment variables, then defaults; traces and metrics pipelines flushed when the scope closes.
 *
 * @example
 * ```ts
 * const ObservabilityLive = Observability.layer({
 *   service: { name: "gateway", version: "1.4.2", environment: process.env.APP_ENV },
 *   config: { tracing: { samplingRatio: 0.1 } }
 * })
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<Services, StartupError> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const file = options.file ?? Option.getOrUndefined(yield* ConfigSource.configFileFromEnv)
    const config = yield* ConfigSource.load({ config: options.config, file })
    const pipelines = layerFromConfig(config, options)
    const watch = options.watch ?? (yield* watchFromEnv)
    if (file === undefined || !watch) return pipelines
    const watcher = Layer.scopedDiscard(Reconfigure.watchFile({ file, config: options.config, initial: config }))
    return Layer.provideMerge(watcher, pipelines)
  }))

const watchFromEnv = EffectConfig.boolean("OBSERVABILITY_CONFIG_WATCH").pipe(
  EffectConfig.withDefault(false),
  Effect.orElseSucceed(() => false)
)

/** `layer()` with everything from the environment: `OTEL_*`, `APP_ENV`, `OBSERVABILITY_CONFIG_FILE`. */
export const ObservabilityLive: Layer.Layer<Services, StartupError> = layer()

/** What `ObservabilityTest` provides: the recorded spans, metrics and logs, the propagator, reconfiguration. */
export type TestServices =
  | TracingTest.TestSpans
  | MetricsTest.TestMetrics
  | TestLogs.TestLogs
  | Propagation.Propagator
  | Reconfigure.Reconfigure

export type { LogRecord } from "./internal/testLogs.js"

/**
 * Observability for tests: every span, metric and log record is kept in memory and read back with
 * `Observability.spans`, `Observability.metrics` and `Observability.logs`.
 *
 * It fits both of `@effect/vitest`'s modes. Under `it.live` spans measure real time. Under
 * `it.effect` the clock is Effect's TestClock, which never moves by itself; the layer moves it to
 * the next pending sleep whenever the program waits on nothing else (`advanceClock`, on by
 * default), so business code that sleeps finishes at once and a 20 ms sleep is a 20 ms span.
 * Pass `advanceClock: false` to drive the TestClock by hand with `TestClock.adjust`.
 *
 * @example
 * ```ts
 * it.effect("a slow step is one span", () =>
 *   Effect.gen(function* () {
 *     yield* Effect.sleep("20 millis").pipe(Effect.withSpan("slow"))
 *     const [slow] = yield* Observability.spans
 *     expect(slow?.durationMicros).toBe(20_000)
 *   }).pipe(Effect.provide(ObservabilityTest)))
 * ```
 */
export const layerTest = (
  options: Pick<Options, "service"> & { readonly advanceClock?: boolean | undefined } = {}
): Layer.Layer<TestServices> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const resource = yield* ServiceResource.make(Config.defaults, { name: "test", ...options.service })
    const recording = Layer.mergeAll(TracingTest.layer({ resource }), MetricsTest.layer({ resource }), TestLogs.layer)
    const layer = Layer.provideMerge(Reconfigure.layer, recording)
    return options.advanceClock === false ? layer : Layer.merge(layer, TestClockAdvance.layer)
  }))

/** The test layer with a service called `test`. */
export const ObservabilityTest: Layer.Layer<TestServices> = layerTest()

/** The spans finished so far (with `ObservabilityTest`). */
export const spans = TracingTest.spans
/** Collects the metrics now (with `ObservabilityTest`), each relative to the last `reset`. */
export const metrics = MetricsTest.collect
/** The log records written so far (with `ObservabilityTest`), with the ids of the span each was written in. */
export const logs: Effect.Effect<ReadonlyArray<TestLogs.LogRecord>, never, TestLogs.TestLogs> = Effect.flatMap(
  TestLogs.TestLogs,
  (service) => service.records
)
/** Forgets the spans and log records, and starts the metrics again from nothing (with `ObservabilityTest`). */
export const reset = Effect.zipRight(
  Effect.zipRight(TracingTest.reset, MetricsTest.reset),
  Effect.flatMap(TestLogs.TestLogs, (service) => service.reset)
)
