/**
 * Fault injection against the real receiver: what an operator would read in the log, and what
 * the collector ends up with, when the collector is down, slow, throttling or refusing.
 */
import * as Grpc from "@grpc/grpc-js"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect } from "effect"
import type { Config } from "../src/index.js"
import { Observability, SelfMetrics } from "../src/index.js"
import { fastRetry, runCapturing, toolkitLines } from "./support.js"
import { GRPC, type TestTransport, TRANSPORTS } from "./transports.js"

let receiver: OtlpReceiver.Receiver
/** The transport of the `describe.each` block running now. */
let transport: TestTransport = GRPC
let stderr: Array<string> = []
const writeStderr = process.stderr.write.bind(process.stderr)

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
  // Every OpenTelemetry error must reach the Effect logger, never raw stderr.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
    stderr.push(String(chunk))
    return (writeStderr as (...args: Array<unknown>) => boolean)(chunk, ...rest)
  }) as typeof process.stderr.write
})
afterAll(async () => {
  process.stderr.write = writeStderr
  await receiver.stop()
})
beforeEach(async () => {
  stderr = []
  if (!receiver.listening) await receiver.restart()
  receiver.reset()
})
afterEach(() => {
  expect(stderr.join("").toLowerCase()).not.toMatch(/opentelemetry|otlp|export/)
})

/** Fast retries so that tests take milliseconds, not the production back-off. */

const tracingOnly = (tracing: Config.ObservabilityConfigInput["tracing"] = {}, extra: Config.ObservabilityConfigInput = {}) =>
  Observability.layer({
    service: { name: "resilience" },
    config: {
      tracing: { ...transport.connection(receiver), batchTimeout: "20ms", retry: fastRetry, ...tracing },
      metrics: { enabled: false },
      ...extra
    }
  })

/** Creates `count` root spans named `name-<i>`. */
const spans = (count: number, name = "work") =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => Effect.void.pipe(Effect.withSpan(`${name}-${i}`)), {
    discard: true
  })

const promise = <A>(evaluate: () => Promise<A>) => Effect.promise(evaluate)

