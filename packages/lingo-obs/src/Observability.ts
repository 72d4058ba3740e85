/**
 * The one import a service needs on Effect 4. `ObservabilityLive` reads the config from the
 * environment (`OTEL_*` and the file named by `OBSERVABILITY_CONFIG_FILE`); `layer({ service,
 * config })` takes it in code; `layerTest` records to memory for tests.
 *
 * The pipelines are a list of signal layers (`signals`), each built from the resolved config and
 * the resource; the composition around them (start-up line, SDK errors to the program's logger,
 * `Reconfigure`) is shared.
 *
 * @example
 * ```ts
 * import { NodeRuntime } from "@effect/platform-node"
 * import { ObservabilityLive } from "lingo-obs"
 *
 * main.pipe(Effect.provide(ObservabilityLive), NodeRuntime.runMain)
 * ```
 */
import * as Endpoint from "@lingo-obs/otlp/Endpoint"
import type { TextMapPropagator } from "@opentelemetry/api"
import type { Resource } from "@opentelemetry/resources"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Config from "./config/Config.js"
import * as ConfigSource from "./config/ConfigSource.js"
import * as Environment from "./config/Environment.js"
import * as Diagnostics from "./Diagnostics.js"
import * as Instrumentation from "./Instrumentation.js"
import * as Logs from "./logs/Logs.js"
import * as Metrics from "./metrics/Metrics.js"
import type * as ExportPipeline from "./export/ExportPipeline.js"
import * as ObservabilityTest from "./ObservabilityTest.js"
import * as Propagation from "./Propagation.js"
import * as Reconfigure from "./Reconfigure.js"
import type * as Required from "./Required.js"
import * as ServiceResource from "./ServiceResource.js"
import * as Tracing from "./tracing/Tracing.js"

/** Options of `layer`: who the service is and, optionally, its config. */
export interface Options {
  /** Service name, version and environment; they override the config and the environment. */
  readonly service?: ServiceResource.ServiceInfo | undefined
  /** The config as plain data (the shape of a config file); missing fields come from `OTEL_*`, then defaults. */
  readonly config?: Config.ObservabilityConfigInput | undefined
  /** A YAML or JSON config file, under `config`; default: `OBSERVABILITY_CONFIG_FILE` if set. */
  readonly file?: string | undefined
  /** The environment variables to read; default `process.env`. */
  readonly variables?: Readonly<Record<string, string | undefined>> | undefined
  /** Opens each signal's OTLP transport; default: the engine's gRPC or HTTP transport. */
  readonly connect?: ExportPipeline.Connect | undefined
  /** Replaces the propagator named by `tracing.propagators`. */
  readonly propagator?: TextMapPropagator | undefined
}

/** What can stop startup: a malformed config, or a required pipeline that cannot start. */
export type StartupError = ConfigSource.ConfigError | Required.PipelineStartError

/** What a signal layer is built from. */
export interface SignalContext {
  readonly config: Config.ObservabilityConfig
  readonly resource: Resource
  readonly shutdownTimeout: Duration.Duration
  readonly connect: ExportPipeline.Connect | undefined
  readonly propagator: TextMapPropagator | undefined
}

/**
 * A signal's pipeline as a layer: it provides its `Control` (if any), fails only with a
 * `PipelineStartError` (and only when the signal is `required`), and releases its pipeline,
 * flushed within the shutdown timeout, when its scope closes.
 */
export interface SignalLayer {
  /** Which signal it exports: the start-up line describes only the signals that run. */
  readonly signal: "traces" | "metrics" | "logs"
  readonly layer: (context: SignalContext) => Layer.Layer<never, Required.PipelineStartError>
}

/** Traces: the toolkit's tracer onto the engine's pipeline. */
export const tracingSignal: SignalLayer = {
  signal: "traces",
  layer: (context) =>
    Tracing.layer({
      config: context.config.tracing,
      resource: context.resource,
      shutdownTimeout: context.shutdownTimeout,
      limits: Tracing.limitsOf(context.config.limits),
      connect: context.connect,
      propagator: context.propagator
    })
}

/** Metrics: Effect's registry, OpenTelemetry-API instruments and runtime metrics onto the engine's pipeline. */
export const metricsSignal: SignalLayer = {
  signal: "metrics",
  layer: (context) =>
    Metrics.layer({
      config: context.config.metrics,
      resource: context.resource,
      shutdownTimeout: context.shutdownTimeout,
      connect: context.connect
    })
}

/** Logs: Effect's log calls as OTLP log records onto the engine's pipeline (when `logs.enabled`). */
export const logsSignal: SignalLayer = {
  signal: "logs",
  layer: (context) =>
    Logs.layer({
      config: context.config.logs,
      resource: context.resource,
      shutdownTimeout: context.shutdownTimeout,
      connect: context.connect
    })
}

