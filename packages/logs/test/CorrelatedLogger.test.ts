import { describe, expect, it } from "@effect/vitest"
import { TestLogger } from "@lingo-obs/core"
import { Effect, Tracer } from "effect"
import { CorrelatedLogger } from "../src/index.js"
import { captureConsole, jsonLines } from "./support.js"

/** Runs `program` with the correlated logger in `format`, returning what it wrote. */
const written = <A, E>(format: CorrelatedLogger.Format, program: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const capture = yield* captureConsole
    const value = yield* program.pipe(Effect.provide(CorrelatedLogger.layer({ format })), Effect.withConsole(capture.console))
    return { value, lines: capture.lines }
  })

/** Logs `message` inside a span and returns the span's ids. */
const logInSpan = (message: string) =>
  Effect.gen(function*() {
    yield* Effect.logInfo(message)
    const span = yield* Effect.currentSpan
    return { traceId: span.traceId, spanId: span.spanId }
  }).pipe(Effect.withSpan("checkout"))

// `it.live`: `it.effect` runs without Effect's default logger, and the layer only ever replaces that one.
describe("CorrelatedLogger", () => {
  it.live("json: a line written in a span carries its trace and span ids; one outside carries none", () =>
    Effect.gen(function*() {
      const { lines, value: span } = yield* written(
        "json",
        Effect.zipLeft(
          logInSpan("order placed").pipe(Effect.annotateLogs({ "order.id": "o-1" }), Effect.withLogSpan("request")),
          Effect.logWarning("outside")
        )
      )
      const [inside, outside] = jsonLines(lines)
      expect(inside).toMatchObject({
        level: "INFO",
        severity: "INFO",
        message: "order placed",
        trace_id: span.traceId,
        span_id: span.spanId,
        trace_flags: "01",
        annotations: { "order.id": "o-1" }
      })
      expect(inside!["timestamp"]).toMatch(/^\d{4}-\d\d-\d\dT/)
      expect((inside!["spans"] as Record<string, number>)["request"]).toBeGreaterThanOrEqual(0)
      expect(outside).toMatchObject({ level: "WARN", severity: "WARNING", message: "outside" })
      expect(outside).not.toHaveProperty("trace_id")
      expect(outside).not.toHaveProperty("span_id")
    }))

  it.live("json: a logged error and a failure cause are readable, not {}", () =>
    Effect.gen(function*() {
      const { lines } = yield* written(
        "json",
        Effect.logError(new Error("card declined"), "while charging").pipe(
          Effect.zipRight(Effect.logError("failed").pipe(Effect.annotateLogs("k", "v"))),
          Effect.zipRight(Effect.fail("boom").pipe(Effect.tapErrorCause(Effect.logError), Effect.ignore))
        )
      )
      const [error, , failure] = jsonLines(lines)
      expect(error!["message"]).toEqual([{ name: "Error", message: "card declined" }, "while charging"])
      expect(failure!["cause"]).toContain("boom")
    }))

  it.live("logfmt and pretty print the ids as fields", () =>
    Effect.gen(function*() {
      for (const format of ["logfmt", "pretty"] as const) {
        const { lines, value: span } = yield* written(format, logInSpan("hello"))
        const text = lines.join("\n")
        expect(text).toContain(span.traceId)
        expect(text).toContain(span.spanId)
        expect(text).toMatch(/trace_id/)
      }
      const { lines } = yield* written("logfmt", logInSpan("hello"))
      expect(lines[0]).toMatch(/^timestamp=\S+ level=INFO fiber=#\d+ message=hello .*trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16} trace_flags=01/)
    }))

  it.live("a remote parent (as a middleware extracts it) gives the caller's ids; unsampled says 00", () =>
    Effect.gen(function*() {
      const parent = Tracer.externalSpan({
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        spanId: "00f067aa0ba902b7",
        sampled: false
      })
      const { lines } = yield* written("json", Effect.logInfo("quiet").pipe(Effect.withParentSpan(parent)))
      expect(jsonLines(lines)[0]).toMatchObject({
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
        span_id: "00f067aa0ba902b7",
        trace_flags: "00"
      })
    }))

  it.live("leaves a logger the program installed itself alone: nothing is written twice", () =>
    Effect.gen(function*() {
      const own = TestLogger.make()
      const { lines } = yield* written("json", Effect.logInfo("once")).pipe(Effect.provide(own.layer))
      expect(lines).toEqual([])
      expect(own.lines.map((line) => line.message)).toEqual(["once"])
    }))

  it.live("the layer is scoped: Effect's default logger is back afterwards", () =>
    Effect.gen(function*() {
      const capture = yield* captureConsole
      yield* Effect.logInfo("json").pipe(Effect.provide(CorrelatedLogger.layer()), Effect.withConsole(capture.console))
      yield* Effect.logInfo("default").pipe(Effect.withConsole(capture.console))
      expect(capture.lines[0]).toMatch(/^\{/)
      expect(capture.lines[1]).toMatch(/^timestamp=/)
    }))
})
