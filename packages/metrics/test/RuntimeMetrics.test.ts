/**
 * Node runtime metrics as a test reads them from the Metrics layer's provider: present, named
 * by the semantic conventions, with plausible values; and gone, with nothing else, when
 * `disableRuntimeStats` is set.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { MetricsTest, RuntimeMetrics } from "../src/index.js"

const RUNTIME_NAMES = Object.keys(RuntimeMetrics.METRICS)

/** Keeps the event loop busy for `millis`, as a slow synchronous handler would. */
const block = (millis: number) =>
  Effect.sync(() => {
    const end = Date.now() + millis
    while (Date.now() < end) {
      // busy
    }
  })

const sum = (points: ReadonlyArray<MetricsTest.MetricPoint>) => points.reduce((total, point) => total + (point.value ?? 0), 0)

describe("RuntimeMetrics", () => {
  it.live("reports heap, CPU, memory and event-loop utilisation with plausible values", () =>
    Effect.gen(function*() {
      // Garbage enough for V8 to collect young objects at least once.
      yield* Effect.sync(() => {
        for (let i = 0; i < 200; i++) new Array(50_000).fill({ i })
      })
      yield* Effect.sleep("30 millis")
      const metrics = yield* MetricsTest.collect
      const byName = new Map(metrics.map((metric) => [metric.name, metric]))
      for (const metric of metrics.filter((metric) => RUNTIME_NAMES.includes(metric.name))) {
        expect(metric.scope).toBe(RuntimeMetrics.SCOPE)
      }

      const heapUsed = byName.get("v8js.memory.heap.used")!
      expect(heapUsed.unit).toBe("By")
      expect(heapUsed.type).toBe("sum")
      expect(heapUsed.points.map((point) => point.attributes["v8js.heap.space.name"])).toContain("old_space")
      expect(sum(heapUsed.points)).toBeGreaterThan(1_000_000)
      expect(sum(byName.get("v8js.memory.heap.space.size")!.points)).toBeGreaterThanOrEqual(sum(heapUsed.points))
      expect(sum(byName.get("v8js.memory.heap.space.available_size")!.points)).toBeGreaterThan(0)
      expect(sum(byName.get("v8js.memory.heap.space.physical_size")!.points)).toBeGreaterThan(0)

      const rss = byName.get("process.memory.usage")!.points[0]!.value!
      expect(rss).toBeGreaterThan(sum(heapUsed.points) / 2)
      const cpu = byName.get("process.cpu.time")!
      expect(cpu.unit).toBe("s")
      expect(cpu.points.find((point) => point.attributes["cpu.mode"] === "user")!.value).toBeGreaterThan(0)
      for (const point of byName.get("process.cpu.utilization")!.points) {
        expect(point.value).toBeGreaterThanOrEqual(0)
        expect(point.value).toBeLessThanOrEqual(1)
      }
      const utilization = byName.get("nodejs.eventloop.utilization")!.points[0]!.value!
      expect(utilization).toBeGreaterThan(0)
      expect(utilization).toBeLessThanOrEqual(1)
      const loopTime = byName.get("nodejs.eventloop.time")!.points
      expect(loopTime.map((point) => point.attributes["nodejs.eventloop.state"]).sort()).toEqual(["active", "idle"])

      const gc = byName.get("v8js.gc.duration")
      expect(gc?.type).toBe("histogram")
      expect(gc!.points.reduce((count, point) => count + (point.count ?? 0), 0)).toBeGreaterThan(0)
      expect(["major", "minor", "incremental", "weakcb"]).toContain(gc!.points[0]!.attributes["v8js.gc.type"])
    }).pipe(Effect.provide(MetricsTest.layer())))

  it.live("records the event-loop delay of a deliberate block", () =>
    Effect.gen(function*() {
      // The delay histogram restarts at each collection, and a block right after that is only
      // seen from the next sample on: block and collect until the block shows.
      let max = 0
      for (let attempt = 0; attempt < 10 && max < 0.15; attempt++) {
        yield* block(200)
        yield* Effect.sleep("30 millis")
        const delay = yield* MetricsTest.find("nodejs.eventloop.delay.max")
        max = delay?.points[0]?.value ?? 0
      }
      expect(max).toBeGreaterThanOrEqual(0.15)
      expect(max).toBeLessThan(10)
      const metrics = yield* MetricsTest.collect
      const names = metrics.map((metric) => metric.name)
      // Right after a collection the window may hold too few samples to report: then nothing
      // is reported, never a placeholder value.
      for (const name of ["min", "mean", "p50", "p90", "p99", "stddev"].map((s) => `nodejs.eventloop.delay.${s}`)) {
        const metric = metrics.find((m) => m.name === name)
        if (metric !== undefined) expect(metric.points[0]!.value).toBeLessThan(10)
      }
      expect(names).toContain("nodejs.eventloop.utilization")
    }).pipe(Effect.provide(MetricsTest.layer())))

  it.live("disableRuntimeStats removes the runtime metrics and nothing else", () =>
    Effect.gen(function*() {
      const namesWith = (disableRuntimeStats: boolean) =>
        Effect.gen(function*() {
          yield* Metric.increment(Metric.counter("runtime_test_orders_total"))
          yield* block(20)
          yield* Effect.sleep("20 millis")
          return new Set((yield* MetricsTest.collect).map((metric) => metric.name))
        }).pipe(Effect.provide(MetricsTest.layer({ config: { disableRuntimeStats } })))
      const withRuntime = yield* namesWith(false)
      const without = yield* namesWith(true)
      expect([...without].filter((name) => RUNTIME_NAMES.includes(name))).toEqual([])
      expect(without).toContain("runtime_test_orders_total")
      expect([...withRuntime].filter((name) => !without.has(name)).every((name) => RUNTIME_NAMES.includes(name)))
        .toBe(true)
      expect([...without].every((name) => withRuntime.has(name))).toBe(true)
      // Delay and GC metrics need samples or a collection in the window; everything else is always there.
      const alwaysThere = RUNTIME_NAMES.filter((name) => !name.startsWith("nodejs.eventloop.delay") && name !== "v8js.gc.duration")
      expect(alwaysThere.filter((name) => !withRuntime.has(name))).toEqual([])
    }))
})
