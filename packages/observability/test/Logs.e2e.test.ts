/**
 * Trace-correlated logs end to end: a log line written in `Effect.withSpan` carries that span's
 * ids on stdout (JSON) and in the log record the receiver gets, next to the span itself.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Console, Effect } from "effect"
import { Observability, ObservabilityLive } from "../src/index.js"
import { withEnv, runOn } from "./support.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())
beforeEach(() => receiver.reset())

/** What the program writes with `console.log` (loggers write through the fiber's Console). */
const captureStdout = Effect.map(Effect.console, (base) => {
  const lines: Array<string> = []
  const unsafe: Console.UnsafeConsole = { ...base.unsafe, log: (...args) => void lines.push(args.map(String).join(" ")) }
  return { lines, console: { ...base, unsafe } satisfies Console.Console }
})

const jsonLines = (lines: ReadonlyArray<string>) =>
  lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, any>)

const checkout = Effect.gen(function*() {
  yield* Effect.logInfo("reserving stock").pipe(Effect.withSpan("reserve-stock"))
  yield* Effect.logInfo("order placed").pipe(Effect.annotateLogs("order.id", "o-42"))
}).pipe(Effect.withSpan("checkout"))

// `it.live`: `it.effect` runs without Effect's default logger, and the format only replaces that one.
describe("trace-correlated logs", () => {
  it.live("a log line written in a span has that span's ids on stdout and at the receiver; the scope close flushes", () =>
    Effect.gen(function*() {
      const stdout = yield* captureStdout
      const layer = Observability.layer({
        service: { name: "checkout", version: "1.2.3" },
        config: {
          tracing: { endpoint: receiver.endpoint, insecure: true },
          metrics: { enabled: false },
          // Long enough that only the flush on scope close can deliver the records.
          logs: { enabled: true, endpoint: receiver.endpoint, insecure: true, batchTimeout: "60s", format: "json" }
        }
      })
      yield* runOn(layer, checkout).pipe(Effect.withConsole(stdout.console))

      const spans = receiver.spans()
      const root = spans.find((span) => span.name === "checkout")!
      const child = spans.find((span) => span.name === "reserve-stock")!
      const records = receiver.logs()
      const placed = records.find((record) => record.body === "order placed")!
      const reserving = records.find((record) => record.body === "reserving stock")!
      expect(placed).toMatchObject({
        traceId: root.traceId,
        spanId: root.spanId,
        flags: 1,
        severityNumber: 9,
        severityText: "INFO",
        attributes: { "order.id": "o-42" },
        resource: { "service.name": "checkout", "service.version": "1.2.3" }
      })
      expect(reserving).toMatchObject({ traceId: root.traceId, spanId: child.spanId })
      // The toolkit's own lines are exported too, up to the traces pipeline's shutdown line.
      const shutdown = records.find((record) => String(record.body).startsWith("traces pipeline shut down"))
      expect(shutdown?.attributes).toMatchObject({ component: "observability", "service.name": "checkout", signal: "traces" })

      const lines = jsonLines(stdout.lines)
      expect(lines.find((line) => line["message"] === "order placed")).toMatchObject({
        level: "INFO",
        trace_id: root.traceId,
        span_id: root.spanId,
        trace_flags: "01",
        annotations: { "order.id": "o-42" }
      })
      expect(lines.find((line) => line["message"] === "reserving stock")).toMatchObject({ span_id: child.spanId })
      // The toolkit's own lines are written the same way, with its fixed fields.
      const started = lines.find((line) => String(line["message"]).startsWith("observability started"))
      expect(started?.["annotations"]).toMatchObject({ component: "observability", "service.name": "checkout" })
      expect(started?.["message"]).toContain(`logs otlp grpc ${receiver.endpoint} (plaintext)`)
      expect(stdout.lines.every((line) => line.startsWith("{"))).toBe(true)
    }))

  it.live("ObservabilityLive: OTEL_LOGS_EXPORTER=otlp is all it takes to export logs", () =>
    Effect.gen(function*() {
      const stdout = yield* captureStdout
      yield* runOn(ObservabilityLive, checkout).pipe(
        withEnv({
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}`,
          OTEL_LOGS_EXPORTER: "otlp",
          OTEL_METRICS_EXPORTER: "none",
          OTEL_SERVICE_NAME: "from-env",
          OBSERVABILITY_LOG_FORMAT: "logfmt"
        }),
        Effect.withConsole(stdout.console)
      )
      const root = receiver.spans().find((span) => span.name === "checkout")!
      const placed = receiver.logs().find((record) => record.body === "order placed")
      expect(placed).toMatchObject({ traceId: root.traceId, spanId: root.spanId, resource: { "service.name": "from-env" } })
      expect(stdout.lines.find((line) => line.includes("order placed"))).toContain(
        `trace_id=${root.traceId} span_id=${root.spanId} trace_flags=01`
      )
    }))

  it.live("by default nothing changes: no logs exported, the program's own log format", () =>
    Effect.gen(function*() {
      const stdout = yield* captureStdout
      const layer = Observability.layer({
        config: {
          tracing: { endpoint: receiver.endpoint, insecure: true },
          metrics: { endpoint: receiver.endpoint, insecure: true }
        }
      })
      yield* runOn(layer, checkout).pipe(Effect.withConsole(stdout.console))
      expect(receiver.stats()).toMatchObject({ logs: 0 })
      expect(receiver.stats().traces).toBeGreaterThan(0)
      expect(stdout.lines.length).toBeGreaterThan(0)
      expect(stdout.lines.every((line) => line.startsWith("timestamp="))).toBe(true)
      expect(stdout.lines.some((line) => line.includes("trace_id"))).toBe(false)
    }))

  it.live("logs.level drops lines below it, on stdout and at the receiver alike", () =>
    Effect.gen(function*() {
      const stdout = yield* captureStdout
      const layer = Observability.layer({
        config: {
          tracing: { enabled: false },
          metrics: { enabled: false },
          logs: { enabled: true, endpoint: receiver.endpoint, insecure: true, format: "json", level: "warning" }
        }
      })
      yield* runOn(layer, Effect.zipRight(Effect.logInfo("chatter"), Effect.logWarning("careful"))).pipe(
        Effect.withConsole(stdout.console)
      )
      expect(jsonLines(stdout.lines).map((line) => line["message"])).toEqual(["careful"])
      expect(receiver.logs().map((record) => record.body)).toEqual(["careful"])
    }))
})
