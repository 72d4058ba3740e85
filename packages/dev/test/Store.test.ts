import { Store } from "@lingo-obs/dev"
import { describe, expect, it } from "vitest"

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"

const span = (spanId: string, parentSpanId: string | undefined, start: number, fields: Partial<Store.NewSpan> = {}): Store.NewSpan => ({
  traceId: TRACE,
  spanId,
  ...(parentSpanId === undefined ? {} : { parentSpanId }),
  name: `span-${spanId}`,
  service: "svc",
  kind: 1,
  start,
  end: start + 10,
  attributes: {},
  status: { code: 0 },
  events: [],
  links: [],
  resource: { "service.name": "svc" },
  scope: { name: "test" },
  ...fields
})

const log = (body: string, fields: Partial<Store.NewLogRecord> = {}): Store.NewLogRecord => ({
  time: 1,
  severityNumber: 9,
  severityText: "INFO",
  body,
  attributes: {},
  service: "svc",
  resource: {},
  scope: { name: "test" },
  ...fields
})

const point = (value: number, fields: Partial<Store.NewMetricPoint> = {}): Store.NewMetricPoint => ({
  name: "requests",
  description: "",
  unit: "1",
  type: "sum",
  service: "svc",
  attributes: { route: "/a" },
  startTime: 0,
  time: value,
  value,
  ...fields
})

const order = (store: Store.Store, traceId = TRACE) =>
  store.trace(traceId)!.rows.map((row) => `${"  ".repeat(row.depth)}${row.span.spanId}${row.orphan ? " (orphan)" : ""}`)

