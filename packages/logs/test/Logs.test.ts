/**
 * The logs signal over real OTLP/gRPC: Effect log calls arrive at a receiver on 127.0.0.1 as
 * log records with severity, body, attributes and the ids of the span they were written in.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Config, Required, TestLogger } from "@lingo-obs/core"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { Cause, Duration, Effect, Exit, Layer } from "effect"
import { Logs } from "../src/index.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())
beforeEach(() => receiver.reset())

const resource = resourceFromAttributes({ "service.name": "logs-test", "service.version": "1.0.0" })

const logsTo = (config: Partial<Config.LogsConfig> = {}) =>
  Logs.layer({
    config: { ...Config.defaults.logs, enabled: true, endpoint: receiver.endpoint, insecure: true, ...config },
    resource
  })

/** Runs `program` on `layer` and closes the layer's scope, which flushes the pipeline. */
const runOn = <A, E, E2>(layer: Layer.Layer<never, E2>, program: Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(Layer.build(layer), (context) => Effect.provide(program, context)))

describe("Logs over OTLP/gRPC", () => {
  it.live("a record carries severity, body, annotations and the ids of its span; closing the scope flushes", () =>
    Effect.gen(function*() {
      const span = yield* runOn(
        // Long enough that only the flush on scope close can deliver the records.
        logsTo({ batchTimeout: Duration.seconds(60) }),
        Effect.gen(function*() {
          yield* Effect.logWarning("card declined").pipe(Effect.annotateLogs({ "order.id": "o-1", attempt: 2 }))
          return yield* Effect.currentSpan
        }).pipe(Effect.withSpan("charge-card"), Effect.zipLeft(Effect.logDebug("not at the default level")))
      )
      // No waiting: closing the scope already delivered everything.
      const records = receiver.logs()
      expect(records).toHaveLength(1)
      expect(records[0]).toMatchObject({
        severityNumber: 13,
        severityText: "WARN",
        body: "card declined",
        traceId: span.traceId,
        spanId: span.spanId,
        flags: 1,
        attributes: { "order.id": "o-1", attempt: 2 },
        resource: { "service.name": "logs-test" },
        scope: { name: "@lingo-obs/logs", version: "1.0.0" }
      })
      expect(records[0]!.timeUnixNano).toBeGreaterThan(0n)
    }))

  it.live("a record outside any span has no trace context; a failure cause is in exception.*", () =>
    Effect.gen(function*() {
      yield* runOn(
        logsTo({ batchTimeout: Duration.millis(10) }),
        Effect.fail(new TypeError("no such order")).pipe(
          Effect.tapErrorCause((cause) => Effect.logError("lookup failed", cause)),
          Effect.ignore
        )
      )
      const [record] = yield* Effect.promise(() => receiver.waitForLogs(1))
      expect(record).toMatchObject({ severityNumber: 17, body: "lookup failed", traceId: undefined, spanId: undefined })
      expect(record!.attributes).toMatchObject({ "exception.type": "TypeError", "exception.message": "no such order" })
      expect(String(record!.attributes["exception.stacktrace"])).toContain("no such order")
    }))

  it.live("the trace context is the log call's own, even across concurrent fibers", () =>
    Effect.gen(function*() {
      const spans = yield* runOn(
        logsTo({ batchTimeout: Duration.millis(10) }),
        Effect.forEach(
          ["a", "b", "c", "d"],
          (name) =>
            Effect.gen(function*() {
              yield* Effect.sleep("5 millis")
              yield* Effect.logInfo(name)
              return [name, (yield* Effect.currentSpan).spanId] as const
            }).pipe(Effect.withSpan(name)),
          { concurrency: "unbounded" }
        )
      )
      const records = receiver.logs()
      expect(records.map((record) => [record.body, record.spanId]).sort()).toEqual([...spans].sort())
    }))

  it.live("off unless enabled: nothing is exported and nothing is logged about it", () =>
    Effect.gen(function*() {
      const capture = TestLogger.make()
      yield* runOn(
        Logs.layer({ config: { ...Config.defaults.logs, endpoint: receiver.endpoint, insecure: true }, resource }),
        Effect.logInfo("hello")
      ).pipe(Effect.provide(capture.layer))
      expect(receiver.stats().logs).toBe(0)
      expect(capture.lines.map((line) => line.message)).toEqual(["hello"])
    }))

  it.live("required: true fails startup naming the logs signal; required: false warns once and runs", () =>
    Effect.gen(function*() {
      const broken = { endpoint: "otel.example.com:4317", insecure: false, certificate: "/nonexistent/ca.pem" }
      const exit = yield* Effect.exit(runOn(logsTo({ ...broken, required: true }), Effect.void))
      const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
      expect(failure?._tag === "Some" ? failure.value : undefined).toMatchObject({
        _tag: "PipelineStartError",
        signal: "logs",
        endpoint: "otel.example.com:4317"
      })
      expect(failure?._tag === "Some" && failure.value instanceof Required.PipelineStartError).toBe(true)

      const capture = TestLogger.make()
      const result = yield* runOn(logsTo({ ...broken, required: false }), Effect.succeed("ran")).pipe(
        Effect.provide(capture.layer)
      )
      expect(result).toBe("ran")
      const warnings = capture.lines.filter((line) => line.level === "WARN")
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.message).toContain("Cannot start the logs pipeline (endpoint otel.example.com:4317)")
    }))

  it.live("with the collector down, closing the scope gives up after the shutdown timeout", () =>
    Effect.gen(function*() {
      const dead = yield* Effect.promise(() => OtlpReceiver.start())
      yield* Effect.promise(() => dead.stop())
      const capture = TestLogger.make()
      const started = Date.now()
      yield* runOn(
        Logs.layer({
          config: {
            ...Config.defaults.logs,
            enabled: true,
            endpoint: dead.endpoint,
            insecure: true,
            startupProbeTimeout: Duration.millis(100)
          },
          resource,
          shutdownTimeout: Duration.millis(300)
        }),
        Effect.logInfo("nobody hears this")
      ).pipe(Effect.provide(capture.layer))
      expect(Date.now() - started).toBeLessThan(3_000)
      const warnings = capture.lines.filter((line) => line.level === "WARN").map((line) => line.message)
      expect(warnings.some((message) => message.startsWith("logs shutdown: 1 log records not delivered, 0 delivered"))).toBe(true)
    }))

  it.live("exporter stdout: one JSON object per record, with the span's ids", () =>
    Effect.gen(function*() {
      const written: Array<string> = []
      const write = process.stdout.write
      process.stdout.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stdout.write
      const span = yield* runOn(
        logsTo({ exporter: "stdout", batchTimeout: Duration.seconds(60) }),
        Effect.zipRight(Effect.logInfo("to stdout"), Effect.currentSpan).pipe(Effect.withSpan("print"))
      ).pipe(Effect.ensuring(Effect.sync(() => (process.stdout.write = write))))
      const lines = written.join("").split("\n").filter((line) => line.includes("to stdout"))
      expect(lines).toHaveLength(1)
      expect(JSON.parse(lines[0]!)).toMatchObject({
        severityText: "INFO",
        body: "to stdout",
        traceId: span.traceId,
        spanId: span.spanId,
        traceFlags: "01",
        resource: { "service.name": "logs-test" }
      })
      expect(receiver.stats().logs).toBe(0)
    }))
})
