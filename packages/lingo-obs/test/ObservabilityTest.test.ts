import { describe, expect, it } from "@effect/vitest"
import * as OtelApi from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import { ObservabilityTest } from "../src/index.js"

/** Business code that waits: a retry back-off, a poll interval. */
const slowCharge = Effect.gen(function*() {
  yield* Effect.sleep("20 millis").pipe(Effect.withSpan("charge-attempt"))
  yield* Effect.sleep("1 second")
}).pipe(Effect.withSpan("charge"))

/** One layer value shared by tests, as a test module often has: each test must still start empty. */
const Shared = ObservabilityTest.layer()

describe("ObservabilityTest (Effect 4)", () => {
  it.effect("reads back a parent/child pair whose child slept 20 ms: exactly 20,000 µs under the TestClock", () =>
    Effect.gen(function*() {
      yield* slowCharge
      const spans = yield* ObservabilityTest.spans
      const parent = spans.find((span) => span.name === "charge")
      const child = spans.find((span) => span.name === "charge-attempt")
      expect(child?.parentSpanId).toBe(parent?.spanId)
      expect(child?.traceId).toBe(parent?.traceId)
      expect(child?.durationMicros).toBe(20_000)
      expect(parent?.durationMicros).toBe(1_020_000)
      expect(spans.map((span) => span.name)).toEqual(["charge-attempt", "charge"])
      expect(parent?.resource["service.name"]).toBe("test")
    }).pipe(Effect.provide(ObservabilityTest.layer())), 10_000)

  it.effect("advanceClock: false leaves the TestClock to the test", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(slowCharge)
      yield* TestClock.adjust("20 millis")
      expect((yield* ObservabilityTest.spans).map((span) => span.name)).toEqual(["charge-attempt"])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect((yield* ObservabilityTest.spans).map((span) => span.name)).toEqual(["charge-attempt", "charge"])
    }).pipe(Effect.provide(ObservabilityTest.layer({ advanceClock: false }))), 10_000)

  it.live("under it.live, spans measure real time", () =>
    Effect.gen(function*() {
      yield* Effect.sleep("20 millis").pipe(Effect.withSpan("real-wait"))
      const [span] = yield* ObservabilityTest.spans
      expect(span?.durationMicros).toBeGreaterThanOrEqual(19_000)
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("reset forgets the spans finished so far; each layer build records on its own", () =>
    Effect.gen(function*() {
      yield* Effect.void.pipe(Effect.withSpan("before"))
      expect((yield* ObservabilityTest.spans).map((span) => span.name)).toEqual(["before"])
      yield* ObservabilityTest.reset
      expect(yield* ObservabilityTest.spans).toEqual([])
      yield* Effect.void.pipe(Effect.withSpan("after"))
      expect((yield* ObservabilityTest.spans).map((span) => span.name)).toEqual(["after"])
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("a second test with the same layer starts with no spans", () =>
    Effect.gen(function*() {
      expect(yield* ObservabilityTest.spans).toEqual([])
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("a layer value shared by two tests: the first records a span", () =>
    Effect.gen(function*() {
      yield* Effect.void.pipe(Effect.withSpan("first-test"))
      expect((yield* ObservabilityTest.spans).map((span) => span.name)).toEqual(["first-test"])
    }).pipe(Effect.provide(Shared)))

  it.effect("a layer value shared by two tests: the second does not see the first's span", () =>
    Effect.gen(function*() {
      expect(yield* ObservabilityTest.spans).toEqual([])
    }).pipe(Effect.provide(Shared)))

  it.effect("provided twice in one program, the layer records once per build (Effect 4 shares built layers otherwise)", () =>
    Effect.gen(function*() {
      const inner = Effect.gen(function*() {
        yield* Effect.void.pipe(Effect.withSpan("inner"))
        return yield* ObservabilityTest.spans
      }).pipe(Effect.provide(Shared))
      const seenInside = yield* inner
      expect(seenInside.map((span) => span.name)).toEqual(["inner"])
      expect(yield* ObservabilityTest.spans).toEqual([])
      // The inner layer's end leaves the outer one's OpenTelemetry globals in place.
      yield* Effect.sync(() => OtelApi.trace.getTracer("library").startSpan("library-call").end()).pipe(Effect.withSpan("outer"))
      const outer = yield* ObservabilityTest.spans
      expect(outer.map((span) => span.name)).toEqual(["library-call", "outer"])
      expect(outer[0]?.parentSpanId).toBe(outer[1]?.spanId)
    }).pipe(Effect.provide(Shared)))
})
