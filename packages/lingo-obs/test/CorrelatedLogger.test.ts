import { describe, expect, it } from "@effect/vitest"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"
import { CorrelatedLogger, Logs, ObservabilityTest, TestLogger } from "../src/index.js"

/** A console that keeps what is written, as text lines. */
const captureConsole = Effect.sync(() => {
  const lines: Array<string> = []
  const write = (...args: ReadonlyArray<unknown>) => void lines.push(args.map(String).join(" "))
  const console: Console.Console = {
    ...globalThis.console,
    log: write,
    info: write,
    warn: write,
    error: write,
    debug: write,
    trace: write,
    group: write,
    groupCollapsed: write,
    groupEnd: () => {}
  }
  return { console, lines }
})

const jsonLines = (lines: ReadonlyArray<string>) => lines.map((line) => JSON.parse(line) as Record<string, unknown>)

/** Runs `program` with the correlated logger in `format`, returning what it wrote. */
const written = <A, E>(format: CorrelatedLogger.Format, program: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const capture = yield* captureConsole
    const value = yield* program.pipe(
      Effect.provide(CorrelatedLogger.layer({ format })),
      Effect.provideService(Console.Console, capture.console)
    )
    return { value, lines: capture.lines }
  })

/** Logs `message` inside a span and returns the span's ids. */
const logInSpan = (message: string) =>
  Effect.gen(function*() {
    yield* Effect.logInfo(message)
    const span = yield* Effect.currentSpan
    return { traceId: span.traceId, spanId: span.spanId }
  }).pipe(Effect.withSpan("checkout"))

describe("CorrelatedLogger (Effect 4)", () => {
  it.live("json: a line written in a span carries its trace and span ids; one outside carries none", () =>
    Effect.gen(function*() {
      const { lines, value: span } = yield* written(
        "json",
        Effect.gen(function*() {
          const span = yield* logInSpan("order placed").pipe(Effect.annotateLogs({ "order.id": "o-1" }), Effect.withLogSpan("request"))
          yield* Effect.logWarning("outside")
          return span
        })
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
      expect(inside!["fiber"]).toMatch(/^#\d+$/)
      expect((inside!["spans"] as Record<string, number>)["request"]).toBeGreaterThanOrEqual(0)
      expect(outside).toMatchObject({ level: "WARN", severity: "WARNING", message: "outside" })
      expect(outside).not.toHaveProperty("trace_id")
      expect(outside).not.toHaveProperty("span_id")
    }))

  it.live("Logs.layerConsole: the config's format and minimum level; Cloud Logging severities", () =>
    Effect.gen(function*() {
      const capture = yield* captureConsole
      yield* Effect.gen(function*() {
        yield* Effect.logTrace("below the level")
        yield* Effect.logDebug("d")
        yield* Effect.logError("e")
        yield* Effect.logFatal("f")
      }).pipe(
        Effect.provide(Logs.layerConsole({ format: "json", level: "debug" })),
        Effect.provideService(Console.Console, capture.console)
      )
      expect(jsonLines(capture.lines).map((line) => [line["level"], line["severity"], line["message"]])).toEqual([
        ["DEBUG", "DEBUG", "d"],
        ["ERROR", "ERROR", "e"],
        ["FATAL", "CRITICAL", "f"]
      ])
    }))

  it.live("json: a logged error and a failure cause are readable, not {}", () =>
    Effect.gen(function*() {
      const { lines } = yield* written(
        "json",
        Effect.gen(function*() {
          yield* Effect.logError(new Error("card declined"), "while charging")
          yield* Effect.fail("boom").pipe(Effect.tapCause(Effect.logError), Effect.ignore)
        })
      )
      const [error, failure] = jsonLines(lines)
      expect(error!["message"]).toEqual([{ name: "Error", message: "card declined" }, "while charging"])
      expect(failure!["cause"]).toContain("boom")
    }))

  it.live("logfmt and pretty print the ids as fields", () =>
    Effect.gen(function*() {
      for (const format of ["logfmt", "pretty"] as const) {
        const { lines, value: span } = yield* written(format, logInSpan("hello"))
        const text = lines.join("\n")
        expect(text, format).toContain(span.traceId)
        expect(text, format).toContain(span.spanId)
        expect(text, format).toMatch(/trace_id/)
      }
      const { lines } = yield* written("logfmt", logInSpan("hello"))
      expect(lines[0]).toMatch(/^timestamp=\S+ level=INFO fiber=#\d+ message=hello .*trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16} trace_flags=01$/)
    }))

  it.live("a remote parent (as a middleware extracts it) gives the caller's ids; unsampled says 00", () =>
    Effect.gen(function*() {
      const parent = Tracer.externalSpan({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: false })
      const { lines } = yield* written("json", Effect.logInfo("quiet").pipe(Effect.withParentSpan(parent)))
      expect(jsonLines(lines)[0]).toMatchObject({
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
        span_id: "00f067aa0ba902b7",
        trace_flags: "00"
      })
    }))

  it.live("replaces only Effect's default logger: tracerLogger stays (log lines still become span events)", () =>
    Effect.gen(function*() {
      const { lines } = yield* written("json", Effect.logInfo("as an event").pipe(Effect.withSpan("step")))
      expect(jsonLines(lines).map((line) => line["message"])).toEqual(["as an event"])
      const [step] = yield* ObservabilityTest.spans
      expect(step?.events.map((event) => event.name)).toEqual(["as an event"])
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.live("leaves a logger the program installed itself alone: nothing is written twice", () =>
    Effect.gen(function*() {
      const own = TestLogger.make()
      const { lines } = yield* written("json", Effect.logInfo("once")).pipe(Effect.provide(own.layer))
      expect(lines).toEqual([])
      expect(own.lines).toEqual([{ level: "INFO", message: "once", annotations: {} }])
    }))

  it.live("the layer is scoped: Effect's default logger is back afterwards", () =>
    Effect.gen(function*() {
      const capture = yield* captureConsole
      yield* Effect.logInfo("json").pipe(Effect.provide(CorrelatedLogger.layer()), Effect.provideService(Console.Console, capture.console))
      yield* Effect.logInfo("default").pipe(Effect.provideService(Console.Console, capture.console))
      expect(capture.lines[0]).toMatch(/^\{/)
      // Effect 4's default logger writes `[hh:mm:ss.sss] INFO (#n): message`.
      expect(capture.lines[1]).toMatch(/^\[[\d:.]+\] INFO \(#\d+\): default$/)
    }))

  it.live("TestLogger keeps the Effect 3 line's level spelling", () =>
    Effect.gen(function*() {
      const capture = TestLogger.make()
      yield* Effect.gen(function*() {
        yield* Effect.logWarning("careful").pipe(Effect.annotateLogs({ endpoint: "otel:4317" }))
        yield* Effect.logError("broken")
      }).pipe(Effect.provide(capture.layer))
      expect(capture.lines).toEqual([
        { level: "WARN", message: "careful", annotations: { endpoint: "otel:4317" } },
        { level: "ERROR", message: "broken", annotations: {} }
      ])
    }))
})
