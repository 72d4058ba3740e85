/**
 * Fault injection against the real receiver: what an operator would read in the log, and what
 * the collector ends up with, when the collector is down, slow, throttling or refusing.
 */
import * as Grpc from "@grpc/grpc-js"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect } from "effect"
import type { Config } from "../src/index.js"
import { Observability, SelfMetrics, TestLogger } from "../src/index.js"
import { runCapturing } from "./support.js"

let receiver: OtlpReceiver.Receiver
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
const fastRetry = { initialBackoff: "100ms", maxBackoff: "400ms", maxElapsedTime: "20s" }

const tracingOnly = (tracing: Config.ObservabilityConfigInput["tracing"] = {}, extra: Config.ObservabilityConfigInput = {}) =>
  Observability.layer({
    service: { name: "resilience" },
    config: {
      tracing: { endpoint: receiver.endpoint, insecure: true, batchTimeout: "20ms", retry: fastRetry, ...tracing },
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
const toolkitLines = (lines: ReadonlyArray<TestLogger.LogLine>, level: string) =>
  lines.filter((line) => line.level === level && line.annotations["component"] === "observability")

describe("export resilience", () => {
  it.live("collector down at startup, up later: warnings, then data, then one recovery line", () =>
    Effect.gen(function*() {
      yield* promise(() => receiver.stop())
      const { lines } = yield* runCapturing(
        tracingOnly({ startupProbeTimeout: "200ms" }),
        Effect.gen(function*() {
          yield* spans(20)
          yield* Effect.sleep("600 millis")
          yield* promise(() => receiver.restart())
          yield* promise(() => receiver.waitForSpans(20, 15_000))
        })
      )
      const warnings = toolkitLines(lines, "WARN").map((line) => line.message)
      expect(warnings.filter((message) => message.includes("did not accept a plaintext connection within 200ms")))
        .toHaveLength(1)
      expect(warnings.some((message) => /traces export failed: UNAVAILABLE .*retrying \(attempt 1\)/.test(message)))
        .toBe(true)
      const recovered = toolkitLines(lines, "INFO").filter((line) => line.message.includes("recovered"))
      expect(recovered).toHaveLength(1)
      expect(recovered[0]!.message).toMatch(/traces export recovered after \d+ failed attempts? in/)
      expect(recovered[0]!.annotations).toMatchObject({ signal: "traces", endpoint: receiver.endpoint })
      expect(new Set(receiver.spans().map((span) => span.spanId)).size).toBe(20)
    }))

  it.live("UNAVAILABLE for the first calls: one warning per attempt, one recovery line, nothing lost or doubled", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.UNAVAILABLE, message: "collector restarting", times: 3 })
      const { lines } = yield* runCapturing(tracingOnly(), spans(10))
      const warnings = toolkitLines(lines, "WARN")
      expect(warnings.map((line) => line.annotations["attempt"])).toEqual([1, 2, 3])
      expect(warnings[0]!.message).toContain("UNAVAILABLE (collector restarting)")
      expect(warnings[0]!.annotations).toMatchObject({ status: "UNAVAILABLE", "service.name": "resilience" })
      const info = toolkitLines(lines, "INFO").filter((line) => line.message.includes("recovered"))
      expect(info.map((line) => line.message)).toEqual([expect.stringMatching(/after 3 failed attempts/)])
      expect(receiver.spans()).toHaveLength(10)
      expect(new Set(receiver.spans().map((span) => span.spanId)).size).toBe(10)
    }))

  it.live("RESOURCE_EXHAUSTED with RetryInfo: the server's delay is honoured", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.RESOURCE_EXHAUSTED, times: 1, retryDelayMs: 700 })
      const started = Date.now()
      const { lines } = yield* runCapturing(tracingOnly(), spans(5))
      const warning = toolkitLines(lines, "WARN")[0]!
      expect(warning.message).toContain("retrying (attempt 1) in 700ms as the server asked")
      expect(warning.annotations["backoff_ms"]).toBe(700)
      expect(receiver.spans()).toHaveLength(5)
      expect(Date.now() - started).toBeGreaterThanOrEqual(700)
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
      const errors = toolkitLines(lines, "ERROR")
      expect(errors).toHaveLength(1)
      expect(errors[0]!.message).toContain("traces export permanent failure: PERMISSION_DENIED (bad key)")
      expect(errors[0]!.message).toContain("not retried")
      expect(toolkitLines(lines, "WARN")).toEqual([])
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
          tracing: { endpoint: receiver.endpoint, insecure: true, retry: fastRetry },
          metrics: { endpoint: receiver.endpoint, insecure: true, retry: fastRetry },
          shutdownTimeout: "1s"
        }
      })
      let closing = 0
      const { lines } = yield* runCapturing(layer, Effect.zipRight(spans(50), Effect.sync(() => (closing = Date.now()))))
      const elapsed = Date.now() - closing
      expect(elapsed).toBeLessThan(1_000 + 400)
      const undelivered = toolkitLines(lines, "WARN").filter((line) => line.message.includes("could not be delivered"))
      expect(undelivered.map((line) => line.annotations["signal"]).sort()).toEqual(["metrics", "traces"])
      expect(undelivered.find((line) => line.annotations["signal"] === "traces")!.message).toContain("50 spans")
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
        config: { tracing: { endpoint: receiver.endpoint, insecure: true }, metrics: { enabled: false } }
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
})
