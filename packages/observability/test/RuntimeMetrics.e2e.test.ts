/**
 * Node runtime metrics over real OTLP/gRPC: what the receiver gets with the default config, and
 * what `disableRuntimeStats: true` takes away (the runtime metrics, nothing else).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect, Metric } from "effect"
import { Observability, RuntimeMetrics } from "../src/index.js"
import { runOn } from "./support.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())
beforeEach(() => receiver.reset())

const RUNTIME_NAMES = new Set(Object.keys(RuntimeMetrics.METRICS))

const metricsTo = (metrics: Record<string, unknown> = {}) =>
  Observability.layer({
    service: { name: "runtime" },
    config: { tracing: { enabled: false }, metrics: { endpoint: receiver.endpoint, insecure: true, ...metrics } }
  })

/** Keeps the event loop busy for `millis`, as a slow synchronous handler would. */
const block = (millis: number) =>
  Effect.sync(() => {
    const end = Date.now() + millis
    while (Date.now() < end) {
      // busy
    }
  })

/** The largest value of `name` in any export so far. */
const largest = (name: string) =>
  Math.max(0, ...receiver.metrics().filter((metric) => metric.name === name).flatMap((metric) => metric.dataPoints.map((point) => point.value ?? 0)))
const latest = (name: string) => receiver.metrics().filter((metric) => metric.name === name).at(-1)
const total = (name: string) => latest(name)?.dataPoints.reduce((sum, point) => sum + (point.value ?? 0), 0) ?? 0

describe("runtime metrics over OTLP/gRPC", () => {
  it.live("arrive with the resource and plausible values; a deliberate block shows as event-loop delay", () =>
    Effect.gen(function*() {
      yield* runOn(
        metricsTo({ interval: "200ms" }),
        Effect.gen(function*() {
          // Block until an export shows it (each export covers the time since the previous one).
          const deadline = Date.now() + 10_000
          while (largest("nodejs.eventloop.delay.max") < 0.15 && Date.now() < deadline) {
            yield* block(200)
            yield* Effect.sleep("250 millis")
          }
        })
      )
      expect(largest("nodejs.eventloop.delay.max")).toBeGreaterThanOrEqual(0.15)
      expect(latest("nodejs.eventloop.delay.max")).toMatchObject({ unit: "s", type: "gauge", resource: { "service.name": "runtime" } })
      expect(latest("nodejs.eventloop.delay.p50")!.dataPoints[0]!.value).toBeGreaterThan(0)
      expect(total("v8js.memory.heap.used")).toBeGreaterThan(1_000_000)
      expect(latest("v8js.memory.heap.used")!.scope.name).toBe(RuntimeMetrics.SCOPE)
      // An up-down counter, as the semantic conventions say (a gauge before).
      expect(latest("v8js.memory.heap.used")).toMatchObject({ type: "sum", isMonotonic: false })
      expect(total("process.memory.usage")).toBeGreaterThan(total("v8js.memory.heap.used") / 2)
      expect(total("process.cpu.time")).toBeGreaterThan(0)
      expect(latest("process.cpu.time")).toMatchObject({ type: "sum", isMonotonic: true })
      const utilization = latest("nodejs.eventloop.utilization")!.dataPoints[0]!.value!
      expect(utilization).toBeGreaterThan(0)
      expect(utilization).toBeLessThanOrEqual(1)
    }))

  it.live("disableRuntimeStats: true removes the runtime metrics and nothing else", () =>
    Effect.gen(function*() {
      const exported = (disableRuntimeStats: boolean) =>
        Effect.gen(function*() {
          receiver.reset()
          yield* runOn(
            // Only the final collection on scope close is exported.
            metricsTo({ interval: "60s", disableRuntimeStats }),
            Metric.increment(Metric.counter("runtime_e2e_orders_total"))
          )
          return new Set(receiver.metrics().map((metric) => metric.name))
        })
      const withRuntime = yield* exported(false)
      const without = yield* exported(true)
      expect([...without].filter((name) => RUNTIME_NAMES.has(name))).toEqual([])
      expect(without).toContain("runtime_e2e_orders_total")
      expect([...without].some((name) => name.startsWith("lingo_obs."))).toBe(true)
      expect([...without].filter((name) => !withRuntime.has(name))).toEqual([])
      expect([...withRuntime].filter((name) => !without.has(name) && !RUNTIME_NAMES.has(name))).toEqual([])
      expect(withRuntime).toContain("v8js.memory.heap.used")
      expect(withRuntime).toContain("process.cpu.time")
    }))
})
