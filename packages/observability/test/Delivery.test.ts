/**
 * What can still be delivered is delivered, and what is lost is said, per transport, against the
 * real receiver: a collector down at start and up before shutdown (every signal delivers), a
 * "retry later" answered at shutdown, a 413, a 2xx whose body breaks or never ends, and a
 * collector failing throughout. In each case the items produced are the items received plus
 * the items the log lines say were dropped, and the self-metrics agree with the log.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Grpc from "@grpc/grpc-js"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect, Metric } from "effect"
import type { Config, TestLogger } from "../src/index.js"
import { Observability, SelfMetrics } from "../src/index.js"
import { fastRetry, runCapturing, toolkitLines } from "./support.js"
import { HTTP_PROTOBUF, TRANSPORTS } from "./transports.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())
beforeEach(async () => {
  if (!receiver.listening) await receiver.restart()
  receiver.reset()
})

const promise = <A>(evaluate: () => Promise<A>) => Effect.promise(evaluate)

/** Creates `count` root spans named `name-<i>`. */
const spans = (count: number, name = "work") =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => Effect.void.pipe(Effect.withSpan(`${name}-${i}`)), {
    discard: true
  })

const REASONS = ["queue_full", "too_large", "permanent_failure", "retry_disabled", "retry_exhausted", "unexpected_failure", "shutdown"]

/** Items of a signal dropped so far, by the self-metrics. */
const droppedMetric = (signal: string) =>
  REASONS.reduce((sum, reason) => sum + SelfMetrics.value("lingo_obs.queue.dropped", { signal, reason }), 0)

/**
 * Items of a signal the toolkit's lines say were dropped: the drop lines' counts and the
 * shutdown line's undelivered count (the outage's reminder and recovery lines repeat counts).
 */
const droppedSaid = (lines: ReadonlyArray<TestLogger.LogLine>, signal: string) =>
  lines
    .filter((line) => line.annotations["component"] === "observability" && line.annotations["signal"] === signal)
    .filter((line) => !/still failing after|recovered after/.test(String(line.message)))
    .reduce((sum, line) => sum + Number(line.annotations["dropped"] ?? 0) + Number(line.annotations["undelivered"] ?? 0), 0)

const shutdownLine = (lines: ReadonlyArray<TestLogger.LogLine>, signal: string) =>
  lines.find((line) =>
    line.annotations["signal"] === signal && /^\w+ (shutdown:|pipeline shut down)/.test(String(line.message))
  )

/** A counter of its own per test (Effect's metrics are process-wide and cumulative). */
let counters = 0
const ordersCounter = () => {
  const name = `delivery_orders_${++counters}_total`
  return { name, counter: Metric.counter(name) }
}

/** Items in the calls the receiver refused. */
const refusedItems = () =>
  receiver.requests().filter((request) => request.status !== Grpc.status.OK).reduce((sum, request) => sum + request.items, 0)

