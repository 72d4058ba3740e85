import { describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as OtelApi from "@opentelemetry/api"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { Observability, Reconfigure } from "../src/index.js"

/** A real receiver on 127.0.0.1 for the test's scope. */
const receiver = Effect.acquireRelease(
  Effect.promise(() => OtlpReceiver.start({ host: "127.0.0.1" })),
  (receiver) => Effect.promise(() => receiver.stop())
)

describe("metrics and logs delivered to a receiver through the engine's pipeline and transports (Effect 4)", () => {
  it.live.each(["grpc", "http/protobuf", "http/json"] as const)("%s: Effect metrics of every kind, OTel-API and runtime metrics, and log records with their span's ids", (protocol) =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const endpoint = protocol === "grpc" ? `http://${otlp.endpoint}` : otlp.httpEndpoint
      const service = Effect.gen(function*() {
        yield* Metric.update(Metric.counter("orders_total", { incremental: true, attributes: { "http.response.status_code": "201" } }), 3)
        yield* Metric.update(Metric.histogram("rpc_duration", { boundaries: [0, 5, 10], attributes: { unit: "ms" } }), 0)
        yield* Metric.update(Metric.gauge("queue_depth"), 7)
        yield* Metric.update(Metric.frequency("status_codes"), "200")
        yield* Metric.update(Metric.summary("latency", { maxAge: "1 minute", maxSize: 10, quantiles: [0.5] }), 4)
        OtelApi.metrics.getMeter("library").createCounter("library_calls_total").add(2)
        yield* Effect.logInfo("order placed").pipe(Effect.annotateLogs({ "order.id": "o-1" }))
      }).pipe(Effect.withSpan("place-order"))
      yield* service.pipe(
        Effect.provide(Observability.layer({
          service: { name: "e4-delivery" },
          config: {
            tracing: { protocol, endpoint, batchTimeout: "10ms" },
            metrics: { protocol, endpoint, interval: "1h" },
            logs: { protocol, endpoint, enabled: true, batchTimeout: "10ms" },
            shutdownTimeout: "10s"
          },
          variables: {}
        })),
        // Effect 4's default registry is one per process (it would carry the other protocol's run): a registry of this run's own.
        Effect.provideService(Metric.MetricRegistry, new Map())
      )
      // The layer's scope closed: the final collection and the buffered records were flushed.
      const wire = protocol === "grpc" ? "grpc" : "http"
      expect(new Set(otlp.requests().map((request) => `${request.signal} ${request.transport}`))).toEqual(
        new Set([`traces ${wire}`, `metrics ${wire}`, `logs ${wire}`])
      )
      if (protocol !== "grpc") {
        // Every signal in the protocol's encoding, with its content type.
        const encoding = protocol === "http/json" ? "json application/json" : "protobuf application/x-protobuf"
        const encodings = new Set(otlp.requests().map((request) => `${request.encoding} ${request.metadata["content-type"]}`))
        expect(encodings).toEqual(new Set([encoding]))
      }
      const span = yield* Effect.promise(() => otlp.waitForSpan("place-order"))
      const orders = yield* Effect.promise(() => otlp.waitForMetric("orders_total"))
      expect(orders).toMatchObject({ type: "sum", isMonotonic: true, unit: "1", resource: { "service.name": "e4-delivery" } })
      expect(orders.dataPoints).toMatchObject([{ value: 3, attributes: { "http.response.status_code": 201 } }])
      const rpc = otlp.metrics().find((metric) => metric.name === "rpc_duration")
      expect(rpc).toMatchObject({ type: "histogram", unit: "ms" })
      expect(rpc?.dataPoints[0]).toMatchObject({ count: 1, explicitBounds: [0, 5, 10], bucketCounts: [1, 0, 0, 0] })
      const names = new Set(otlp.metrics().map((metric) => metric.name))
      for (const name of ["queue_depth", "status_codes", "latency_quantiles", "latency_count", "latency_sum", "library_calls_total", "process.memory.usage"]) {
        expect(names, name).toContain(name)
      }
      // The toolkit's own lines (the start-up line) are records too, as on the Effect 3 line.
      const record = yield* Effect.promise(() => otlp.waitFor(() => otlp.logs().find((log) => log.body === "order placed")))
      expect(record).toMatchObject({
        body: "order placed",
        severityText: "INFO",
        severityNumber: 9,
        traceId: span.traceId,
        spanId: span.spanId,
        attributes: { "order.id": "o-1" },
        scope: { name: "@lingo-obs/logs" }
      })
    }).pipe(Effect.scoped), 30_000)

  it.live("Reconfigure switches metrics export off while the program runs: the final collection is not sent", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const endpoint = `http://${otlp.endpoint}`
      yield* Effect.gen(function*() {
        expect((yield* Reconfigure.current).metricsExport).toBe(true)
        yield* Reconfigure.setExporting("metrics", false)
        expect((yield* Reconfigure.current).metricsExport).toBe(false)
        yield* Metric.update(Metric.counter("not_exported_total"), 1)
        yield* Effect.void.pipe(Effect.withSpan("still-traced"))
      }).pipe(
        Effect.provide(Observability.layer({
          service: { name: "e4-reconfigure" },
          config: { tracing: { endpoint, batchTimeout: "10ms" }, metrics: { endpoint, interval: "1h" }, shutdownTimeout: "10s" },
          variables: {}
        })),
        Effect.provideService(Metric.MetricRegistry, new Map())
      )
      yield* Effect.promise(() => otlp.waitForSpan("still-traced"))
      expect(otlp.requests().filter((request) => request.signal === "metrics")).toEqual([])
    }).pipe(Effect.scoped), 30_000)

  it.live("logs.format json with export on: the stdout line and the exported record carry the same span", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const endpoint = `http://${otlp.endpoint}`
      const lines: Array<string> = []
      const console: Console.Console = { ...globalThis.console, log: (...args: ReadonlyArray<unknown>) => void lines.push(args.map(String).join(" ")) }
      yield* Effect.logInfo("order placed").pipe(
        Effect.withSpan("place-order"),
        Effect.provide(Observability.layer({
          service: { name: "e4-json-lines" },
          config: {
            tracing: { endpoint, batchTimeout: "10ms" },
            metrics: { enabled: false },
            logs: { endpoint, enabled: true, batchTimeout: "10ms", format: "json" },
            shutdownTimeout: "10s"
          },
          variables: {}
        })),
        Effect.provideService(Console.Console, console)
      )
      const span = yield* Effect.promise(() => otlp.waitForSpan("place-order"))
      const record = yield* Effect.promise(() => otlp.waitFor(() => otlp.logs().find((log) => log.body === "order placed")))
      expect(record).toMatchObject({ traceId: span.traceId, spanId: span.spanId })
      const line = lines.map((text) => JSON.parse(text) as Record<string, unknown>).find((line) => line["message"] === "order placed")
      expect(line).toMatchObject({ level: "INFO", severity: "INFO", trace_id: span.traceId, span_id: span.spanId, trace_flags: "01" })
      // The toolkit's own start-up line is written in the same format.
      expect(lines.some((text) => text.includes("observability started") && text.startsWith("{"))).toBe(true)
    }).pipe(Effect.scoped), 30_000)
})
