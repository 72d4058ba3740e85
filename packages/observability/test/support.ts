import { spawn } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { ConfigProvider, Effect, type Layer } from "effect"
import { TestLogger } from "../src/index.js"

/** Retry settings short enough for tests: outages and back-offs in tenths of a second. */
export const fastRetry = { initialBackoff: "100ms", maxBackoff: "400ms", maxElapsedTime: "20s" }

/** The toolkit's own lines (`component=observability`) of one level. */
export const toolkitLines = (lines: ReadonlyArray<TestLogger.LogLine>, level: string) =>
  lines.filter((line) => line.level === level && line.annotations["component"] === "observability")

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

const here = Path.dirname(fileURLToPath(import.meta.url))

/** Starts `test/fixtures/<fixture>` as a real child process, `env` (and PATH) its whole environment. */
export const spawnFixture = (fixture: string, env: Record<string, string>) =>
  spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@lingo-obs/source", Path.join(here, "fixtures", fixture)],
    { cwd: Path.resolve(here, "../../.."), env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] }
  )
