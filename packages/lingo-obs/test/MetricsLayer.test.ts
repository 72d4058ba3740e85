import { describe, expect, it } from "@effect/vitest"
import { resourceFromAttributes } from "@opentelemetry/resources"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Schema from "effect/Schema"
import { Config, Logs, Metrics, MetricsTest, TestLogger } from "../src/index.js"
import type { Connect } from "../src/export/ExportPipeline.js"

const resource = resourceFromAttributes({ "service.name": "metrics-layer" })
const metricsConfig = (input: Config.ObservabilityConfigInput["metrics"]) =>
  Schema.decodeUnknownSync(Config.ObservabilityConfig)({ metrics: input }).metrics
const logsConfig = (input: Config.ObservabilityConfigInput["logs"]) =>
  Schema.decodeUnknownSync(Config.ObservabilityConfig)({ logs: input }).logs

/** A collector that cannot be reached: opening the transport fails. */
const unreachable: Connect = () => {
  throw new Error("connection refused")
}

describe("Metrics and Logs layers (Effect 4)", () => {
  it.live("required: false — a pipeline that cannot start is one warning naming the signal and endpoint; the program runs", () =>
    Effect.gen(function*() {
      const capture = TestLogger.make()
      yield* Metric.update(Metric.counter("still_counted_total"), 1).pipe(
        Effect.provide(Metrics.layer({ config: metricsConfig({ endpoint: "http://collector:4317" }), resource, connect: unreachable })),
        Effect.provide(Logs.layer({ config: logsConfig({ enabled: true, endpoint: "http://collector:4317" }), resource, connect: unreachable })),
        Effect.provide(capture.layer)
      )
      const warnings = capture.lines.filter((line) => line.level === "WARN")
      expect(warnings.map((line) => line.message).sort()).toEqual([
        "Cannot start the logs pipeline (endpoint collector:4317): connection refused. Continuing without logs (required: false).",
        "Cannot start the metrics pipeline (endpoint collector:4317): connection refused. Continuing without metrics (required: false)."
      ])
      expect(warnings.map((line) => line.annotations["component"])).toEqual(["observability", "observability"])
    }))

  it.live("required: true — startup fails with a PipelineStartError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.void.pipe(
        Effect.provide(Metrics.layer({ config: metricsConfig({ required: true }), resource, connect: unreachable })),
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain("Cannot start the metrics pipeline")
    }))

  it.live("disabled, or exporter none: nothing is opened", () =>
    Effect.gen(function*() {
      let opened = 0
      const counting: Connect = (signal, config) => {
        opened++
        return unreachable(signal, config)
      }
      yield* Effect.void.pipe(
        Effect.provide(Metrics.layer({ config: metricsConfig({ enabled: false }), resource, connect: counting })),
        Effect.provide(Metrics.layer({ config: metricsConfig({ exporter: "none" }), resource, connect: counting })),
        Effect.provide(Logs.layer({ config: logsConfig({}), resource, connect: counting }))
      )
      expect(opened).toBe(0)
    }))

  it.live("runtime metrics read real values: resident memory, heap by space, CPU time by mode", () =>
    Effect.gen(function*() {
      const metrics = yield* MetricsTest.collect
      const rss = metrics.find((metric) => metric.name === "process.memory.usage")
      expect(rss).toMatchObject({ unit: "By", scope: Metrics.RUNTIME_SCOPE })
      expect(rss?.points[0]?.value).toBeGreaterThan(1024 * 1024)
      const heap = metrics.find((metric) => metric.name === "v8js.memory.heap.used")
      expect(heap?.points.map((point) => point.attributes["v8js.heap.space.name"])).toContain("old_space")
      const cpu = metrics.find((metric) => metric.name === "process.cpu.time")
      expect(cpu?.points.map((point) => point.attributes["cpu.mode"]).sort()).toEqual(["system", "user"])
    }).pipe(Effect.provide(MetricsTest.layer())))

  it.live("disableRuntimeStats leaves them out", () =>
    Effect.gen(function*() {
      const names = (yield* MetricsTest.collect).map((metric) => metric.name)
      expect(names.filter((name) => name.startsWith("process.") || name.startsWith("v8js.") || name.startsWith("nodejs."))).toEqual([])
    }).pipe(Effect.provide(MetricsTest.layer({ disableRuntimeStats: true }))))
})
