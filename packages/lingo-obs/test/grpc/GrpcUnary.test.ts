import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Observability, ObservabilityTest } from "../../src/index.js"
import { startEcho } from "./echo.js"

const kind = (spans: ReadonlyArray<ObservabilityTest.FinishedSpan>, kind: ObservabilityTest.FinishedSpan["kind"]) =>
  spans.filter((span) => span.kind === kind)

describe("lingo-obs/grpc unary (Effect 4)", () => {
  it.live("traces a unary call: client span → server span → business span, with rpc attributes and message events", () =>
    Effect.gen(function*() {
      const { client, server } = yield* startEcho()
      const reply = yield* client.get({ id: "42" }).pipe(Effect.withSpan("caller"))
      expect(reply).toEqual({ id: "42" })
      const spans = yield* ObservabilityTest.spans
      const caller = spans.find((span) => span.name === "caller")!
      const [clientSpan] = kind(spans, "client")
      const [serverSpan] = kind(spans, "server")
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      expect(clientSpan!.parentSpanId).toBe(caller.spanId)
      expect(server.port).toBeGreaterThan(0)
    }).pipe(Effect.provide(Observability.layerTest())))
})
