/**
 * The runtime metrics on a real SDK meter provider, without Effect: what a collection reports, and
 * nothing once stopped (delta temporality: a cumulative reader keeps repeating the last values).
 */
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { afterEach, describe, expect, it } from "vitest"
import { RuntimeMetrics } from "../src/index.js"

let provider: MeterProvider | undefined
afterEach(async () => {
  await provider?.shutdown()
  provider = undefined
})

const collectNames = async (reader: PeriodicExportingMetricReader): Promise<Set<string>> => {
  const { resourceMetrics } = await reader.collect()
  return new Set(
    resourceMetrics.scopeMetrics
      .filter(({ scope }) => scope.name === RuntimeMetrics.SCOPE)
      .flatMap(({ metrics }) => metrics.filter((metric) => metric.dataPoints.length > 0).map((metric) => metric.descriptor.name))
  )
}

describe("RuntimeMetrics.start", () => {
  it("reports every runtime metric at a collection (GC pauses once one happened), and none once stopped", async () => {
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.DELTA),
      exportIntervalMillis: 3_600_000
    })
    provider = new MeterProvider({ readers: [reader] })
    const stop = RuntimeMetrics.start(provider, { eventLoopResolutionMillis: 10 })
    // The event-loop delay is reported for a window with samples: collect until one has them.
    const expected = Object.keys(RuntimeMetrics.METRICS).filter((name) => name !== "v8js.gc.duration")
    await expect.poll(async () => {
      const names = await collectNames(reader)
      return expected.filter((name) => !names.has(name))
    }, { timeout: 10_000, interval: 50 }).toEqual([])
    stop()
    expect([...(await collectNames(reader))].filter((name) => name !== "v8js.gc.duration")).toEqual([])
  })
})
