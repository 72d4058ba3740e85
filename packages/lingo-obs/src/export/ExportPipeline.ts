/**
 * A signal's export pipeline as its config describes it, acquired in a scope, on the Effect 4
 * line: the engine's pipeline (`@lingo-obs/otlp` `ExportPipeline`) over its OTLP/gRPC or
 * OTLP/HTTP transport, with the start-up probe that `required` decides about, the engine's lines
 * going to the program's logger, and its errors as `PipelineStartError`s.
 *
 * @example
 * ```ts
 * const pipeline = yield* ExportPipeline.make({ signal: "traces", config, encodeOtlp, ... })
 * pipeline.offer(span)
 * ```
 */
import type * as EngineConfig from "@lingo-obs/otlp/ExportConfig"
import * as Engine from "@lingo-obs/otlp/ExportPipeline"
import type { Pipeline } from "@lingo-obs/otlp/Pipeline"
import { StartError } from "@lingo-obs/otlp/StartError"
import type { Signal } from "@lingo-obs/otlp/Transport"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Config from "../config/Config.js"
import * as Diagnostics from "../Diagnostics.js"
import { PipelineStartError } from "../Required.js"
import * as Shutdown from "../Shutdown.js"

export type ExporterConfig = Config.TracingConfig | Config.MetricsConfig | Config.LogsConfig

/** Opens a signal's transport (the engine's `ExportPipeline.connect`; tests may pass their own). */
export type Connect = (signal: Signal, config: EngineConfig.ExportConfig) => Engine.Connection

/** A decoded config section as the engine takes it: the same fields, durations in milliseconds. */
export const engineConfig = (config: ExporterConfig): EngineConfig.ExportConfig => ({
  ...config,
  exportTimeoutMillis: Duration.toMillis(config.exportTimeout),
  startupProbeTimeoutMillis: Duration.toMillis(config.startupProbeTimeout),
  retry: {
    enabled: config.retry.enabled,
    initialBackoffMillis: Duration.toMillis(config.retry.initialBackoff),
    maxBackoffMillis: Duration.toMillis(config.retry.maxBackoff),
    maxElapsedMillis: Duration.toMillis(config.retry.maxElapsedTime)
  }
})

/** The engine's `StartError` (or anything thrown while starting) as this line's error. */
const toStartError = (signal: Signal, endpoint: string) => (cause: unknown): PipelineStartError => {
  const error = cause instanceof StartError ? cause : undefined
  return new PipelineStartError({
    signal,
    endpoint: error?.endpoint ?? endpoint,
    reason: error?.reason ?? (cause instanceof Error ? cause.message : String(cause)),
    cause
  })
}

/** What a signal's pipeline needs besides its config section. */
export interface MakeOptions<Item> extends Omit<Engine.Options<Item>, "config" | "log"> {
  readonly config: ExporterConfig
  readonly connect?: Connect | undefined
}

/**
 * The pipeline a signal's config describes. A startup probe checks that the endpoint accepts a
 * connection within `startupProbeTimeout`: with `required` a failed probe is a
 * `PipelineStartError`; without, one warning, and the pipeline delivers as soon as the collector
 * is up. The pipeline's shutdown is the caller's (bounded by the shutdown timeout).
 */
export const make = <Item>(options: MakeOptions<Item>): Effect.Effect<Pipeline<Item, unknown>, PipelineStartError, Scope.Scope> =>
  Effect.gen(function*() {
    const { signal } = options
    const config = engineConfig(options.config)
    const fallbackEndpoint = options.config.endpoint ?? "(default)"
    const display = yield* Effect.try({ try: () => Engine.endpoint(signal, config), catch: toStartError(signal, fallbackEndpoint) })
    const stdout = Engine.isStdout(config)
    const connection = stdout
      ? undefined
      : yield* Effect.try({ try: () => (options.connect ?? Engine.connect)(signal, config), catch: toStartError(signal, display) })
    const probe = (target: Engine.Connection) =>
      Effect.tryPromise({
        try: () => Engine.probe(signal, target, config.startupProbeTimeoutMillis),
        catch: toStartError(signal, display)
      })
    // Required: start-up waits for the endpoint and fails naming the cause.
    if (connection !== undefined && config.required) {
      yield* probe(connection).pipe(Effect.tapError(() => Effect.sync(() => connection.transport.close())))
    }
    const log = yield* Diagnostics.sink({ signal, endpoint: display })
    const pipeline = Engine.create({ ...options, config, log }, connection)
    yield* Shutdown.trackHeld(() => pipeline.describeHeld())
    // Not required: never delay start-up; an unreachable endpoint is the outage's one warning.
    if (connection !== undefined && !config.required) {
      yield* Effect.forkScoped(
        Effect.catch(probe(connection), (error) => Effect.sync(() => pipeline.reportUnreachable("UNAVAILABLE", error.reason)))
      )
    }
    return pipeline
  })
