import { Store } from "@lingo-obs/dev"
import { describe, expect, it } from "vitest"
import * as Series from "../src/internal/series.js"

const SECOND = 1_000
const START = 1_700_000_000_000

/** A point of a counter (monotonic cumulative sum) exported every second since `START`. */
const counter = (interval: number, value: number, fields: Partial<Store.NewMetricPoint> = {}): Store.NewMetricPoint => ({
  name: "requests",
  description: "",
  unit: "{request}",
  type: "sum",
  monotonic: true,
  temporality: 2,
  service: "api",
  instance: "instance-a",
  attributes: { route: "/users" },
  startTime: START,
  time: START + interval * SECOND,
  value,
  ...fields
})

const storeWith = (points: ReadonlyArray<Store.NewMetricPoint>) => {
  const store = Store.make()
  store.addMetricPoints(points)
  return store
}

describe("metric series", () => {
  it("draws a counter incremented by 5 per interval as 5 per interval, not its running total", () => {
    const store = storeWith([1, 2, 3, 4].map((interval) => counter(interval, interval * 5)))
    const [series] = store.metric("requests")!.series
    expect(series!.values).toEqual([5, 5, 5, 5])
    expect(series!.perInterval).toBe(true)
  })

  it("starts a counter again after a reset, by a dropped value or a new start time, never negative", () => {
    const restart = START + 10 * SECOND
    const store = storeWith([
      counter(1, 5),
      counter(2, 10),
      counter(3, 2), // dropped: counted again from zero
      counter(4, 7),
      counter(11, 3, { startTime: restart }), // a new start time, though the value is not lower
      counter(12, 8, { startTime: restart })
    ])
    expect(store.metric("requests")!.series[0]!.values).toEqual([5, 5, 2, 5, 3, 5])
  })

  it("leaves a gap for a counter's first point when its start time is unknown or long before it", () => {
    const unknown = storeWith([counter(1, 500, { startTime: 0 }), counter(2, 505, { startTime: 0 })])
    expect(unknown.metric("requests")!.series[0]!.values).toEqual([null, 5])
    // The viewer started an hour after the service: 18,000 is the hour's count, not one interval's.
    const late = storeWith([counter(3600, 18_000), counter(3601, 18_005), counter(3602, 18_010)])
    expect(late.metric("requests")!.series[0]!.values).toEqual([null, 5, 5])
  })

  it("shows delta sums, up-down sums and gauges as they arrive", () => {
    const store = storeWith([
      counter(1, 5, { name: "delta", temporality: 1 }),
      counter(2, 5, { name: "delta", temporality: 1 }),
      counter(1, 10, { name: "queue", monotonic: false }),
      counter(2, 4, { name: "queue", monotonic: false }),
      counter(1, 0.5, { name: "load", type: "gauge" }),
      counter(2, 0.25, { name: "load", type: "gauge" })
    ])
    for (const [name, values] of [["delta", [5, 5]], ["queue", [10, 4]], ["load", [0.5, 0.25]]] as const) {
      const [series] = store.metric(name)!.series
      expect(series!.values, name).toEqual(values)
      expect(series!.perInterval, name).toBeUndefined()
    }
  })

  it("keeps two instances of one service as two series, each labelled with its instance", () => {
    const store = storeWith([
      counter(1, 5, { instance: "pod-1" }),
      counter(1, 100, { instance: "pod-2" }),
      counter(2, 10, { instance: "pod-1" }),
      counter(2, 200, { instance: "pod-2" })
    ])
    const detail = store.metric("requests")!
    expect(detail.series.map((series) => [series.service, series.instance, series.values])).toEqual([
      ["api", "pod-1", [5, 5]],
      ["api", "pod-2", [100, 100]]
    ])
    expect(detail.info.series.map((series) => [series.instance, series.points, series.last])).toEqual([
      ["pod-1", 2, 10],
      ["pod-2", 2, 200]
    ])
  })

  it("clamps percentile estimates to the histogram's min and max: every value 42 gives p50 42", () => {
    // 10 values of 42 land in the (25, 50] bucket; interpolation alone would say 37.5.
    const bounds = [0, 5, 10, 25, 50, 75, 100]
    const counts = [0, 0, 0, 0, 10, 0, 0, 0]
    expect(Series.percentile(bounds, counts, 0.5)).toBeCloseTo(37.5)
    for (const q of [0.01, 0.5, 0.95, 0.99, 1]) expect(Series.percentile(bounds, counts, q, { min: 42, max: 42 })).toBe(42)
    // The overflow bucket reaches up to max instead of stopping at the last bound.
    expect(Series.percentile([10], [0, 4], 1, { min: 20, max: 80 })).toBe(80)
    expect(Series.percentile([10], [0, 4], 1)).toBe(10)
    expect(Series.percentile(bounds, new Array(8).fill(0), 0.5, { min: 1, max: 2 })).toBeNull()

    const store = storeWith([
      counter(1, 0, { name: "latency", type: "histogram", count: 10, sum: 420, min: 42, max: 42, bucketCounts: counts, explicitBounds: bounds })
    ])
    const [series] = store.metric("latency")!.series
    expect([series!.p50![0], series!.p95![0], series!.p99![0]]).toEqual([42, 42, 42])
  })

  it("keeps attribute keys named __proto__ and constructor as attributes of their own series", () => {
    const attributes = JSON.parse('{"__proto__":"a","constructor":"b"}') as Record<string, unknown>
    const store = storeWith([counter(1, 5, { attributes }), counter(1, 7, { attributes: { route: "/users" } })])
    const [withKeys, plain] = store.metric("requests")!.series
    expect(Object.entries(withKeys!.attributes)).toEqual([["__proto__", "a"], ["constructor", "b"]])
    expect(Object.getPrototypeOf(withKeys!.attributes)).toBe(Object.prototype)
    expect(plain!.attributes).toEqual({ route: "/users" })
    expect(Series.seriesKey({ service: "api", attributes })).not.toBe(Series.seriesKey({ service: "api", attributes: {} }))
  })
})