/** The signals every `layer` runs, in this order. */
export const signals: ReadonlyArray<SignalLayer> = [tracingSignal, metricsSignal, logsSignal]

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

/** What the Observability layers provide. */
export type Services = Reconfigure.Reconfigure

/** The pipelines for an already resolved config. */
export const layerFromConfig = (
  config: Config.ObservabilityConfig,
  options: Pick<Options, "service" | "connect" | "propagator"> & {
    readonly signals?: ReadonlyArray<SignalLayer> | undefined
    readonly variables?: Readonly<Record<string, string | undefined>> | undefined
  } = {}
): Layer.Layer<Services, Required.PipelineStartError> =>
  Layer.unwrap(Effect.sync(() => {
    const resource = ServiceResource.make(config, options.service, options.variables ?? process.env)
    const serviceName = String(resource.attributes["service.name"])
    const context: SignalContext = {
      config,
      resource,
      shutdownTimeout: config.shutdownTimeout,
      connect: options.connect,
      propagator: options.propagator
    }
    const running = options.signals ?? signals
    const built = running.map((signal) => signal.layer(context))
    const sections = { traces: config.tracing, metrics: config.metrics, logs: config.logs }
    const describe = (signal: SignalLayer["signal"]) =>
      running.some((entry) => entry.signal === signal) ? describeSignal(signal, sections[signal]) : "off"
    const pipelines = built.length === 0 ? Layer.empty : Layer.mergeAll(...(built as [Layer.Layer<never, Required.PipelineStartError>]))
    const started = Layer.effectDiscard(
      Effect.logInfo(
        `observability started: traces ${describe("traces")}, metrics ${describe("metrics")}, logs ${describe("logs")}`
      ).pipe(Diagnostics.annotate({ "service.name": serviceName }))
    )
    // Taken over first and released last, so SDK errors during shutdown reach the logger too.
    const otelErrors = Layer.effectDiscard(Diagnostics.captureOpenTelemetryErrors)
    // What the middleware (`lingo-obs/http`, `lingo-obs/grpc`) reads: the configured propagator and metric switches.
    const instrumentation = Layer.merge(
      Propagation.layer(options.propagator ?? Propagation.fromNames(config.tracing.propagators)),
      Instrumentation.layer(config.metrics)
    )
    return Layer.provideMerge(Layer.merge(started, Reconfigure.layer), pipelines).pipe(
      Layer.provideMerge(otelErrors),
      Layer.provideMerge(instrumentation),
      // The stdout format and level first, so that the toolkit's own lines are written the same way.
      Layer.provideMerge(Logs.layerConsole(config.logs))
    )
  }))

/**
 * Observability for a service: config from `options.config` and `options.file`, then `OTEL_*`
 * environment variables, then defaults; pipelines flushed when the scope closes.
 *
 * @example
 * ```ts
 * const ObservabilityLive = Observability.layer({
 *   service: { name: "gateway", version: "1.4.2" },
 *   config: { tracing: { samplingRatio: 0.1 } }
 * })
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<Services, StartupError> =>
  Layer.unwrap(Effect.gen(function*() {
    const variables = options.variables ?? process.env
    const file = options.file ?? Environment.configFile(variables)
    const explicit = file === undefined ? options.config : yield* Environment.underFile(options.config, file)
    const config = yield* ConfigSource.resolve(explicit, {
      environment: Environment.overlay,
      variables,
      source: file ?? "config"
    })
    return layerFromConfig(config, { ...options, variables })
  }))

/** `layer()` with everything from the environment: `OTEL_*`, `OBSERVABILITY_CONFIG_FILE`. */
export const ObservabilityLive: Layer.Layer<Services, StartupError> = layer()

/** What `layerTest` provides: the recorded spans, metrics and log records, and reconfiguration. */
export type TestServices = ObservabilityTest.TestServices | Reconfigure.Reconfigure

/**
 * Observability for tests: every span, metric and log record is kept in memory and read back with
 * `spans`, `metrics` and `logs` (see `ObservabilityTest`), with `Reconfigure` as in production.
 */
export const layerTest = (options: ObservabilityTest.Options = {}): Layer.Layer<TestServices> =>
  // The ratio sampler at 1 records every span, as always-on does, and `Reconfigure` can change it.
  Layer.provideMerge(
    Reconfigure.layer,
    ObservabilityTest.layer({ sampler: "parentbased_traceidratio", samplingRatio: 1, ...options })
  )

/** The spans finished so far (with `layerTest`). */
export const spans = ObservabilityTest.spans
/** Collects the metrics now (with `layerTest`), each relative to the last `reset`. */
export const metrics = ObservabilityTest.metrics
/** The log records written so far (with `layerTest`), with the ids of the span each was written in. */
export const logs = ObservabilityTest.logs
/** Forgets the spans and log records, and starts every metric but gauges again from nothing (with `layerTest`). */
export const reset = ObservabilityTest.reset
