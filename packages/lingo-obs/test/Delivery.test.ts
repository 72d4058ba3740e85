/**
 * The Effect 4 line's share of the delivery matrix (the Effect 3 line's is
 * packages/observability/test/Delivery.test.ts): per transport, against the real receiver, a
 * collector down at start and up before shutdown (every signal delivers) and a "retry later"
 * answered at shutdown. In each case the items produced are the items received plus the items the
 * toolkit's lines say were dropped.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import { Observability } from "../src/index.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start({ host: "127.0.0.1" })
})
afterAll(() => receiver.stop())
beforeEach(async () => {
  if (!receiver.listening) await receiver.restart()
  receiver.reset()
})

/** The program's log lines (logfmt), the toolkit's among them. */
const capture = () => {
  const lines: Array<string> = []
  return { lines, layer: Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))]) }
}

/**
 * Items the toolkit's lines say were dropped: drop lines' and shutdown lines' counts (the outage's
 * reminder and recovery lines repeat counts, so they are left out).
 */
const droppedSaid = (lines: ReadonlyArray<string>) =>
  lines
    .filter((line) => line.includes("component=observability") && !/still failing after|recovered after/.test(line))
    .reduce((sum, line) => sum + [...line.matchAll(/\b(?:dropped|undelivered)=(\d+)/g)].reduce((n, match) => n + Number(match[1]), 0), 0)

const undeliveredWarnings = (lines: ReadonlyArray<string>) =>
  lines.filter((line) => line.includes("level=WARN") && line.includes("not delivered"))

for (const protocol of ["grpc", "http/protobuf"] as const) {
  describe(`delivery over ${protocol} (Effect 4)`, () => {
    const endpoint = () => (protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint)

    it.live("collector down at start, up before shutdown: every signal delivers (final metrics collection included)", () => {
      const logs = capture()
      const counter = Metric.counter("delivery_orders_total", { incremental: true })
      const program = Effect.gen(function*() {
        for (let i = 0; i < 20; i++) {
          yield* Metric.update(counter, 1)
          yield* Effect.logInfo(`order-${i}`).pipe(Effect.withSpan(`order-${i}`))
        }
        // Every signal has met the closed port (the start-up probe at least) before it opens.
        yield* Effect.sleep("500 millis")
        yield* Effect.promise(() => receiver.restart())
        yield* Effect.promise(() => receiver.waitForSpans(20, 15_000))
      })
      return Effect.gen(function*() {
        yield* Effect.promise(() => receiver.stop())
        const observability = Observability.layer({
          service: { name: "outage" },
          config: {
            tracing: { protocol, endpoint: endpoint(), batchTimeout: "50ms", startupProbeTimeout: "200ms" },
            // A long interval: only the final collection at shutdown exports.
            metrics: { protocol, endpoint: endpoint(), interval: "1h", startupProbeTimeout: "200ms" },
            logs: { enabled: true, protocol, endpoint: endpoint(), batchTimeout: "50ms", startupProbeTimeout: "200ms" },
            shutdownTimeout: "5s"
          },
          variables: {}
        })
        yield* program.pipe(
          Effect.provide(Layer.provideMerge(observability, logs.layer)),
          Effect.provideService(Metric.MetricRegistry, new Map())
        )
        const produced = 20
        expect(new Set(receiver.spans().map((span) => span.name)).size, logs.lines.join("\n")).toBe(produced)
        const points = receiver.metrics().filter((metric) => metric.name === "delivery_orders_total")
        expect(points.at(-1)?.dataPoints[0]?.value).toBe(produced)
        const records = receiver.logs().map((record) => String(record.body))
        for (let i = 0; i < produced; i++) expect(records).toContain(`order-${i}`)
        expect(droppedSaid(logs.lines), logs.lines.join("\n")).toBe(0)
        expect(undeliveredWarnings(logs.lines)).toEqual([])
        for (const signal of ["traces", "metrics", "logs"]) {
          expect(logs.lines.some((line) => line.includes(`${signal} pipeline shut down`)), `${signal} shut down`).toBe(true)
        }
      })
    }, 40_000)

    it.live("503/429 with a retry delay for the first two calls at shutdown: every span and metric point delivered", () => {
      const logs = capture()
      const counter = Metric.counter("retry_at_exit_total", { incremental: true })
      return Effect.gen(function*() {
        // No batch is sent before shutdown: the exit itself meets the two refusals.
        receiver.setFault({ code: 14 /* UNAVAILABLE */, httpStatus: 503, retryDelayMs: 1_000, times: 2 })
        const observability = Observability.layer({
          service: { name: "retry-at-exit" },
          config: {
            tracing: { protocol, endpoint: endpoint(), batchTimeout: "60s" },
            metrics: { protocol, endpoint: endpoint(), interval: "1h" },
            shutdownTimeout: "5s"
          },
          variables: {}
        })
        const produced = 7
        yield* Effect.gen(function*() {
          for (let i = 0; i < produced; i++) yield* Effect.void.pipe(Effect.withSpan(`work-${i}`))
          yield* Metric.update(counter, 1)
        }).pipe(
          Effect.provide(Layer.provideMerge(observability, logs.layer)),
          Effect.provideService(Metric.MetricRegistry, new Map())
        )
        expect(receiver.spans(), logs.lines.join("\n")).toHaveLength(produced)
        expect(receiver.metrics().find((metric) => metric.name === "retry_at_exit_total")?.dataPoints[0]?.value).toBe(1)
        expect(receiver.stats().failed).toBe(2)
        expect(droppedSaid(logs.lines), logs.lines.join("\n")).toBe(0)
        expect(undeliveredWarnings(logs.lines)).toEqual([])
      })
    }, 30_000)

    it.live("a retry delay longer than what is left at shutdown: no wait past the timeout, every lost span said", () => {
      const logs = capture()
      return Effect.gen(function*() {
        receiver.setFault({ code: 14 /* UNAVAILABLE */, httpStatus: 429, retryDelayMs: 60_000 })
        const observability = Observability.layer({
          service: { name: "lost-at-exit" },
          config: { tracing: { protocol, endpoint: endpoint(), batchTimeout: "60s" }, metrics: { enabled: false }, shutdownTimeout: "1s" },
          variables: {}
        })
        const produced = 9
        const started = Date.now()
        yield* Effect.forEach(Array.from({ length: produced }, (_, i) => i), (i) => Effect.void.pipe(Effect.withSpan(`lost-${i}`)), { discard: true }).pipe(
          Effect.provide(Layer.provideMerge(observability, logs.layer))
        )
        // Generous for a loaded machine: the 60 s the server asked for is never waited.
        expect(Date.now() - started).toBeLessThan(10_000)
        expect(receiver.spans().length + droppedSaid(logs.lines), logs.lines.join("\n")).toBe(produced)
        expect(undeliveredWarnings(logs.lines).length).toBeGreaterThan(0)
      })
    }, 30_000)
  })
}
