import { ConfigProvider, Effect, type Layer } from "effect"
import { TestLogger } from "../src/index.js"

/** Runs an effect with `env` as its whole environment (what `OTEL_*` variables it sees). */
export const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

/** Runs `program` on `layer`; the layer's scope closes at the end, which flushes the pipelines. */
export const runOn = <A, E, ROut, E2, R>(layer: Layer.Layer<ROut, E2>, program: Effect.Effect<A, E, R>) =>
  Effect.provide(program, layer)

/**
 * Runs `program` on `layer` (whose scope closes at the end, which flushes the pipelines) with a
 * logger that captures the lines an operator would read.
 */
export const runCapturing = <A, E, ROut, E2>(
  layer: Layer.Layer<ROut, E2>,
  program: Effect.Effect<A, E, ROut>,
  capture = TestLogger.make()
) =>
  program.pipe(
    Effect.provide(layer),
    Effect.provide(capture.layer),
    Effect.map((value) => ({ value, lines: capture.lines }))
  )
