/**
 * The Effect 4 tracer as a user observes it: the spans a span processor receives (through
 * `ObservabilityTest`), OpenTelemetry-API interop both ways, sampling, `Tracer` levels, status,
 * limits, and the records the engine's encoder would write.
 */
import { describe, expect, it } from "@effect/vitest"
import * as OtelApi from "@opentelemetry/api"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { AlwaysOnSampler } from "@opentelemetry/sdk-trace-base"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Tracer from "effect/Tracer"
import { ObservabilityTest } from "../src/index.js"
import { FiberContextManager } from "@lingo-obs/otlp/ContextManager"
import type { SpanRecord } from "@lingo-obs/otlp/SpanEncoder"
import * as EffectTracer from "../src/tracing/internal/effectTracer.js"
import { defaultLimits } from "../src/tracing/Tracing.js"

/**
 * A library's tracer, asked for when used: a tracer kept from an earlier test would stay bound to
 * that test's (shut down) provider, which is the OpenTelemetry API's proxy behaviour, not the tracer's.
 */
const library = () => OtelApi.trace.getTracer("some-library")
const byName = (spans: ReadonlyArray<ObservabilityTest.FinishedSpan>, name: string) => {
  const span = spans.find((candidate) => candidate.name === name)
  if (span === undefined) throw new Error(`no span ${name} among ${spans.map((s) => s.name).join(", ")}`)
  return span
}