describe.each(TRANSPORTS)("export resilience over $name", (current) => {
  beforeAll(() => {
    transport = current
  })

  it.live("collector down at startup, up later: warnings, then data, then one recovery line", () =>
    Effect.gen(function*() {
      yield* promise(() => receiver.stop())
      const { lines } = yield* runCapturing(
        tracingOnly({ startupProbeTimeout: "2s" }),
        Effect.gen(function*() {
          yield* spans(20)
          yield* Effect.sleep("600 millis")
          yield* promise(() => receiver.restart())
          yield* promise(() => receiver.waitForSpans(20, 15_000))
        })
      )
      // One warning for the whole outage (probe and export failures alike), naming the cause.
      const warnings = toolkitLines(lines, "WARN").map((line) => line.message)
      expect(warnings).toEqual([expect.stringContaining(`traces export to ${transport.endpoint(receiver)} is failing: UNAVAILABLE`)])
      expect(warnings[0]).toContain("connection refused")
      const recovered = toolkitLines(lines, "INFO").filter((line) => line.message.includes("recovered"))
      expect(recovered).toHaveLength(1)
      expect(recovered[0]!.message).toMatch(/traces export recovered after [\d.]+m?s and \d+ failed attempts?/)
      expect(recovered[0]!.annotations).toMatchObject({ signal: "traces", endpoint: transport.endpoint(receiver) })
      expect(new Set(receiver.spans().map((span) => span.spanId)).size).toBe(20)
    }))

  it.live("UNAVAILABLE for the first calls: one warning, one recovery line, nothing lost or doubled", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.UNAVAILABLE, message: "collector restarting", times: 3 })
      const { lines } = yield* runCapturing(tracingOnly(), spans(10))
      const warnings = toolkitLines(lines, "WARN")
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.message).toContain(`${transport.unavailable} (collector restarting)`)
      expect(warnings[0]!.annotations).toMatchObject({ status: transport.unavailable, "service.name": "resilience" })
      const info = toolkitLines(lines, "INFO").filter((line) => line.message.includes("recovered"))
      expect(info.map((line) => line.message)).toEqual([expect.stringMatching(/and 3 failed attempts/)])
      expect(receiver.spans()).toHaveLength(10)
      expect(new Set(receiver.spans().map((span) => span.spanId)).size).toBe(10)
    }))

  it.live("RESOURCE_EXHAUSTED with RetryInfo: the server's delay is honoured", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.RESOURCE_EXHAUSTED, times: 1, retryDelayMs: 700 })
      const started = Date.now()
      const { lines } = yield* runCapturing(tracingOnly({ retry: { ...fastRetry, maxBackoff: "1s" } }), spans(5))
      const warning = toolkitLines(lines, "WARN")[0]!
      const asked = transport.askedDelay(700)
      expect(warning.message).toMatch(/retrying in (700ms|1\.0s) as the server asked/)
      expect(receiver.spans()).toHaveLength(5)
      expect(Date.now() - started).toBeGreaterThanOrEqual(asked)
    }))

  it.live("PERMISSION_DENIED: one error line, no retries, the batches are dropped and counted", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.PERMISSION_DENIED, message: "bad key" })
      const droppedBefore = SelfMetrics.value("lingo_obs.queue.dropped", { signal: "traces", reason: "permanent_failure" })
      const { lines } = yield* runCapturing(
        tracingOnly({ maxExportBatchSize: 5 }),
        Effect.gen(function*() {
          yield* spans(15)
          yield* promise(() => receiver.waitFor(() => receiver.stats().failed >= 3))
        })
      )
      // The first batch is said at once; the next ones, counted meanwhile, at shutdown: 15 in all.
      const errors = toolkitLines(lines, "ERROR")
      expect(errors.length).toBeGreaterThanOrEqual(1)
      expect(errors.length).toBeLessThanOrEqual(2)
      for (const error of errors) {
        expect(error.message).toContain(`traces export permanent failure: ${transport.permissionDenied} (bad key)`)
        expect(error.message).toContain("not retried")
      }
      expect(errors.reduce((sum, line) => sum + Number(line.annotations["dropped"]), 0)).toBe(15)
      // The only warning is the shutdown line, with the total lost.
      expect(toolkitLines(lines, "WARN").map((line) => line.message)).toEqual([
        expect.stringMatching(/^traces pipeline shut down in \d+ms; 0 spans flushed; 15 spans lost in all since start \(permanent_failure 15\)$/)
      ])
      expect(receiver.stats().traces).toBe(3)
      expect(receiver.spans()).toEqual([])
      expect(SelfMetrics.value("lingo_obs.queue.dropped", { signal: "traces", reason: "permanent_failure" }) - droppedBefore)
        .toBe(15)
    }))

  it.live("a receiver slower than the export timeout: DEADLINE_EXCEEDED, retried, delivered once", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", delayMs: 1_500, times: 1 })
      const { lines } = yield* runCapturing(tracingOnly({ exportTimeout: "300ms" }), spans(5))
      expect(toolkitLines(lines, "WARN")[0]!.message).toContain("DEADLINE_EXCEEDED")
      expect(receiver.spans()).toHaveLength(5)
    }))

  it.live("the receiver killed mid-run and restarted: every span arrives", () =>
    Effect.gen(function*() {
      let produced = 0
      const producer = Effect.gen(function*() {
        for (let i = 0; i < 60; i++) {
          yield* Effect.void.pipe(Effect.withSpan(`tick-${i}`))
          produced++
          yield* Effect.sleep("10 millis")
        }
      })
      const outage = Effect.gen(function*() {
        yield* Effect.sleep("150 millis")
        yield* promise(() => receiver.stop())
        yield* Effect.sleep("300 millis")
        yield* promise(() => receiver.restart())
      })
      yield* runCapturing(tracingOnly(), Effect.all([producer, outage], { concurrency: 2 }))
      expect(produced).toBe(60)
      expect(new Set(receiver.spans().map((span) => span.name)).size).toBe(60)
    }))

  it.live("shutdown with the collector down returns within the shutdown timeout, both signals", () =>
    Effect.gen(function*() {
      yield* promise(() => receiver.stop())
      const layer = Observability.layer({
        config: {
          tracing: { ...transport.connection(receiver), retry: fastRetry },
          metrics: { ...transport.connection(receiver), retry: fastRetry },
          shutdownTimeout: "5s"
        }
      })
      let closing = 0
      const { lines } = yield* runCapturing(layer, Effect.zipRight(spans(50), Effect.sync(() => (closing = Date.now()))))
      const elapsed = Date.now() - closing
      // The endpoint refused every attempt since start: shutdown gives up at once, not after the 5 s
      // timeout (the bound leaves room for a loaded machine).
      expect(elapsed).toBeLessThan(2_500)
      const undelivered = toolkitLines(lines, "WARN").filter((line) => line.message.includes("not delivered"))
      expect(undelivered.map((line) => line.annotations["signal"]).sort()).toEqual(["metrics", "traces"])
      expect(undelivered.find((line) => line.annotations["signal"] === "traces")!.message).toMatch(
        /^traces shutdown: 50 spans not delivered, 0 delivered: the collector was not reachable since start \(UNAVAILABLE: .*connection refused/
      )
    }))

  it.live("memory stays bounded by the queue while the collector is down; drops are counted and logged once", () =>
    Effect.gen(function*() {
      yield* promise(() => receiver.stop())
      const dropped = () => SelfMetrics.value("lingo_obs.queue.dropped", { signal: "traces", reason: "queue_full" })
      const before = dropped()
      const { lines } = yield* runCapturing(tracingOnly({ maxQueueSize: 200, maxExportBatchSize: 50, retry: { ...fastRetry, maxElapsedTime: "30s" }, startupProbeTimeout: "100ms" }, { shutdownTimeout: "200ms" }), spans(1_000))
      expect(dropped() - before).toBe(800)
      const full = toolkitLines(lines, "WARN").filter((line) => line.message.includes("queue full"))
      expect(full.map((line) => line.message)).toEqual(["traces queue full (200 spans): dropped 800 spans"])
    }))

  it.live("a 50k-span burst during a short outage, default settings: the receiver gets every span", () =>
    Effect.gen(function*() {
      yield* promise(() => receiver.stop())
      const layer = Observability.layer({
        config: { tracing: transport.connection(receiver), metrics: { enabled: false } }
      })
      yield* runCapturing(
        layer,
        Effect.gen(function*() {
          yield* spans(50_000, "burst")
          yield* Effect.sleep("2 seconds")
          yield* promise(() => receiver.restart())
          yield* promise(() => receiver.waitFor(() => receiver.counts().spans >= 50_000, { timeoutMs: 45_000 }))
        })
      )
      expect(receiver.counts().spans).toBe(50_000)
      expect(new Set(receiver.spans().map((span) => span.spanId)).size).toBe(50_000)
    }), 60_000)

  it.live("a collector back during a long back-off gets the queued spans at once, not when the back-off ends", () =>
    Effect.gen(function*() {
      yield* promise(() => receiver.stop())
      const failures = () => SelfMetrics.value("lingo_obs.exporter.failures", { signal: "traces", status: "UNAVAILABLE" })
      const failuresBefore = failures()
      let waited = 0
      yield* runCapturing(
        tracingOnly({ retry: { initialBackoff: "20s", maxBackoff: "20s", maxElapsedTime: "2m" }, startupProbeTimeout: "100ms" }),
        Effect.gen(function*() {
          yield* spans(20)
          // The first export fails and backs off for 10-20 s.
          yield* promise(() => receiver.waitFor(() => failures() > failuresBefore))
          yield* Effect.sleep("500 millis")
          yield* promise(() => receiver.restart())
          const back = Date.now()
          yield* promise(() => receiver.waitForSpans(20, 15_000))
          waited = Date.now() - back
        })
      )
      // grpc-js reconnects within its 0.5-5 s back-off; the pipeline's 10-20 s back-off is cut short.
      expect(waited).toBeLessThan(6_000)
    }), 30_000)

  it.live("one transient failure of the final metrics collection: retried at once, delivered, exit not delayed", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "metrics", code: Grpc.status.UNAVAILABLE, message: "collector restarting", times: 1 })
      const layer = Observability.layer({
        service: { name: "final-metrics" },
        config: {
          tracing: { enabled: false },
          // Default retry (5 s initial back-off) and a long interval: only the final collection exports.
          metrics: { endpoint: receiver.endpoint, insecure: true, interval: "1h" },
          shutdownTimeout: "5s"
        }
      })
      let closing = 0
      const { lines } = yield* runCapturing(layer, Effect.sync(() => (closing = Date.now())))
      const elapsed = Date.now() - closing
      expect(elapsed).toBeLessThan(1_500)
      expect(receiver.metrics().length).toBeGreaterThan(0)
      expect(toolkitLines(lines, "WARN").filter((line) => line.message.includes("not delivered"))).toEqual([])
      expect(toolkitLines(lines, "INFO").some((line) => /metrics pipeline shut down in \d+ms; [1-9]\d* data points flushed/.test(line.message)))
        .toBe(true)
    }))
})