describe("Store", () => {
  it("evicts the oldest spans beyond capacity, counts them, and drops emptied traces", () => {
    const store = Store.make({ maxSpans: 3 })
    store.addSpans([span("a", undefined, 1, { traceId: "t1" }), span("b", undefined, 2, { traceId: "t2" })])
    store.addSpans([span("c", undefined, 3, { traceId: "t3" }), span("d", undefined, 4, { traceId: "t3" })])

    expect(store.stats().held).toMatchObject({ spans: 3, traces: 2 })
    expect(store.stats().evicted.spans).toBe(1)
    expect(store.stats().received.spans).toBe(4)
    expect(store.trace("t1")).toBeUndefined()
    expect(store.traces().map((trace) => trace.traceId)).toEqual(["t3", "t2"])
  })

  it("evicts log records and metric points the same way, keeping per-trace logs and series in step", () => {
    const store = Store.make({ maxLogs: 2, maxMetricPoints: 2 })
    store.addLogs([log("one", { traceId: TRACE }), log("two", { traceId: TRACE }), log("three")])
    store.addMetricPoints([point(1), point(2), point(3, { attributes: { route: "/b" } })])

    expect(store.logs().map((record) => record.body)).toEqual(["three", "two"])
    expect(store.stats().evicted).toMatchObject({ logs: 1, metricPoints: 1 })
    store.addSpans([span("a", undefined, 1)])
    expect(store.trace(TRACE)!.logs.map((record) => record.body)).toEqual(["two"])
    const [metric] = store.metrics()
    expect(metric!.series.map((series) => [series.attributes, series.points])).toEqual([
      [{ route: "/a" }, 1],
      [{ route: "/b" }, 1]
    ])
  })

  it("assembles a trace whose children arrive before their parents, in parent order by start time", () => {
    const store = Store.make()
    // Arrival order: grandchild, second child, root, first child (the usual order of batch exports
    // from several processes is leaves first).
    store.addSpans([span("grandchild", "child1", 30)])
    expect(order(store)).toEqual(["grandchild (orphan)"])
    expect(store.traces()[0]).toMatchObject({ rootName: "span-grandchild", orphanCount: 1 })

    store.addSpans([span("child2", "root", 50), span("root", undefined, 0)])
    store.addSpans([span("child1", "root", 20)])

    expect(order(store)).toEqual(["root", "  child1", "    grandchild", "  child2"])
    expect(store.traces()[0]).toMatchObject({ rootName: "span-root", spanCount: 4, orphanCount: 0, durationMs: 60 })
  })

  it("keeps spans whose parent never arrived at the top level, marked as orphans", () => {
    const store = Store.make()
    store.addSpans([span("root", undefined, 0), span("lost", "missing", 5), span("child", "lost", 6)])
    expect(order(store)).toEqual(["root", "lost (orphan)", "  child"])
    expect(store.traces()[0]!.orphanCount).toBe(1)
  })

  it("filters traces by service, name, duration, errors, attribute and trace id", () => {
    const store = Store.make()
    store.addSpans([
      span("a", undefined, 0, { traceId: "aaaa", service: "gateway", attributes: { "http.route": "/users/:id" } }),
      span("b", undefined, 0, { traceId: "bbbb", service: "users", name: "users.find", end: 500, status: { code: 2 } })
    ])
    const ids = (filter: Store.TraceFilter) => store.traces(filter).map((trace) => trace.traceId)
    expect(ids({ service: "users" })).toEqual(["bbbb"])
    expect(ids({ name: "FIND" })).toEqual(["bbbb"])
    expect(ids({ minDurationMs: 100 })).toEqual(["bbbb"])
    expect(ids({ errorsOnly: true })).toEqual(["bbbb"])
    expect(ids({ attribute: "http.route=/users/:id" })).toEqual(["aaaa"])
    expect(ids({ attribute: "service.name=svc" }).sort()).toEqual(["aaaa", "bbbb"])
    expect(ids({ traceId: "AA" })).toEqual(["aaaa"])
  })

  it("turns cumulative histograms into per-interval counts and percentile estimates", () => {
    const store = Store.make()
    const histogram = (time: number, bucketCounts: Array<number>) =>
      point(0, {
        name: "latency",
        type: "histogram",
        temporality: 2,
        time,
        count: bucketCounts.reduce((a, b) => a + b, 0),
        sum: time,
        bucketCounts,
        explicitBounds: [10, 100]
      })
    store.addMetricPoints([histogram(1, [10, 0, 0]), histogram(2, [10, 10, 0])])
    const series = store.metric("latency")!.series[0]!
    expect(series.counts).toEqual([10, 10])
    expect(series.p50![0]).toBeCloseTo(5)
    // The second interval only saw the 10..100 bucket.
    expect(series.p50![1]).toBeCloseTo(55)
  })

  it("tells subscribers what each batch changed", () => {
    const store = Store.make()
    const updates: Array<unknown> = []
    store.subscribe((update) => updates.push(update))
    store.addSpans([span("a", undefined, 0)])
    expect(updates).toEqual([{ seq: 1, spans: 1, logs: 0, metricPoints: 0, traceIds: [TRACE] }])
  })

  it("stays within its byte bound by evicting the oldest whole traces", () => {
    const store = Store.make({ maxBytes: 10 * 1024 * 1024 })
    const payload = "x".repeat(1024 * 1024)
    for (let index = 0; index < 30; index++) {
      // Two spans per trace, 1 MiB each: the bound holds about five traces.
      store.addSpans([
        span(`root${index}`, undefined, index, { traceId: `trace${index}`, attributes: { payload } }),
        span(`child${index}`, `root${index}`, index, { traceId: `trace${index}`, attributes: { payload } })
      ])
      expect(store.stats().held.bytes).toBeLessThanOrEqual(10 * 1024 * 1024)
    }
    const { held, evicted, capacity } = store.stats()
    expect(capacity.bytes).toBe(10 * 1024 * 1024)
    expect(held.bytes).toBeGreaterThan(8 * 1024 * 1024)
    expect(held.spans).toBe(2 * held.traces)
    expect(evicted.spans).toBe(60 - held.spans)
    // The newest traces, each whole.
    const kept = store.traces().map((trace) => trace.traceId).sort()
    expect(kept).toEqual(Array.from({ length: held.traces }, (_, index) => `trace${30 - held.traces + index}`).sort())
    for (const traceId of kept) expect(store.trace(traceId)!.rows).toHaveLength(2)
  })

  it("counts a span's strings, attributes and events in its size, and frees them when it goes", () => {
    const store = Store.make()
    store.addSpans([span("small", undefined, 0)])
    const small = store.stats().held.bytes
    store.addSpans([span("big", undefined, 0, { events: [{ name: "e", time: 1, attributes: { text: "y".repeat(100_000) } }] })])
    expect(store.stats().held.bytes - small).toBeGreaterThan(100_000)
    // Received again: replaced, not counted twice.
    store.addSpans([span("big", undefined, 0)])
    expect(store.stats().held.spans).toBe(2)
    // Two spans like the small one ("big" is two characters shorter than "small", twice).
    expect(store.stats().held.bytes).toBe(2 * small - 4)
  })

  it("keeps a span received again once, in its trace, however often it comes", () => {
    const store = Store.make({ maxSpans: 3 })
    for (let round = 0; round < 5; round++) store.addSpans([span("retried", undefined, 0, { traceId: "t1" })])
    expect(store.stats().held).toMatchObject({ spans: 1, traces: 1 })
    expect(store.trace("t1")!.rows).toHaveLength(1)
    // Nothing invisible takes up room: three new spans evict exactly the retried one.
    store.addSpans([span("a", undefined, 1, { traceId: "t2" }), span("b", undefined, 2, { traceId: "t2" }), span("c", undefined, 3, { traceId: "t2" })])
    expect(store.stats()).toMatchObject({ held: { spans: 3, traces: 1 }, evicted: { spans: 1 } })
    expect(store.trace("t2")!.rows).toHaveLength(3)
  })

  it("evicts log records and metric points by bytes too, oldest first across the signals", () => {
    const store = Store.make({ maxBytes: 1024 * 1024 })
    store.addLogs([log("a".repeat(400_000)), log("b".repeat(400_000))])
    store.addSpans([span("late", undefined, 0, { attributes: { payload: "c".repeat(400_000) } })])
    expect(store.logs().map((record) => (record.body as string)[0])).toEqual(["b"])
    expect(store.stats()).toMatchObject({ held: { spans: 1, logs: 1 }, evicted: { logs: 1, spans: 0 } })
  })

  it("lays out a trace 10,000 spans deep without overflowing the stack", () => {
    const store = Store.make()
    const spans = Array.from({ length: 10_000 }, (_, index) => span(`s${index}`, index === 0 ? undefined : `s${index - 1}`, index))
    store.addSpans(spans)
    const rows = store.trace(TRACE)!.rows
    expect(rows).toHaveLength(10_000)
    expect(rows[9_999]).toMatchObject({ depth: 9_999, span: { spanId: "s9999" } })
  })
})