describe("OpenTelemetry API interop (Effect 4)", () => {
  it.effect("a library span started with trace.getTracer inside Effect.withSpan is its child", () =>
    Effect.gen(function*() {
      yield* Effect.sync(() => library().startSpan("library-call").end()).pipe(Effect.withSpan("business"))
      const spans = yield* ObservabilityTest.spans
      expect(byName(spans, "library-call").traceId).toBe(byName(spans, "business").traceId)
      expect(byName(spans, "library-call").parentSpanId).toBe(byName(spans, "business").spanId)
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.live("a span started in a callback the business code scheduled is its child; a fiber without a span leaves it", () =>
    Effect.gen(function*() {
      yield* Effect.promise(() =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            library().startSpan("in-timer").end()
            resolve()
          }, 1)
        )
      ).pipe(Effect.withSpan("business"))
      yield* Effect.sync(() => library().startSpan("outside").end())
      const spans = yield* ObservabilityTest.spans
      expect(byName(spans, "in-timer").parentSpanId).toBe(byName(spans, "business").spanId)
      expect(byName(spans, "outside").parentSpanId).toBeUndefined()
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("the active OpenTelemetry span follows the fiber across a sleep and between two forked fibers", () =>
    Effect.gen(function*() {
      const activeSpanId = Effect.sync(() => OtelApi.trace.getSpan(OtelApi.context.active())?.spanContext().spanId)
      const observe = (name: string) =>
        Effect.gen(function*() {
          const before = yield* activeSpanId
          yield* Effect.sleep("5 millis")
          const after = yield* activeSpanId
          const own = (yield* Effect.currentSpan).spanId
          return { before, after, own }
        }).pipe(Effect.withSpan(name))
      const a = yield* Effect.forkChild(observe("a"))
      const b = yield* Effect.forkChild(observe("b"))
      const [seenA, seenB] = [yield* Fiber.join(a), yield* Fiber.join(b)]
      for (const seen of [seenA, seenB]) {
        expect(seen.before).toBe(seen.own)
        expect(seen.after).toBe(seen.own)
      }
      expect(seenA.own).not.toBe(seenB.own)
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("an Effect root span run inside an active OpenTelemetry span is its child", () =>
    Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      const outer = OtelApi.trace.getTracer("http-instrumentation").startSpan("incoming")
      OtelApi.context.with(
        OtelApi.trace.setSpan(OtelApi.context.active(), outer),
        () => Effect.runSyncWith(context)(Effect.void.pipe(Effect.withSpan("handler")))
      )
      outer.end()
      const spans = yield* ObservabilityTest.spans
      expect(byName(spans, "handler").parentSpanId).toBe(outer.spanContext().spanId)
      expect(byName(spans, "handler").traceId).toBe(outer.spanContext().traceId)
      expect(spans.map((span) => span.name)).toEqual(["handler", "incoming"])
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("Effect.withSpan(name, { root: true }) ignores the active OpenTelemetry span", () =>
    Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      const outer = library().startSpan("incoming")
      OtelApi.context.with(
        OtelApi.trace.setSpan(OtelApi.context.active(), outer),
        () => Effect.runSyncWith(context)(Effect.void.pipe(Effect.withSpan("detached", { root: true })))
      )
      outer.end()
      const detached = byName(yield* ObservabilityTest.spans, "detached")
      expect(detached.parentSpanId).toBeUndefined()
      expect(detached.traceId).not.toBe(outer.spanContext().traceId)
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("under DisablePropagation no span is recorded and a library span gets no Effect parent", () =>
    Effect.gen(function*() {
      yield* Effect.sync(() => library().startSpan("library-call").end()).pipe(
        Effect.withSpan("hidden", { annotations: Context.make(Tracer.DisablePropagation, true) })
      )
      const spans = yield* ObservabilityTest.spans
      expect(spans.map((span) => span.name)).toEqual(["library-call"])
      expect(byName(spans, "library-call").parentSpanId).toBeUndefined()
    }).pipe(Effect.provide(ObservabilityTest.layer())))
})

describe("sampling (Effect 4)", () => {
  it.effect("always_off records no Effect span and no library span under one", () =>
    Effect.gen(function*() {
      yield* Effect.sync(() => library().startSpan("library-call").end()).pipe(
        Effect.withSpan("child"),
        Effect.withSpan("root")
      )
      expect(yield* ObservabilityTest.spans).toEqual([])
    }).pipe(Effect.provide(ObservabilityTest.layer({ sampler: "parentbased_always_off" }))))

  it.effect("a ratio of 0 drops whole traces; parent-based children follow their sampled parent", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 20; i++) yield* Effect.void.pipe(Effect.withSpan("child"), Effect.withSpan("root"))
      expect(yield* ObservabilityTest.spans).toEqual([])
      // A parent sampled elsewhere (an extracted context) makes its children sampled.
      const remote = Tracer.externalSpan({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", sampled: true })
      yield* Effect.void.pipe(Effect.withSpan("follows-remote", { parent: remote }))
      const [span] = yield* ObservabilityTest.spans
      expect(span?.name).toBe("follows-remote")
      expect(span?.traceId).toBe(remote.traceId)
      expect(span?.parentSpanId).toBe(remote.spanId)
    }).pipe(Effect.provide(ObservabilityTest.layer({ sampler: "parentbased_traceidratio", samplingRatio: 0 }))))

  it.effect("a ratio between 0 and 1 keeps whole traces, some of them", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 400; i++) yield* Effect.void.pipe(Effect.withSpan("child"), Effect.withSpan("root"))
      const spans = yield* ObservabilityTest.spans
      const roots = spans.filter((span) => span.name === "root")
      const children = spans.filter((span) => span.name === "child")
      // 400 traces at 0.5: the chance of fewer than 100 or more than 300 is below 1e-20.
      expect(roots.length).toBeGreaterThan(100)
      expect(roots.length).toBeLessThan(300)
      expect(new Set(children.map((span) => span.parentSpanId))).toEqual(new Set(roots.map((span) => span.spanId)))
    }).pipe(Effect.provide(ObservabilityTest.layer({ sampler: "parentbased_traceidratio", samplingRatio: 0.5 }))))

  it.effect("Tracer.MinimumTraceLevel: spans below it are not recorded, nor their children", () =>
    Effect.gen(function*() {
      yield* Effect.void.pipe(
        Effect.withSpan("debug-child"),
        Effect.withSpan("debug-span", { level: "Debug" }),
        Effect.withSpan("info-span", { level: "Info" })
      )
      const spans = yield* ObservabilityTest.spans
      expect(spans.map((span) => span.name)).toEqual(["info-span"])
    }).pipe(
      Effect.provide(ObservabilityTest.layer()),
      Effect.provideService(Tracer.MinimumTraceLevel, "Info")
    ))
})

describe("span content (Effect 4)", () => {
  it.effect("a failure is an error status with its message and an exception event", () =>
    Effect.gen(function*() {
      yield* Effect.fail(new Error("card declined")).pipe(Effect.withSpan("charge"), Effect.ignore)
      const charge = byName(yield* ObservabilityTest.spans, "charge")
      expect(charge.status).toBe("error")
      expect(charge.statusMessage).toBe("card declined")
      const exception = charge.events.find((event) => event.name === "exception")
      expect(exception?.attributes?.["exception.message"]).toBe("card declined")
      expect(String(exception?.attributes?.["exception.stacktrace"])).toContain("card declined")
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("an interrupted span ends ok, marked interrupted", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Effect.never.pipe(Effect.withSpan("waiting")))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(fiber)
      const waiting = byName(yield* ObservabilityTest.spans, "waiting")
      expect(waiting.status).toBe("ok")
      expect(waiting.attributes["status.interrupted"]).toBe(true)
    }).pipe(Effect.provide(ObservabilityTest.layer({ advanceClock: false }))))

  it.effect("attributes (annotations, objects, bigints), events and links arrive", () =>
    Effect.gen(function*() {
      const upstream = yield* Effect.makeSpanScoped("upstream").pipe(Effect.scoped)
      yield* Effect.gen(function*() {
        yield* Effect.annotateCurrentSpan("order.id", "o-9")
        yield* Effect.annotateCurrentSpan("order", { items: 2 })
        yield* Effect.annotateCurrentSpan("amount", BigInt(1234))
        const span = yield* Effect.currentSpan
        span.event("card-declined", BigInt(0), { "decline.code": "51" })
      }).pipe(Effect.withSpan("checkout", { links: [{ span: upstream, attributes: { reason: "batch" } }] }))
      const checkout = byName(yield* ObservabilityTest.spans, "checkout")
      // Objects as the Effect 3 line writes them: JSON indented by two spaces.
      expect(checkout.attributes).toMatchObject({ "order.id": "o-9", order: JSON.stringify({ items: 2 }, null, 2), amount: "1234" })
      expect(checkout.events.find((event) => event.name === "card-declined")?.attributes).toEqual({ "decline.code": "51" })
      expect(checkout.links).toEqual([{ traceId: upstream.traceId, spanId: upstream.spanId, attributes: { reason: "batch" } }])
      expect(checkout.kind).toBe("internal")
      expect(byName(yield* ObservabilityTest.spans, "upstream").kind).toBe("internal")
    }).pipe(Effect.provide(ObservabilityTest.layer())))

  it.effect("span kinds map to OpenTelemetry's", () =>
    Effect.gen(function*() {
      for (const kind of ["server", "client", "producer", "consumer"] as const) {
        yield* Effect.void.pipe(Effect.withSpan(`as-${kind}`, { kind }))
      }
      expect((yield* ObservabilityTest.spans).map((span) => span.kind)).toEqual(["server", "client", "producer", "consumer"])
    }).pipe(Effect.provide(ObservabilityTest.layer())))
})

/** A tracer writing records for the engine's encoder: the encoder here only keeps what it is given. */
const recordingTracer = (accepting: () => boolean, limits = defaultLimits) => {
  const records: Array<SpanRecord> = []
  const tracer = EffectTracer.make({
    export: {
      _tag: "Encoded",
      encoder: {
        encodeSpan: (span) => {
          records.push(span)
          return new Uint8Array([records.length])
        }
      },
      accepting,
      offer: () => {}
    },
    resource: resourceFromAttributes({ "service.name": "encoded" }),
    scope: { name: "encoded" },
    limits,
    sampling: { root: () => new AlwaysOnSampler(), parentBased: true },
    contextManager: new FiberContextManager()
  })
  return { records, layer: Layer.succeed(Tracer.Tracer, tracer) }
}

describe("records for the engine's span encoder (Effect 4)", () => {
  it.effect("parent ids, remote parents, status and times are what OTLP carries", () => {
    const { layer, records } = recordingTracer(() => true)
    return Effect.gen(function*() {
      const remote = Tracer.externalSpan({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", sampled: true })
      yield* Effect.fail("boom").pipe(
        Effect.withSpan("child"),
        Effect.withSpan("parent", { parent: remote }),
        Effect.ignore
      )
      const [child, parent] = records
      expect(parent?.parentSpanId).toBe(remote.spanId)
      expect(parent?.parentIsRemote).toBe(true)
      expect(child?.parentSpanId).toBe(parent?.spanId)
      expect(child?.parentIsRemote).toBe(false)
      expect(child?.traceId).toBe(remote.traceId)
      expect(child?.statusCode).toBe(OtelApi.SpanStatusCode.ERROR)
      expect(child?.events?.map((event) => event.name)).toEqual(["exception"])
      expect(child!.endTime >= child!.startTime).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.effect("nothing is encoded while the pipeline does not accept", () => {
    const { layer, records } = recordingTracer(() => false)
    return Effect.gen(function*() {
      yield* Effect.void.pipe(Effect.withSpan("dropped"))
      expect(records).toEqual([])
    }).pipe(Effect.provide(layer))
  })

  it.effect("span limits: attributes, events and links beyond the limits are counted as dropped", () => {
    const { layer, records } = recordingTracer(() => true, { ...defaultLimits, attributeCountLimit: 2, eventCountLimit: 1, linkCountLimit: 1 })
    return Effect.gen(function*() {
      const other = yield* Effect.makeSpanScoped("other").pipe(Effect.scoped)
      yield* Effect.gen(function*() {
        const span = yield* Effect.currentSpan
        span.attribute("a", 1)
        span.attribute("b", 2)
        span.attribute("c", 3)
        span.event("e1", BigInt(0))
        span.event("e2", BigInt(0))
      }).pipe(Effect.withSpan("limited", { links: [{ span: other, attributes: {} }, { span: other, attributes: {} }] }))
      const limited = records.find((record) => record.name === "limited")!
      expect([...(limited.attributes as ReadonlyMap<string, unknown>).keys()]).toEqual(["a", "b"])
      expect(limited.droppedAttributesCount).toBe(1)
      expect(limited.events?.map((event) => event.name)).toEqual(["e1"])
      expect(limited.droppedEventsCount).toBe(1)
      expect(limited.links).toHaveLength(1)
      expect(limited.droppedLinksCount).toBe(1)
    }).pipe(Effect.provide(layer))
  })
})

