/**
 * End to end over real OTLP/gRPC: a program runs through the Observability layer against a
 * receiver on 127.0.0.1, and the test asserts what arrives there.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect, Exit, Metric, MetricBoundaries } from "effect"
import { Observability, ObservabilityLive, Required, TestLogger } from "../src/index.js"
import { withEnv, runOn } from "./support.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())
beforeEach(() => receiver.reset())

const checkout = Effect.gen(function*() {
  yield* Effect.void.pipe(Effect.withSpan("reserve-stock"))
  yield* Effect.annotateCurrentSpan("order.id", "o-42")
  yield* Metric.increment(Metric.counter("e2e_orders_total"))
  yield* Metric.update(Metric.histogram("e2e_order_amount", MetricBoundaries.fromIterable([10, 100])), 42)
  yield* Effect.void.pipe(Effect.withSpan("charge-card"))
}).pipe(Effect.withSpan("checkout"))

describe("Observability over OTLP/gRPC", () => {
  it.live("delivers one trace, the resource, metric values and headers; the scope close flushes", () =>
    Effect.gen(function*() {
      const layer = Observability.layer({
        service: { name: "checkout", version: "1.2.3", environment: "staging" },
        config: {
          tracing: {
            endpoint: receiver.endpoint,
            insecure: true,
            headers: { "x-tenant": "acme" },
            // Long enough that only the flush on scope close can deliver the spans.
            batchTimeout: "60s"
          },
          metrics: { endpoint: receiver.endpoint, insecure: true, headers: { "x-tenant": "acme" }, interval: "60s" },
          globalAttributes: { "service.group": "shop", region: "local" }
        }
      })
      yield* runOn(layer, checkout)

      // No waiting: closing the scope already delivered everything.
      const spans = receiver.spans()
      expect(spans.map((span) => span.name).sort()).toEqual(["charge-card", "checkout", "reserve-stock"])
      const root = spans.find((span) => span.name === "checkout")!
      expect(root.parentSpanId).toBeUndefined()
      for (const child of spans.filter((span) => span !== root)) {
        expect(child.traceId).toBe(root.traceId)
        expect(child.parentSpanId).toBe(root.spanId)
      }
      expect(root.attributes).toMatchObject({ "order.id": "o-42" })
      expect(root.resource).toMatchObject({
        "service.name": "checkout",
        "service.version": "1.2.3",
        "deployment.environment.name": "staging",
        "deployment.environment": "staging",
        "service.group": "shop",
        region: "local",
        "telemetry.sdk.language": "nodejs",
        "process.runtime.name": "nodejs"
      })
      expect(root.resource["host.name"]).toBeTypeOf("string")

      const orders = receiver.metrics().filter((metric) => metric.name === "e2e_orders_total").at(-1)!
      expect(orders.dataPoints[0]!.value).toBe(1)
      expect(orders.resource).toMatchObject({ "service.name": "checkout", "service.group": "shop" })
      const amount = receiver.metrics().filter((metric) => metric.name === "e2e_order_amount").at(-1)!
      expect(amount.type).toBe("histogram")
      expect(amount.dataPoints[0]).toMatchObject({ count: 1, sum: 42 })

      const signals = new Set(receiver.requests().map((request) => request.signal))
      expect(signals).toEqual(new Set(["traces", "metrics"]))
      for (const request of receiver.requests()) expect(request.metadata["x-tenant"]).toBe("acme")
    }))

  it.live("ObservabilityLive takes everything from OTEL_* variables", () =>
    Effect.gen(function*() {
      yield* runOn(ObservabilityLive, checkout).pipe(withEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}`,
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20t0ken",
        OTEL_SERVICE_NAME: "from-env",
        OTEL_RESOURCE_ATTRIBUTES: "service.version=9.9.9,team=payments",
        APP_ENV: "production",
        OTEL_METRICS_EXPORTER: "none"
      }))
      const spans = receiver.spans()
      expect(spans).toHaveLength(3)
      expect(spans[0]!.resource).toMatchObject({
        "service.name": "from-env",
        "service.version": "9.9.9",
        "deployment.environment.name": "production",
        team: "payments"
      })
      expect(receiver.requests().every((request) => request.signal === "traces")).toBe(true)
      expect(receiver.requests()[0]!.metadata["authorization"]).toBe("Bearer t0ken")
    }))

  it.live("enabled: false exports nothing at all, and the program still runs", () =>
    Effect.gen(function*() {
      const layer = Observability.layer({
        config: {
          tracing: { enabled: false, endpoint: receiver.endpoint, insecure: true },
          metrics: { enabled: false, endpoint: receiver.endpoint, insecure: true }
        }
      })
      const result = yield* runOn(layer, Effect.as(checkout, "done"))
      expect(result).toBe("done")
      expect(receiver.stats()).toMatchObject({ traces: 0, metrics: 0 })
    }))

  it.live("required: true stops startup when the exporter cannot be built, naming signal and endpoint", () =>
    Effect.gen(function*() {
      const layer = Observability.layer({
        config: {
          tracing: { endpoint: "otel.example.com:4317", certificate: "/nonexistent/ca.pem", required: true },
          metrics: { enabled: false }
        }
      })
      const exit = yield* Effect.exit(runOn(layer, checkout))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        const error = exit.cause.error
        expect(error).toBeInstanceOf(Required.PipelineStartError)
        expect(error).toMatchObject({ signal: "traces", endpoint: "otel.example.com:4317" })
        expect(error.message).toContain("/nonexistent/ca.pem")
      } else {
        expect.fail(`expected a PipelineStartError, got ${String(exit)}`)
      }
    }))

  it.live("required: false logs one warning and the program completes without that signal", () =>
    Effect.gen(function*() {
      const capture = TestLogger.make()
      const layer = Observability.layer({
        service: { name: "degraded" },
        config: {
          tracing: { endpoint: "otel.example.com:4317", certificate: "/nonexistent/ca.pem", required: false },
          metrics: { endpoint: receiver.endpoint, insecure: true }
        }
      })
      const result = yield* runOn(layer, Effect.as(checkout, "done")).pipe(Effect.provide(capture.layer))
      expect(result).toBe("done")
      const warnings = capture.lines.filter((line) => line.level === "WARN")
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.message).toContain("Cannot start the traces pipeline (endpoint otel.example.com:4317)")
      expect(warnings[0]!.annotations).toMatchObject({
        component: "observability",
        "service.name": "degraded",
        signal: "traces"
      })
      // The other signal is unaffected.
      expect(receiver.stats().metrics).toBeGreaterThan(0)
      expect(receiver.stats().traces).toBe(0)
    }))

  it.live("a malformed config fails startup with the field path", () =>
    Effect.gen(function*() {
      const layer = Observability.layer({ config: { tracing: { samplingRatio: "abc" as unknown as number } } })
      const exit = yield* Effect.exit(runOn(layer, checkout))
      expect(String(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error.message : "")).toContain(
        "tracing.samplingRatio"
      )
    }))
})
