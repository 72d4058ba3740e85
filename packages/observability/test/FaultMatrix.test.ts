/**
 * The fault matrix, per transport: what the collector ends up with, and what an operator reads,
 * when connections reset under concurrent exports, the collector rejects part of a request,
 * paces the exporter with RetryInfo, or is sent records larger than a message may be.
 */
import * as Grpc from "@grpc/grpc-js"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect } from "effect"
import type { Config } from "../src/index.js"
import { Observability, SelfMetrics } from "../src/index.js"
import { fastRetry, runCapturing, toolkitLines } from "./support.js"
import { TRANSPORTS } from "./transports.js"

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

describe.each(TRANSPORTS)("fault matrix over $name", ({ connection }) => {
  const tracingOnly = (tracing: Config.ObservabilityConfigInput["tracing"] = {}, extra: Config.ObservabilityConfigInput = {}) =>
    Observability.layer({
      service: { name: "fault-matrix" },
      config: {
        tracing: { ...connection(receiver), batchTimeout: "20ms", retry: fastRetry, ...tracing },
        metrics: { enabled: false },
        ...extra
      }
    })

  it.live("a connection reset with 4 exports in flight: all 20,000 spans arrive, none twice", () =>
    Effect.gen(function*() {
      // The first 4 calls are held, then their connection is dropped under them.
      receiver.setFault({ signal: "traces", reset: true, delayMs: 200, times: 4 })
      const dropped = () =>
        ["unexpected_failure", "permanent_failure", "retry_exhausted"].reduce(
          (sum, reason) => sum + SelfMetrics.value("lingo_obs.queue.dropped", { signal: "traces", reason }),
          0
        )
      const droppedBefore = dropped()
      yield* runCapturing(
        tracingOnly({ maxConcurrentExports: 4 }),
        Effect.gen(function*() {
          yield* spans(20_000, "burst")
          yield* promise(() => receiver.waitFor(() => receiver.counts().spans >= 20_000, { timeoutMs: 20_000 }))
        })
      )
      expect(receiver.stats().failed).toBeGreaterThanOrEqual(4)
      expect(receiver.counts().spans).toBe(20_000)
      expect(new Set(receiver.spans().map((span) => span.spanId)).size).toBe(20_000)
      expect(dropped() - droppedBefore).toBe(0)
    }), 40_000)

  it.live("partial success: rejected spans logged once, counted as rejected, not exported", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", rejected: 7, message: "spans too old" })
      const metric = (outcome: string) => SelfMetrics.value("lingo_obs.exporter.items", { signal: "traces", outcome })
      const [exportedBefore, rejectedBefore] = [metric("exported"), metric("rejected")]
      const { lines } = yield* runCapturing(
        tracingOnly({ maxExportBatchSize: 10 }),
        Effect.gen(function*() {
          yield* spans(40)
          yield* promise(() => receiver.waitForSpans(40))
        })
      )
      // 4 batches of 10, each answered "7 rejected": 28 rejected, 12 exported.
      expect(metric("rejected") - rejectedBefore).toBe(28)
      expect(metric("exported") - exportedBefore).toBe(12)
      const warnings = toolkitLines(lines, "WARN").filter((line) => line.message.includes("rejected"))
      // The first rejection is logged at once; the rest within the minute are summed into the shutdown line.
      expect(warnings.length).toBeGreaterThanOrEqual(1)
      expect(warnings.length).toBeLessThanOrEqual(2)
      expect(warnings[0]!.message).toMatch(/traces export: the collector accepted the data but rejected \d+ spans \(spans too old\)/)
      expect(warnings.reduce((sum, line) => sum + Number(line.annotations["rejected"]), 0)).toBe(28)
    }))

  it.live("2,048 spans with a 10 KB attribute each: batches are split below 4 MiB, every span arrives", () =>
    Effect.gen(function*() {
      const blob = "x".repeat(10_000)
      yield* runCapturing(
        tracingOnly(),
        Effect.gen(function*() {
          yield* Effect.forEach(
            Array.from({ length: 2_048 }, (_, i) => i),
            (i) => Effect.void.pipe(Effect.withSpan(`wide-${i}`, { attributes: { blob } })),
            { discard: true }
          )
          yield* promise(() => receiver.waitFor(() => receiver.counts().spans >= 2_048, { timeoutMs: 20_000 }))
        })
      )
      expect(new Set(receiver.spans().map((span) => span.name)).size).toBe(2_048)
      expect(receiver.stats().failed).toBe(0)
    }), 40_000)

  it.live("one span with a 5 MB attribute is dropped alone, logged once; its batch-mates and later spans arrive at once", () =>
    Effect.gen(function*() {
      const tooLarge = () => SelfMetrics.value("lingo_obs.queue.dropped", { signal: "traces", reason: "too_large" })
      const before = tooLarge()
      let lateArrival = Number.POSITIVE_INFINITY
      const { lines } = yield* runCapturing(
        // Value lengths unlimited (the default cuts at 8,192 characters): the span must be too large.
        tracingOnly({ batchTimeout: "200ms" }, { limits: { attributeValueLengthLimit: 100_000_000 } }),
        Effect.gen(function*() {
          yield* Effect.void.pipe(Effect.withSpan("huge", { attributes: { blob: "y".repeat(5_000_000) } }))
          yield* spans(100, "mate")
          yield* promise(() => receiver.waitForSpans(100))
          const made = Date.now()
          yield* Effect.void.pipe(Effect.withSpan("after"))
          yield* promise(() => receiver.waitForSpan("after"))
          lateArrival = Date.now() - made
        })
      )
      expect(receiver.spans().map((span) => span.name)).not.toContain("huge")
      expect(receiver.spans()).toHaveLength(101)
      expect(receiver.stats().failed).toBe(0)
      expect(tooLarge() - before).toBe(1)
      // One batch delay (200ms) and generous slack for a loaded machine.
      expect(lateArrival).toBeLessThan(200 + 1_000)
      const errors = toolkitLines(lines, "ERROR")
      expect(errors.map((line) => line.message)).toEqual([
        expect.stringMatching(/traces export: dropped 1 spans too large for one request \("huge": 4\.8 MiB encoded; maxMessageSize 4\.0 MiB\); not retried/)
      ])
    }), 40_000)

  it.live("RetryInfo of 0: retried no faster than initialBackoff, one warning", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.RESOURCE_EXHAUSTED, retryDelayMs: 0, times: 5 })
      const started = Date.now()
      const { lines } = yield* runCapturing(
        tracingOnly(),
        Effect.gen(function*() {
          yield* spans(5)
          yield* promise(() => receiver.waitForSpans(5))
        })
      )
      // 5 refusals, each followed by at least the 100ms initial back-off.
      expect(Date.now() - started).toBeGreaterThanOrEqual(500)
      expect(receiver.stats().traces).toBe(6)
      expect(toolkitLines(lines, "WARN")).toHaveLength(1)
    }))

  it.live("RetryInfo of 10 minutes: capped at maxBackoff, the spans arrive within it", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", code: Grpc.status.RESOURCE_EXHAUSTED, retryDelayMs: 600_000, times: 1 })
      let took = 0
      const { lines } = yield* runCapturing(
        tracingOnly(),
        Effect.gen(function*() {
          const started = Date.now()
          yield* spans(5)
          yield* promise(() => receiver.waitForSpans(5))
          took = Date.now() - started
        })
      )
      // maxBackoff is 400ms; the batch delay and a loaded machine account for the rest.
      expect(took).toBeLessThan(2_500)
      // Capped, and said so: not "as the server asked".
      expect(toolkitLines(lines, "WARN")[0]!.message).toContain("retrying in 400ms (the server asked for 10m 0s; capped at retry.maxBackoff)")
    }))
})
