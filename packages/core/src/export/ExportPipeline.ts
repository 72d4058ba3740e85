/**
 * A signal's export pipeline as its config describes it, acquired in a scope: the engine's
 * `ExportPipeline` (OTLP/gRPC, OTLP/HTTP or JSON lines on stdout) with its log lines through
 * the Effect logger, its held data counted at shutdown, and the start-up probe that `required`
 * decides about.
 *
 * @example
 * ```ts
 * const pipeline = yield* ExportPipeline.make({ signal: "traces", config, encodeOtlp, encodeJson, ... })
 * pipeline.offer(span)
 * ```
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Engine from "@lingo-obs/otlp/ExportPipeline"
import type { Pipeline } from "@lingo-obs/otlp/Pipeline"
import * as Diagnostics from "../Diagnostics.js"
import { fromStartError, type PipelineStartError } from "../Required.js"
import * as Shutdown from "../Shutdown.js"
import * as Endpoint from "./Endpoint.js"
import * as EngineConfig from "./internal/engineConfig.js"

export type { LogSink, Options, RetrySettings } from "@lingo-obs/otlp/Pipeline"
/** The export engine; `Pipeline` under the name the signal packages know it by. */
export { Pipeline as ExportPipeline } from "@lingo-obs/otlp/Pipeline"

/** What a signal's pipeline needs besides its config section. */
export interface MakeOptions<Item> extends Omit<Engine.Options<Item>, "config" | "log"> {
  readonly config: EngineConfig.ExportSection
}

/**
 * The pipeline a signal's config describes: OTLP to the endpoint over the config's `protocol`
 * (gRPC, or HTTP with protobuf or JSON bodies), or JSON lines on stdout.
 * For OTLP a startup probe checks that the endpoint accepts a connection within
 * `startupProbeTimeout`: with `required` a failed probe is a `PipelineStartError`; without,
 * one warning, and the pipeline delivers as soon as the collector is up.
 */
export const make = <Item>(
  options: MakeOptions<Item>
): Effect.Effect<Pipeline<Item, unknown>, PipelineStartError, Scope.Scope> =>
  Effect.gen(function*() {
    const { signal } = options
    const config = EngineConfig.exportConfig(options.config)
    const stdout = Engine.isStdout(config)
    const target = stdout ? undefined : yield* Endpoint.target(signal, config)
    const log = yield* Diagnostics.sink({ signal, endpoint: target?.display ?? "stdout" })
    const engineOptions = { ...options, config, log }
    if (stdout) return Engine.create(engineOptions, undefined)
    const connection = yield* Effect.try({
      try: () => Engine.connect(signal, config),
      catch: fromStartError(signal, target!.display)
    })
    const probe = Effect.tryPromise({
      try: () => Engine.probe(signal, connection, config.startupProbeTimeoutMillis),
      catch: fromStartError(signal, target!.display)
    })
    // Required: start-up waits for the endpoint and fails naming the cause.
    if (config.required) yield* probe
    const pipeline = Engine.create(engineOptions, connection)
    yield* Shutdown.trackHeld(() => pipeline.describeHeld())
    // Not required: never delay start-up; an unreachable endpoint is the outage's one warning.
    if (!config.required) {
      yield* Effect.forkScoped(
        Effect.catchAll(probe, (error) => Effect.sync(() => pipeline.reportUnreachable("UNAVAILABLE", error.reason)))
      )
    }
    return pipeline
  })
