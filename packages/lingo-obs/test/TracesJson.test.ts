/**
 * Traces over OTLP/HTTP with JSON bodies (`protocol: http/json`) on the Effect 4 line, to a real
 * receiver: every request is JSON with its content type, and the receiver reads the same spans
 * (names, kinds, parents, attributes, events, links, status, scopes, resource) as from the same
 * program over `http/protobuf`, library spans made through the OpenTelemetry API included.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as OtelApi from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import { Observability } from "../src/index.js"

let receiver: OtlpReceiver.Receiver
beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())

/** Parent and children of every sort the tracer writes: attributes, an event, a link, a failure, a library span. */
const program = (prefix: string) =>
  Effect.gen(function*() {
    const upstream = yield* Effect.makeSpanScoped(`${prefix}upstream`).pipe(Effect.scoped)
    yield* Effect.gen(function*() {
      yield* Effect.annotateCurrentSpan("order.id", "o-9")
      yield* Effect.annotateCurrentSpan("order.items", 3)
      yield* Effect.annotateCurrentSpan("order.express", true)
      yield* Effect.annotateCurrentSpan("order.amount", 12.5)
      const span = yield* Effect.currentSpan
      span.event("card-checked", BigInt(Date.now()) * 1_000_000n, { "card.brand": "visa" })
      yield* Effect.fail(new Error("card declined")).pipe(Effect.withSpan(`${prefix}charge`, { kind: "client" }), Effect.ignore)
      yield* Effect.sync(() => OtelApi.trace.getTracer("library").startActiveSpan(`${prefix}library`, (span) => span.end()))
    }).pipe(Effect.withSpan(`${prefix}checkout`, { kind: "server", links: [{ span: upstream, attributes: { reason: "batch" } }] }))
  })

/** The spans of a run as the receiver read them, by name without the run's prefix, ids and times left out. */
const comparable = (prefix: string) => {
  const spans = receiver.spans().filter((span) => span.name.startsWith(prefix))
  const nameOf = (spanId: string | undefined) => spans.find((span) => span.spanId === spanId)?.name.slice(prefix.length)
  return Object.fromEntries(spans.map((span) => [span.name.slice(prefix.length), {
    kind: span.kind,
    parent: nameOf(span.parentSpanId),
    sameTrace: span.traceId === spans.find((other) => other.name === `${prefix}checkout`)?.traceId,
    attributes: span.attributes,
    status: span.status,
    // The exception's stack names the spans, with the run's prefix.
    events: span.events.map((event) => ({
      name: event.name,
      attributes: Object.fromEntries(
        Object.entries(event.attributes).map(([key, value]) => [key, typeof value === "string" ? value.replaceAll(prefix, "") : value])
      )
    })),
    links: span.links.map((link) => ({ span: nameOf(link.spanId), attributes: link.attributes })),
    scope: span.scope,
    resource: { ...span.resource, "service.instance.id": "(per run)" },
    dropped: span.dropped
  }]))
}

const run = (protocol: "http/protobuf" | "http/json", prefix: string) =>
  program(prefix).pipe(
    Effect.provide(Observability.layer({
      service: { name: "checkout", version: "3.1.0" },
      config: {
        tracing: { protocol, endpoint: receiver.httpEndpoint, batchTimeout: "10ms" },
        metrics: { enabled: false }
      },
      variables: {}
    })),
    Effect.andThen(Effect.promise(() => receiver.waitFor(() => comparable(prefix)["library"], { timeoutMs: 10_000, description: `${prefix}library` })))
  )

describe("traces over OTLP/HTTP with JSON (Effect 4)", () => {
  it.live("every request is JSON; the receiver reads the same spans as over http/protobuf", () =>
    Effect.gen(function*() {
      const before = receiver.requests().length
      yield* run("http/json", "json-")
      const json = receiver.requests().slice(before)
      expect(json.length).toBeGreaterThan(0)
      expect(new Set(json.map((r) => `${r.signal} ${r.transport} ${r.encoding} ${r.metadata["content-type"]}`))).toEqual(
        new Set(["traces http json application/json"])
      )
      yield* run("http/protobuf", "proto-")
      const viaJson = comparable("json-")
      expect(Object.keys(viaJson).sort()).toEqual(["charge", "checkout", "library", "upstream"])
      expect(viaJson).toEqual(comparable("proto-"))
      // What the comparison rests on, spelled out.
      expect(viaJson["checkout"]).toMatchObject({
        kind: 2,
        attributes: { "order.id": "o-9", "order.items": 3, "order.express": true, "order.amount": 12.5 },
        events: [{ name: "card-checked", attributes: { "card.brand": "visa" } }],
        links: [{ span: "upstream", attributes: { reason: "batch" } }],
        scope: { name: "checkout", version: "3.1.0" },
        resource: { "service.name": "checkout", "service.version": "3.1.0" }
      })
      expect(viaJson["charge"]).toMatchObject({ kind: 3, parent: "checkout", sameTrace: true, status: { code: 2, message: "card declined" } })
      expect(viaJson["charge"]?.events.map((event) => event.name)).toEqual(["exception"])
      expect(viaJson["library"]).toMatchObject({ parent: "checkout", sameTrace: true, scope: { name: "library" } })
    }))
})