describe.each(TRANSPORTS)("delivery over $name", (transport) => {
  const section = (signal: "traces" | "metrics" | "logs") => transport.connection(receiver, signal)

  it.live("collector down at start, up before shutdown: every signal delivers (final metrics collection included)", () =>
    Effect.gen(function*() {
      yield* promise(() => receiver.stop())
      const layer = Observability.layer({
        service: { name: "outage" },
        config: {
          tracing: { ...section("traces"), batchTimeout: "50ms", startupProbeTimeout: "200ms" },
          // Default retry (5 s back-off) and a long interval: only the final collection at shutdown exports.
          metrics: { ...section("metrics"), interval: "1h", startupProbeTimeout: "200ms" },
          logs: { enabled: true, ...section("logs"), batchTimeout: "50ms", startupProbeTimeout: "200ms" },
          shutdownTimeout: "5s"
        }
      })
      const orders = ordersCounter()
      const { lines } = yield* runCapturing(
        layer,
        Effect.gen(function*() {
          for (let i = 0; i < 20; i++) {
            yield* Metric.increment(orders.counter)
            yield* Effect.logInfo(`order-${i}`).pipe(Effect.withSpan(`order-${i}`))
          }
          // Every signal has met the closed port (the start-up probe at least) before it opens.
          yield* Effect.sleep("500 millis")
          yield* promise(() => receiver.restart())
          yield* promise(() => receiver.waitForSpans(20, 15_000))
        })
      )
      expect(new Set(receiver.spans().map((span) => span.name)).size).toBe(20)
      const counter = receiver.metrics().filter((metric) => metric.name === orders.name).at(-1)
      expect(counter?.dataPoints[0]?.value).toBe(20)
      const records = receiver.logs().map((record) => String(record.body))
      for (let i = 0; i < 20; i++) expect(records).toContain(`order-${i}`)
      // Nothing lost: each signal's shutdown line is the INFO one (the final collection among what metrics flushed).
      for (const signal of ["traces", "metrics", "logs"]) expect(shutdownLine(lines, signal)?.level).toBe("INFO")
      expect(shutdownLine(lines, "metrics")?.message).toMatch(/^metrics pipeline shut down in .*; [1-9]\d* data points flushed$/)
      expect(toolkitLines(lines, "WARN").filter((line) => String(line.message).includes("not delivered"))).toEqual([])
    }), 40_000)

  it.live("collector down at start: the metrics pipeline keeps trying and delivers before shutdown", () =>
    Effect.gen(function*() {
      yield* promise(() => receiver.stop())
      const layer = Observability.layer({
        service: { name: "outage-metrics" },
        config: {
          tracing: { enabled: false },
          metrics: { ...section("metrics"), interval: "200ms", retry: fastRetry, startupProbeTimeout: "200ms" }
        }
      })
      let arrived = false
      const orders = ordersCounter()
      yield* runCapturing(
        layer,
        Effect.gen(function*() {
          yield* Metric.increment(orders.counter)
          // Several collections fail against the closed port first.
          yield* promise(() => receiver.waitFor(() => SelfMetrics.value("lingo_obs.exporter.batches", { signal: "metrics", outcome: "failed" }) > 0))
          yield* Effect.sleep("600 millis")
          yield* promise(() => receiver.restart())
          yield* promise(() => receiver.waitForMetric(orders.name, 10_000))
          arrived = true
        })
      )
      expect(arrived).toBe(true)
    }), 30_000)

  it.live("503/429 with a retry delay for the first two calls at shutdown: every span and metric point delivered", () =>
    Effect.gen(function*() {
      // No batch is sent before shutdown: the exit itself meets the two refusals.
      receiver.setFault({ code: Grpc.status.UNAVAILABLE, httpStatus: 503, retryDelayMs: 1_000, times: 2 })
      const layer = Observability.layer({
        service: { name: "retry-at-exit" },
        config: {
          tracing: { ...section("traces"), batchTimeout: "60s" },
          metrics: { ...section("metrics"), interval: "1h" },
          shutdownTimeout: "5s"
        }
      })
      const droppedBefore = droppedMetric("traces") + droppedMetric("metrics")
      const orders = ordersCounter()
      const { lines } = yield* runCapturing(layer, Effect.zipRight(spans(7), Metric.increment(orders.counter)))
      expect(receiver.spans()).toHaveLength(7)
      expect(receiver.metrics().find((metric) => metric.name === orders.name)?.dataPoints[0]?.value).toBe(1)
      expect(receiver.stats().failed).toBe(2)
      expect(droppedMetric("traces") + droppedMetric("metrics") - droppedBefore).toBe(0)
      expect(toolkitLines(lines, "WARN").filter((line) => String(line.message).includes("not delivered"))).toEqual([])
    }), 30_000)

  it.live("429 with Retry-After at shutdown, longer than what is left: no wait past the timeout, the loss is said", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.RESOURCE_EXHAUSTED, httpStatus: 429, retryDelayMs: 3_000 })
      const layer = Observability.layer({
        config: { tracing: { ...section("traces"), batchTimeout: "60s" }, metrics: { enabled: false }, shutdownTimeout: "1s" }
      })
      const droppedBefore = droppedMetric("traces")
      let closing = 0
      const { lines } = yield* runCapturing(layer, Effect.zipRight(spans(9), Effect.sync(() => (closing = Date.now()))))
      expect(Date.now() - closing).toBeLessThan(2_500)
      expect(receiver.spans()).toHaveLength(0)
      expect(droppedSaid(lines, "traces")).toBe(9)
      expect(droppedMetric("traces") - droppedBefore).toBe(9)
      expect(shutdownLine(lines, "traces")?.level).toBe("WARN")
    }), 30_000)

  it.live("413 for every call: produced = received + dropped, in the log and the self-metrics", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.INVALID_ARGUMENT, httpStatus: 413, message: "request too large", times: 2 })
      const droppedBefore = droppedMetric("traces")
      const { lines } = yield* runCapturing(
        Observability.layer({
          config: { tracing: { ...section("traces"), batchTimeout: "20ms", maxExportBatchSize: 100 }, metrics: { enabled: false } }
        }),
        Effect.gen(function*() {
          yield* spans(300)
          yield* promise(() => receiver.waitFor(() => receiver.counts().spans + refusedItems() >= 300))
        })
      )
      const received = receiver.spans().length
      const said = droppedSaid(lines, "traces")
      // The first two calls (100 spans each, unless the batch timer cut one short) were refused.
      expect(said).toBe(refusedItems())
      expect(said).toBeGreaterThan(100)
      expect(received + said).toBe(300)
      expect(droppedMetric("traces") - droppedBefore).toBe(said)
      const errors = toolkitLines(lines, "ERROR")
      expect(errors.every((line) => String(line.message).startsWith("traces export permanent failure:"))).toBe(true)
      // One shutdown line at WARN with the total lost.
      expect(shutdownLine(lines, "traces")).toMatchObject({ level: "WARN", annotations: { lost: said } })
    }), 30_000)

  it.live("a collector failing throughout (short retry window): every lost span is said, the total at shutdown", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.UNAVAILABLE, httpStatus: 503, message: "overloaded" })
      const droppedBefore = droppedMetric("traces")
      const { lines } = yield* runCapturing(
        Observability.layer({
          config: {
            tracing: { ...section("traces"), batchTimeout: "20ms", retry: { ...fastRetry, maxElapsedTime: "500ms" } },
            metrics: { enabled: false },
            shutdownTimeout: "300ms"
          }
        }),
        Effect.gen(function*() {
          yield* spans(300)
          yield* promise(() => receiver.waitFor(() => droppedMetric("traces") - droppedBefore >= 300, { timeoutMs: 10_000 }))
        })
      )
      expect(receiver.spans()).toHaveLength(0)
      expect(droppedSaid(lines, "traces")).toBe(300)
      expect(droppedMetric("traces") - droppedBefore).toBe(300)
      const last = shutdownLine(lines, "traces")!
      expect(last.level).toBe("WARN")
      expect(last.message).toContain("300 spans lost in all since start (retry_exhausted 300)")
    }), 30_000)
})

