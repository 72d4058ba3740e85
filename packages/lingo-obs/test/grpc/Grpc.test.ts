/**
 * lingo-obs/grpc on Effect 4: real grpc-js servers and clients on 127.0.0.1 (ephemeral ports),
 * spans and metrics read back with ObservabilityTest. Every call kind, status mapping, deadlines,
 * cancellation, message events with sizes on both sides, health checks skipped.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { Instrumentation, Observability, ObservabilityTest } from "../../src/index.js"
import * as Grpc from "@grpc/grpc-js"
import * as Propagators from "@lingo-obs/otlp/Propagators"
import { GrpcClient, GrpcStatus } from "../../src/grpc/index.js"
import { type EchoClient, EchoDefinition, startEcho } from "./echo.js"
import { messages, ofKind, points, size, waitForSpans } from "./support.js"

const TestLive = Observability.layerTest()
const RPC = { "rpc.system": "grpc", "rpc.service": "test.echo.v1.Echo" }

describe("lingo-obs/grpc (Effect 4)", () => {
  it.live("unary: client span → server span → business span in one trace, rpc attributes, metrics", () =>
    Effect.gen(function*() {
      const { client, server } = yield* startEcho()
      const reply = yield* client.get({ id: "42" }).pipe(Effect.withSpan("caller"))
      expect(reply).toEqual({ id: "42" })

      const spans = yield* waitForSpans((spans) => spans.length === 4)
      const caller = spans.find((span) => span.name === "caller")!
      const [clientSpan] = ofKind(spans, "client")
      const [serverSpan] = ofKind(spans, "server")
      const lookup = spans.find((span) => span.name === "lookup")!
      expect(clientSpan!.name).toBe("test.echo.v1.Echo/Get")
      expect(serverSpan!.name).toBe("test.echo.v1.Echo/Get")
      expect(clientSpan!.parentSpanId).toBe(caller.spanId)
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      expect(lookup.parentSpanId).toBe(serverSpan!.spanId)
      expect(new Set(spans.map((span) => span.traceId)).size).toBe(1)
      const rpc = { ...RPC, "rpc.method": "Get", "rpc.grpc.status_code": 0 }
      expect(serverSpan!.attributes).toMatchObject({ ...rpc, "server.address": "127.0.0.1", "server.port": server.port })
      expect(serverSpan!.attributes["network.peer.address"]).toBe("127.0.0.1")
      expect(clientSpan!.attributes).toMatchObject({ ...rpc, "server.address": "127.0.0.1", "server.port": server.port })
      // OK leaves the server span Unset (RPC semantic conventions); the client's own Effect succeeded.
      expect(serverSpan!.status).toBe("unset")
      // Message events are for streaming calls (the engine's RpcSemConv.hasMessageEvents, as on the Effect 3 line).
      expect(clientSpan!.events).toEqual([])
      expect(serverSpan!.events).toEqual([])

      const serverCalls = yield* points("rpc.server.call.duration")
      expect(serverCalls).toHaveLength(1)
      expect(serverCalls[0]!.attributes).toMatchObject({
        "rpc.system.name": "grpc",
        "rpc.method": "test.echo.v1.Echo/Get",
        "rpc.status_code": "OK",
        "server.address": "127.0.0.1",
        "server.port": server.port
      })
      expect(serverCalls[0]!.count).toBe(1)
      const clientCalls = yield* points("rpc.client.call.duration")
      expect(clientCalls.map((point) => [point.attributes["rpc.method"], point.attributes["rpc.status_code"], point.count]))
        .toEqual([["test.echo.v1.Echo/Get", "OK", 1]])
      const metric = (yield* ObservabilityTest.metrics).find((metric) => metric.name === "rpc.server.call.duration")!
      expect(metric.unit).toBe("s")
    }).pipe(Effect.provide(TestLive)))

  it.live("server-streaming: one span per call, a message event with its size per message on both sides", () =>
    Effect.gen(function*() {
      const { client } = yield* startEcho()
      const received = yield* Stream.runCollect(client.list({ count: 3 }))
      expect(received).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1 && ofKind(spans, "client").length === 1)
      const [clientSpan] = ofKind(spans, "client")
      const [serverSpan] = ofKind(spans, "server")
      expect(serverSpan!.name).toBe("test.echo.v1.Echo/List")
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      const request = size({ count: 3 })
      expect(messages(clientSpan!)).toEqual([
        ["SENT", 1, request],
        ["RECEIVED", 1, size({ n: 1 })],
        ["RECEIVED", 2, size({ n: 2 })],
        ["RECEIVED", 3, size({ n: 3 })]
      ])
      expect(messages(serverSpan!)).toEqual([
        ["RECEIVED", 1, request],
        ["SENT", 1, size({ n: 1 })],
        ["SENT", 2, size({ n: 2 })],
        ["SENT", 3, size({ n: 3 })]
      ])
      expect(clientSpan!.attributes["rpc.grpc.status_code"]).toBe(0)
      expect(serverSpan!.attributes["rpc.grpc.status_code"]).toBe(0)
    }).pipe(Effect.provide(TestLive)))

  it.live("server-streaming: a failing stream ends the call with its status after the messages sent so far", () =>
    Effect.gen(function*() {
      const { client } = yield* startEcho()
      const seen: Array<unknown> = []
      const exit = yield* Stream.runForEach(client.list({ count: 5, failAt: 3 }), (message) => Effect.sync(() => seen.push(message)))
        .pipe(Effect.exit)
      expect(seen).toEqual([{ n: 1 }, { n: 2 }])
      expect(Exit.isFailure(exit) && Cause.findErrorOption(exit.cause)).toMatchObject({
        value: { code: GrpcStatus.Code.RESOURCE_EXHAUSTED, message: "stopped at 3" }
      })
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1 && ofKind(spans, "client").length === 1)
      const [serverSpan] = ofKind(spans, "server")
      const [clientSpan] = ofKind(spans, "client")
      expect(serverSpan!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.RESOURCE_EXHAUSTED)
      // RESOURCE_EXHAUSTED is not a server error: the server span stays Unset, the client's is an error.
      expect(serverSpan!.status).toBe("unset")
      expect(clientSpan!.status).toBe("error")
      expect(clientSpan!.attributes["error.type"]).toBe("RESOURCE_EXHAUSTED")
      expect(messages(clientSpan!).filter(([type]) => type === "RECEIVED")).toHaveLength(2)
    }).pipe(Effect.provide(TestLive)))

  it.live("client-streaming: requests as a Stream, one answer, one span per call with every message", () =>
    Effect.gen(function*() {
      const { client } = yield* startEcho()
      const answer = yield* client.sum(Stream.make({ n: 1 }, { n: 20 }, { n: 300 }))
      expect(answer).toEqual({ sum: 321, count: 3 })
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1 && ofKind(spans, "client").length === 1)
      const [clientSpan] = ofKind(spans, "client")
      const [serverSpan] = ofKind(spans, "server")
      expect(serverSpan!.name).toBe("test.echo.v1.Echo/Sum")
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      const sent = [["SENT", 1, size({ n: 1 })], ["SENT", 2, size({ n: 20 })], ["SENT", 3, size({ n: 300 })]]
      expect(messages(clientSpan!)).toEqual([...sent, ["RECEIVED", 1, size(answer)]])
      expect(messages(serverSpan!)).toEqual([
        ...sent.map(([, id, bytes]) => ["RECEIVED", id, bytes]),
        ["SENT", 1, size(answer)]
      ])
      expect((yield* points("rpc.server.call.duration")).map((point) => point.attributes["rpc.method"]))
        .toEqual(["test.echo.v1.Echo/Sum"])
    }).pipe(Effect.provide(TestLive)))

  it.live("client-streaming: a failing request stream cancels the call, fails with its error, interrupts the handler", () =>
    Effect.gen(function*() {
      const { client, sumHolding, sumInterrupted } = yield* startEcho()
      // The request stream fails once the handler holds the call open (at -1): only the client's
      // cancellation can end the handler. (A handler that answers as soon as its requests end may
      // answer first: grpc-js reports a cancellation as the end of the requests, then as cancelled.)
      const requests = Stream.concat(
        Stream.make({ n: 1 }, { n: -1 }),
        Stream.fromEffect(Effect.andThen(Deferred.await(sumHolding), Effect.fail("keyboard unplugged" as const)))
      )
      const exit = yield* Effect.exit(client.sum(requests))
      expect(Exit.isFailure(exit) && Cause.findErrorOption(exit.cause)).toMatchObject({ value: "keyboard unplugged" })
      yield* Deferred.await(sumInterrupted)
      const spans = yield* waitForSpans((spans) => ofKind(spans, "client").length === 1 && ofKind(spans, "server").length === 1)
      const [clientSpan] = ofKind(spans, "client")
      const [serverSpan] = ofKind(spans, "server")
      expect(clientSpan!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
      expect(clientSpan!.status).toBe("error")
      expect(clientSpan!.statusMessage).toContain("keyboard unplugged")
      expect(serverSpan!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
      expect(messages(serverSpan!)).toEqual([["RECEIVED", 1, size({ n: 1 })], ["RECEIVED", 2, size({ n: -1 })]])
    }).pipe(Effect.provide(TestLive)))

  it.live("bidirectional: requests and responses as Streams, interleaved, one span per call on each side", () =>
    Effect.gen(function*() {
      const { client } = yield* startEcho()
      const replies = yield* Stream.runCollect(client.chat(Stream.make({ text: "hi" }, { text: "there" })))
      expect(replies).toEqual([{ text: "HI" }, { text: "THERE" }])
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1 && ofKind(spans, "client").length === 1)
      const [clientSpan] = ofKind(spans, "client")
      const [serverSpan] = ofKind(spans, "server")
      expect(serverSpan!.name).toBe("test.echo.v1.Echo/Chat")
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      const sorted = (span: typeof clientSpan) =>
        messages(span!).sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1]))
      expect(sorted(clientSpan)).toEqual([
        ["RECEIVED", 1, size({ text: "HI" })],
        ["RECEIVED", 2, size({ text: "THERE" })],
        ["SENT", 1, size({ text: "hi" })],
        ["SENT", 2, size({ text: "there" })]
      ])
      expect(sorted(serverSpan)).toEqual([
        ["RECEIVED", 1, size({ text: "hi" })],
        ["RECEIVED", 2, size({ text: "there" })],
        ["SENT", 1, size({ text: "HI" })],
        ["SENT", 2, size({ text: "THERE" })]
      ])
      expect(clientSpan!.attributes["rpc.grpc.status_code"]).toBe(0)
      expect((yield* points("rpc.client.call.duration")).map((point) => point.attributes["rpc.status_code"])).toEqual(["OK"])
    }).pipe(Effect.provide(TestLive)))

  it.live("bidirectional: a consumer that stops early cancels the call and interrupts the handler (CANCELLED on both sides)", () =>
    Effect.gen(function*() {
      const { client, chatInterrupted } = yield* startEcho()
      const replies = yield* Stream.runCollect(Stream.take(client.chat(Stream.make({ text: "a" }, { text: "hold" })), 2))
      expect(replies).toEqual([{ text: "A" }, { text: "HOLDING" }])
      yield* Deferred.await(chatInterrupted)
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1 && ofKind(spans, "client").length === 1)
      expect(ofKind(spans, "client")[0]!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
      expect(ofKind(spans, "server")[0]!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
      expect((yield* points("rpc.server.call.duration")).map((point) => point.attributes["rpc.status_code"]))
        .toEqual(["CANCELLED"])
    }).pipe(Effect.provide(TestLive)))

  it.live("status mapping: a GrpcStatusError keeps its code; other failures UNKNOWN, defects INTERNAL, nothing leaks", () =>
    Effect.gen(function*() {
      const { client } = yield* startEcho()
      const notFound = yield* Effect.flip(client.fail({ how: "not_found" }))
      expect(notFound).toMatchObject({ _tag: "GrpcStatusError", code: GrpcStatus.Code.NOT_FOUND, message: "no such echo" })
      const typed = yield* Effect.flip(client.fail({ how: "typed" }))
      expect(typed).toMatchObject({ code: GrpcStatus.Code.UNKNOWN, message: "Unknown error" })
      const defect = yield* Effect.flip(client.fail({ how: "defect" }))
      expect(defect).toMatchObject({ code: GrpcStatus.Code.INTERNAL, message: "Internal error" })
      expect(JSON.stringify([notFound, typed, defect])).not.toContain("hunter2")

      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 3)
      const byCode = new Map(ofKind(spans, "server").map((span) => [span.attributes["rpc.grpc.status_code"], span]))
      expect(byCode.get(GrpcStatus.Code.NOT_FOUND)!.status).toBe("unset")
      expect(byCode.get(GrpcStatus.Code.UNKNOWN)).toMatchObject({ status: "error", attributes: { "error.type": "Ledger" } })
      expect(byCode.get(GrpcStatus.Code.INTERNAL)!.status).toBe("error")
      const serverCodes = (yield* points("rpc.server.call.duration")).map((point) => point.attributes["rpc.status_code"]).sort()
      expect(serverCodes).toEqual(["INTERNAL", "NOT_FOUND", "UNKNOWN"])
      // The logs keep the cause on the server (the client never sees it).
      const logged = (yield* ObservabilityTest.logs).filter((log) => log.message.includes("test.echo.v1.Echo/Fail failed"))
      expect(logged.map((log) => log.message).sort()).toEqual([
        "/test.echo.v1.Echo/Fail failed; answered INTERNAL",
        "/test.echo.v1.Echo/Fail failed; answered UNKNOWN"
      ])
    }).pipe(Effect.provide(TestLive)))

  it.live("deadline: a call timing out fails DEADLINE_EXCEEDED and interrupts the server's handler", () =>
    Effect.gen(function*() {
      const { client, slowInterrupted } = yield* startEcho()
      const error = yield* Effect.flip(client.slow({}, { timeout: "300 millis" }))
      expect(error).toMatchObject({ code: GrpcStatus.Code.DEADLINE_EXCEEDED })
      yield* Deferred.await(slowInterrupted)
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1 && ofKind(spans, "client").length === 1)
      const [serverSpan] = ofKind(spans, "server")
      const [clientSpan] = ofKind(spans, "client")
      expect(serverSpan!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.DEADLINE_EXCEEDED)
      expect(serverSpan!.status).toBe("error")
      expect(clientSpan!.attributes).toMatchObject({
        "rpc.grpc.status_code": GrpcStatus.Code.DEADLINE_EXCEEDED,
        "error.type": "DEADLINE_EXCEEDED"
      })
      expect((yield* points("rpc.client.call.duration")).map((point) => point.attributes["rpc.status_code"]))
        .toEqual(["DEADLINE_EXCEEDED"])
    }).pipe(Effect.provide(TestLive)))

  it.live("cancellation: interrupting the client's Effect cancels the call and interrupts the handler", () =>
    Effect.gen(function*() {
      const { client, slowStarted, slowInterrupted } = yield* startEcho()
      const call = yield* Effect.forkChild(client.slow({}))
      yield* Deferred.await(slowStarted)
      yield* Fiber.interrupt(call)
      yield* Deferred.await(slowInterrupted)
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1 && ofKind(spans, "client").length === 1)
      expect(ofKind(spans, "server")[0]!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
      expect(ofKind(spans, "client")[0]!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
      expect((yield* points("rpc.server.call.duration")).map((point) => point.attributes["rpc.status_code"]))
        .toEqual(["CANCELLED"])
    }).pipe(Effect.provide(TestLive)))

  it.live("health checks: no span and no metric by default; a metric with grpcIncludeHealth", () =>
    Effect.gen(function*() {
      const { healthClient } = yield* startEcho()
      expect(yield* healthClient.check({})).toEqual({ status: "SERVING" })
      expect(yield* ObservabilityTest.spans).toEqual([])
      expect(yield* points("rpc.server.call.duration")).toEqual([])
      yield* Effect.provideService(
        healthClient.check({}),
        Instrumentation.Settings,
        { requestMetrics: true, grpcMetrics: true, grpcIncludeHealth: true }
      )
      expect(yield* ObservabilityTest.spans).toEqual([])
      expect((yield* points("rpc.client.call.duration")).map((point) => point.attributes["rpc.method"]))
        .toEqual(["grpc.health.v1.Health/Check"])
    }).pipe(Effect.provide(TestLive)))

  it.live("a traceparent in the metadata parents the server span; baggage reaches the handler's context", () =>
    Effect.gen(function*() {
      const { client } = yield* startEcho()
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
      yield* client.get({ id: "1" }, { metadata: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }).pipe(
        Effect.withTracerEnabled(false)
      )
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1)
      expect(ofKind(spans, "server")[0]).toMatchObject({ traceId, parentSpanId: "00f067aa0ba902b7" })
      expect(ofKind(spans, "client")).toEqual([])
    }).pipe(Effect.provide(TestLive)))

  it.live("a handler for a method the service lacks, or of the wrong kind, stops the server from starting with a clear defect", () =>
    Effect.gen(function*() {
      const { GrpcServer } = yield* Effect.promise(() => import("../../src/grpc/index.js"))
      const { EchoDefinition } = yield* Effect.promise(() => import("./echo.js"))
      const unknown = yield* Effect.exit(GrpcServer.make([GrpcServer.service(EchoDefinition, {
        nope: GrpcServer.unary(() => Effect.void)
      })]))
      expect(Exit.isFailure(unknown) && String(Cause.squash(unknown.cause))).toContain(`"nope" is not a method of the service`)
      const wrongKind = yield* Effect.exit(GrpcServer.make([GrpcServer.service(EchoDefinition, {
        chat: GrpcServer.unary(() => Effect.void)
      })]))
      expect(Exit.isFailure(wrongKind) && String(Cause.squash(wrongKind.cause)))
        .toContain("/test.echo.v1.Echo/Chat is bidirectional; use GrpcServer.bidiStreaming for its handler")
    }).pipe(Effect.provide(TestLive)))

  it.live("a request that cannot be deserialized answers INTERNAL (unary and streaming) and the server keeps serving", () =>
    Effect.gen(function*() {
      const { client, server } = yield* startEcho()
      // A raw client whose serializer sends bytes that are not JSON.
      const raw = new Grpc.Client(server.address, Grpc.credentials.createInsecure())
      yield* Effect.addFinalizer(() => Effect.sync(() => raw.close()))
      const garbage = () => Buffer.from("{not json")
      const unary = yield* Effect.callback<Grpc.ServiceError | null>((resume) => {
        raw.makeUnaryRequest("/test.echo.v1.Echo/Get", garbage, (b: Buffer) => b, {}, (error) => resume(Effect.succeed(error)))
      })
      expect(unary).toMatchObject({ code: GrpcStatus.Code.INTERNAL, details: "Internal error" })
      const streaming = yield* Effect.callback<Grpc.ServiceError | null>((resume) => {
        const call = raw.makeClientStreamRequest("/test.echo.v1.Echo/Sum", garbage, (b: Buffer) => b, (error) =>
          resume(Effect.succeed(error)))
        call.write({})
        call.end()
      })
      expect(streaming).toMatchObject({ code: GrpcStatus.Code.INTERNAL, details: "Internal error" })
      expect(yield* client.get({ id: "still here" })).toEqual({ id: "still here" })
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 3)
      expect(ofKind(spans, "server").map((span) => span.attributes["rpc.grpc.status_code"]).sort())
        .toEqual([0, GrpcStatus.Code.INTERNAL, GrpcStatus.Code.INTERNAL])
    }).pipe(Effect.provide(TestLive)))

  it.live("a propagator given to the client and the server (B3 multi-header) carries the trace instead of the configured one", () =>
    Effect.gen(function*() {
      const b3 = Propagators.fromNames(["b3multi"])
      const { server } = yield* startEcho({ propagator: b3 })
      const client = yield* GrpcClient.dial<EchoClient>(EchoDefinition, server.address, { propagator: b3 })
      yield* client.get({ id: "b3" }).pipe(Effect.withSpan("caller"))
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1 && spans.length === 4)
      const [clientSpan] = ofKind(spans, "client")
      const [serverSpan] = ofKind(spans, "server")
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      expect(serverSpan!.traceId).toBe(clientSpan!.traceId)
      // A server reading only W3C headers sees no parent in the same B3 call.
      const { server: w3cOnly } = yield* startEcho()
      const b3Client = yield* GrpcClient.dial<EchoClient>(EchoDefinition, w3cOnly.address, { propagator: b3 })
      yield* ObservabilityTest.reset
      yield* b3Client.get({ id: "b3" })
      const orphan = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1)
      expect(ofKind(orphan, "server")[0]!.parentSpanId).toBeUndefined()
    }).pipe(Effect.provide(TestLive)))
})
