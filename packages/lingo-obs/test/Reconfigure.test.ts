/**
 * `Reconfigure` on the test layer: the sampling ratio and the traces export switch change while
 * the program runs, each change one log line; refused values and signals that do not run are
 * errors naming the field.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { Observability, Reconfigure } from "../src/index.js"

const capture = () => {
  const lines: Array<string> = []
  return { lines, layer: Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))]) }
}

describe("Reconfigure with Observability.layerTest", () => {
  it.effect("sampling ratio 0 records no new root span, 1 records again; each change is one line", () => {
    const logs = capture()
    return Effect.gen(function*() {
      yield* Reconfigure.setSamplingRatio(0)
      yield* Effect.void.pipe(Effect.withSpan("while-off"))
      yield* Reconfigure.setSamplingRatio(1)
      yield* Effect.void.pipe(Effect.withSpan("while-on"))
      expect((yield* Observability.spans).map((span) => span.name)).toEqual(["while-on"])
      expect(yield* Reconfigure.current).toEqual({ samplingRatio: 1, tracingExport: true, metricsExport: false })
      const changes = logs.lines.filter((line) => line.includes("tracing.samplingRatio changed"))
      expect(changes).toHaveLength(2)
      expect(changes[0]).toContain("component=observability")
    }).pipe(Effect.provide(Layer.provideMerge(Observability.layerTest(), logs.layer)))
  })

  it.effect("a ratio outside [0, 1] is refused, naming the field, and the ratio stays", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Reconfigure.setSamplingRatio(1.5))
      expect(error._tag).toBe("ReconfigureError")
      expect(error.message).toBe("tracing.samplingRatio: expected a number between 0 and 1, got 1.5")
      expect((yield* Reconfigure.current).samplingRatio).toBe(1)
    }).pipe(Effect.provide(Observability.layerTest())))

  it.effect("a signal that does not run cannot be switched, and the error says so", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Reconfigure.setExporting("metrics", true))
      expect(error.message).toContain("metrics.enabled")
      expect(error.message).toContain("not running")
    }).pipe(Effect.provide(Observability.layerTest())))
})