/**
 * Between the exporter and the receiver: passes each request on, and answers the receiver's
 * 200 with a body that breaks off (`broken`) or never ends (`hanging`).
 */
const brokenBodyProxy = async (target: string, mode: "broken" | "hanging") => {
  const open = new Set<Http.ServerResponse>()
  const server = Http.createServer((request, response) => {
    const upstream = Http.request(`${target}${request.url}`, { method: "POST", headers: request.headers }, (answer) => {
      const chunks: Array<Buffer> = []
      answer.on("data", (chunk: Buffer) => chunks.push(chunk))
      answer.on("end", () => {
        response.writeHead(answer.statusCode ?? 502, { "content-type": String(answer.headers["content-type"]), "content-length": "1000" })
        // The head and part of the body reach the exporter; then the connection breaks, or nothing more comes.
        response.write(Buffer.concat(chunks), () => {
          if (mode === "broken") response.socket?.destroy()
          else open.add(response)
        })
      })
    })
    request.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of open) response.socket?.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

describe("delivery over OTLP/HTTP: a 2xx is never resent", () => {
  for (const mode of ["broken", "hanging"] as const) {
    it.live(`a 2xx whose body ${mode === "broken" ? "breaks off" : "never ends"}: 200 spans made, 200 received, none twice`, () =>
      Effect.gen(function*() {
        const proxy = yield* promise(() => brokenBodyProxy(receiver.httpEndpoint, mode))
        const droppedBefore = droppedMetric("traces")
        const { lines } = yield* runCapturing(
          Observability.layer({
            config: {
              tracing: { ...HTTP_PROTOBUF.connection(receiver), endpoint: proxy.url, batchTimeout: "20ms", maxExportBatchSize: 50, retry: fastRetry },
              metrics: { enabled: false }
            }
          }),
          Effect.gen(function*() {
            yield* spans(200)
            yield* promise(() => receiver.waitForSpans(200))
          })
        ).pipe(Effect.ensuring(promise(() => proxy.close())))
        expect(receiver.spans()).toHaveLength(200)
        expect(new Set(receiver.spans().map((span) => span.spanId)).size).toBe(200)
        expect(receiver.stats().traces).toBe(4)
        expect(droppedMetric("traces") - droppedBefore).toBe(0)
        expect(shutdownLine(lines, "traces")?.level).toBe("INFO")
      }), 30_000)
  }
})
