import * as Grpc from "@grpc/grpc-js"
import { describe, expect, it } from "@effect/vitest"
import { MetricsTest } from "@lingo-obs/metrics"
import type { TracingTest } from "@lingo-obs/tracing"
import { Cause, Data, Deferred, Effect, Exit, Stream } from "effect"
import { GrpcClient, GrpcServer, GrpcStatus } from "../src/index.js"
import { metricPoints, ObservabilityTest, waitForSpans } from "./support.js"

// A hand-built service with JSON messages, one method of each streaming kind.
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown
}
const method = (name: string, requestStream: boolean, responseStream: boolean): Grpc.MethodDefinition<unknown, unknown> => ({
  path: `/test.stream.v1.Numbers/${name}`,
  requestStream,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
  originalName: name.charAt(0).toLowerCase() + name.slice(1)
})
const NumbersDefinition: Grpc.ServiceDefinition = {
  Sum: method("Sum", true, false),
  Double: method("Double", true, true),
  Count: method("Count", false, true),
  Hang: method("Hang", true, true),
  Get: method("Get", false, false)
}

interface N {
  readonly n: number
}
interface NumbersClient {
  readonly sum: GrpcClient.ClientStreaming<N, { readonly sum: number; readonly count: number }>
  readonly double: GrpcClient.BidiStreaming<N, N>
  readonly count: GrpcClient.ServerStreaming<{ readonly to: number }, N>
  readonly hang: GrpcClient.BidiStreaming<N, N>
  readonly get: GrpcClient.Unary<N, N>
}

class Exhausted extends Data.TaggedError("Exhausted")<{}> {}

const startServer = Effect.gen(function*() {
  const hangInterrupted = yield* Deferred.make<void>()
  const hangStarted = yield* Deferred.make<void>()
  const sumReceived = yield* Deferred.make<void>()
  const numbers = GrpcServer.service(NumbersDefinition, {
    sum: GrpcServer.clientStreaming((requests: Stream.Stream<N, GrpcStatus.GrpcStatusError>) =>
      Stream.runFoldEffect(requests, { sum: 0, count: 0 }, (acc, { n }) =>
        Deferred.succeed(sumReceived, void 0).pipe(Effect.zipRight(n < 0
          ? Effect.fail(GrpcStatus.invalidArgument(`negative: ${n}`))
          : Effect.succeed({ sum: acc.sum + n, count: acc.count + 1 }))))
    ),
    double: GrpcServer.bidiStreaming((requests: Stream.Stream<N, GrpcStatus.GrpcStatusError>) =>
      Stream.mapEffect(requests, ({ n }) =>
        n === 13 ? Effect.fail(GrpcStatus.failedPrecondition("unlucky")) : Effect.succeed({ n: n * 2 }))
    ),
    count: GrpcServer.serverStreaming((request: { to: number }) => Stream.map(Stream.range(1, request.to), (n) => ({ n }))),
    hang: GrpcServer.bidiStreaming((_requests: Stream.Stream<N, GrpcStatus.GrpcStatusError>) =>
      Stream.fromEffect(Deferred.succeed(hangStarted, void 0)).pipe(
        Stream.flatMap(() => Stream.never),
        Stream.ensuring(Deferred.succeed(hangInterrupted, void 0))
      )
    ),
    get: GrpcServer.unary((request: N) => Effect.succeed(request))
  })
  const server = yield* GrpcServer.make([numbers])
  const client = yield* GrpcClient.dial<NumbersClient>(NumbersDefinition, server.address)
  return { server, client, hangStarted, hangInterrupted, sumReceived }
})

const kind = (spans: ReadonlyArray<TracingTest.FinishedSpan>, kind: TracingTest.FinishedSpan["kind"]) =>
  spans.filter((span) => span.kind === kind)

/** The message events of a span as `[type, id, size]`. */
const messages = (span: TracingTest.FinishedSpan | undefined) =>
  (span?.events ?? []).filter((event) => event.name === "rpc.message").map((event) => [
    event.attributes?.["rpc.message.type"],
    event.attributes?.["rpc.message.id"],
    event.attributes?.["rpc.message.uncompressed_size"]
  ])

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value))

describe("GrpcServer and GrpcClient: client-streaming and bidirectional calls", () => {
  it.scopedLive("a client-streaming call: one span per side, a message event per message with its size, metrics", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const { client, server } = yield* startServer
      const reply = yield* client.sum(Stream.make({ n: 1 }, { n: 20 }, { n: 300 })).pipe(Effect.withSpan("caller"))
      expect(reply).toEqual({ sum: 321, count: 3 })

      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1 && kind(spans, "client").length === 1)
      const [clientSpan] = kind(spans, "client")
      const [serverSpan] = kind(spans, "server")
      expect(clientSpan!.name).toBe("test.stream.v1.Numbers/Sum")
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      expect(clientSpan!.parentSpanId).toBe(spans.find((span) => span.name === "caller")!.spanId)
      const rpc = { "rpc.system": "grpc", "rpc.service": "test.stream.v1.Numbers", "rpc.method": "Sum", "rpc.grpc.status_code": 0 }
      expect(serverSpan!.attributes).toMatchObject({ ...rpc, "server.port": server.port })
      expect(clientSpan!.attributes).toMatchObject(rpc)
      expect(messages(clientSpan)).toEqual([
        ["SENT", 1, size({ n: 1 })],
        ["SENT", 2, size({ n: 20 })],
        ["SENT", 3, size({ n: 300 })],
        ["RECEIVED", 1, size(reply)]
      ])
      expect(messages(serverSpan)).toEqual([
        ["RECEIVED", 1, size({ n: 1 })],
        ["RECEIVED", 2, size({ n: 20 })],
        ["RECEIVED", 3, size({ n: 300 })],
        ["SENT", 1, size(reply)]
      ])
      for (const name of ["rpc.server.call.duration", "rpc.client.call.duration"]) {
        const points = yield* metricPoints(name)
        expect(points.map((point) => [point.attributes["rpc.method"], point.attributes["rpc.status_code"]]))
          .toEqual([["test.stream.v1.Numbers/Sum", "OK"]])
      }
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("a bidirectional call: responses as they come, message events both ways on both sides", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const { client } = yield* startServer
      const replies = yield* Stream.runCollect(client.double(Stream.make({ n: 1 }, { n: 2 }, { n: 50 })))
      expect([...replies]).toEqual([{ n: 2 }, { n: 4 }, { n: 100 }])

      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1 && kind(spans, "client").length === 1)
      const [clientSpan] = kind(spans, "client")
      const [serverSpan] = kind(spans, "server")
      expect(serverSpan!.name).toBe("test.stream.v1.Numbers/Double")
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      expect(serverSpan!.status).toBe("unset")
      const sent = (span: TracingTest.FinishedSpan | undefined, type: string) =>
        messages(span).filter(([t]) => t === type)
      expect(sent(clientSpan, "SENT")).toEqual([["SENT", 1, 7], ["SENT", 2, 7], ["SENT", 3, 8]])
      expect(sent(clientSpan, "RECEIVED")).toEqual([["RECEIVED", 1, 7], ["RECEIVED", 2, 7], ["RECEIVED", 3, 9]])
      expect(sent(serverSpan, "RECEIVED")).toEqual([["RECEIVED", 1, 7], ["RECEIVED", 2, 7], ["RECEIVED", 3, 8]])
      expect(sent(serverSpan, "SENT")).toEqual([["SENT", 1, 7], ["SENT", 2, 7], ["SENT", 3, 9]])
      const points = yield* metricPoints("rpc.server.call.duration")
      expect(points.map((point) => point.attributes["rpc.method"])).toEqual(["test.stream.v1.Numbers/Double"])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("server-streaming calls get message events too; unary calls none (the conventions)", () =>
    Effect.gen(function*() {
      const { client } = yield* startServer
      expect((yield* Stream.runCollect(client.count({ to: 2 }))).length).toBe(2)
      expect(yield* client.get({ n: 5 })).toEqual({ n: 5 })
      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 2 && kind(spans, "client").length === 2)
      const count = spans.filter((span) => span.name.endsWith("/Count"))
      expect(messages(count.find((span) => span.kind === "client"))).toEqual([
        ["SENT", 1, size({ to: 2 })],
        ["RECEIVED", 1, 7],
        ["RECEIVED", 2, 7]
      ])
      expect(messages(count.find((span) => span.kind === "server"))).toEqual([
        ["RECEIVED", 1, size({ to: 2 })],
        ["SENT", 1, 7],
        ["SENT", 2, 7]
      ])
      for (const span of spans.filter((span) => span.name.endsWith("/Get"))) expect(messages(span)).toEqual([])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("a handler's status ends the call: client-streaming fails the Effect, bidi fails the Stream after what came", () =>
    Effect.gen(function*() {
      const { client } = yield* startServer
      // The client never finishes sending: the server's early answer alone ends the call.
      const failure = yield* Effect.flip(client.sum(Stream.concat(Stream.make({ n: 1 }, { n: 2 }, { n: -1 }), Stream.never)))
      expect(failure).toMatchObject({ _tag: "GrpcStatusError", code: GrpcStatus.Code.INVALID_ARGUMENT, message: "negative: -1" })

      const received: Array<number> = []
      const bidiFailure = yield* Effect.flip(
        Stream.runForEach(client.double(Stream.make({ n: 1 }, { n: 13 }, { n: 2 })), ({ n }) => Effect.sync(() => received.push(n)))
      )
      expect(received).toEqual([2])
      expect(bidiFailure).toMatchObject({ code: GrpcStatus.Code.FAILED_PRECONDITION, message: "unlucky" })

      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 2 && kind(spans, "client").length === 2)
      const codes = (side: "server" | "client") =>
        kind(spans, side).map((span) => [span.name.split("/")[1], span.attributes["rpc.grpc.status_code"], span.status]).sort()
      // Both codes are the caller's doing: errors on the client side only.
      expect(codes("server")).toEqual([["Double", 9, "unset"], ["Sum", 3, "unset"]])
      expect(codes("client")).toEqual([["Double", 9, "error"], ["Sum", 3, "error"]])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("a failing request stream cancels the call and fails with its own error", () =>
    Effect.gen(function*() {
      const { client, hangInterrupted, hangStarted, sumReceived } = yield* startServer
      // The requests fail once the server has the call (before, the server would never hear of it).
      const requests = Stream.concat(
        Stream.make({ n: 1 }, { n: 2 }),
        Stream.fromEffect(Deferred.await(sumReceived)).pipe(Stream.flatMap(() => Stream.fail(new Exhausted())))
      )
      const failure = yield* Effect.flip(client.sum(requests))
      expect(failure).toBeInstanceOf(Exhausted)

      const bidi = Stream.concat(
        Stream.make({ n: 1 }),
        Stream.fromEffect(Deferred.await(hangStarted)).pipe(Stream.flatMap(() => Stream.fail(new Exhausted())))
      )
      const bidiExit = yield* Effect.exit(Stream.runDrain(client.hang(bidi)))
      expect(Exit.isFailure(bidiExit) && Cause.failureOption(bidiExit.cause)).toMatchObject({ _tag: "Some", value: new Exhausted() })
      yield* Deferred.await(hangInterrupted)

      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 2 && kind(spans, "client").length === 2)
      expect(kind(spans, "client").map((span) => [span.attributes["rpc.grpc.status_code"], span.status]))
        .toEqual([[GrpcStatus.Code.CANCELLED, "error"], [GrpcStatus.Code.CANCELLED, "error"]])
      expect(kind(spans, "server").map((span) => span.attributes["rpc.grpc.status_code"]))
        .toEqual([GrpcStatus.Code.CANCELLED, GrpcStatus.Code.CANCELLED])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("a consumer that stops early cancels a bidi call: CANCELLED on both sides, no error on the client", () =>
    Effect.gen(function*() {
      const { client } = yield* startServer
      const firstTwo = yield* Stream.runCollect(
        Stream.take(client.double(Stream.concat(Stream.make({ n: 1 }, { n: 2 }, { n: 3 }), Stream.never)), 2)
      )
      expect([...firstTwo]).toEqual([{ n: 2 }, { n: 4 }])
      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1 && kind(spans, "client").length === 1)
      // Stopping early is the consumer's choice, not a failure of the call.
      expect(kind(spans, "client")[0]).toMatchObject({
        status: "ok",
        attributes: { "rpc.grpc.status_code": GrpcStatus.Code.CANCELLED }
      })
      expect(kind(spans, "server")[0]!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("a timeout on a bidi call becomes its deadline: DEADLINE_EXCEEDED on both sides", () =>
    Effect.gen(function*() {
      const { client, hangInterrupted } = yield* startServer
      const failure = yield* Effect.flip(Stream.runDrain(client.hang(Stream.make({ n: 1 }), { timeout: "200 millis" })))
      expect(failure).toMatchObject({ code: GrpcStatus.Code.DEADLINE_EXCEEDED })
      yield* Deferred.await(hangInterrupted)
      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1 && kind(spans, "client").length === 1)
      expect(kind(spans, "server")[0]).toMatchObject({
        status: "error",
        attributes: { "rpc.grpc.status_code": GrpcStatus.Code.DEADLINE_EXCEEDED }
      })
      expect(kind(spans, "client")[0]!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.DEADLINE_EXCEEDED)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("refuses, at startup, a unary handler for a client-streaming method, naming the right constructor", () =>
    Effect.gen(function*() {
      const wrong = GrpcServer.service(NumbersDefinition, { Sum: GrpcServer.unary(() => Effect.succeed({})) })
      const exit = yield* Effect.exit(GrpcServer.make([wrong]))
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toMatch(
        /Sum is client-streaming; use GrpcServer.clientStreaming/
      )
      const wrongBidi = GrpcServer.service(NumbersDefinition, {
        Double: GrpcServer.clientStreaming(() => Effect.succeed({}))
      })
      const exit2 = yield* Effect.exit(GrpcServer.make([wrongBidi]))
      expect(Exit.isFailure(exit2) && Cause.pretty(exit2.cause)).toMatch(
        /Double is bidirectional streaming; use GrpcServer.bidiStreaming/
      )
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("a request that cannot be deserialized answers INTERNAL, and the server keeps serving", () =>
    Effect.gen(function*() {
      const { client, server } = yield* startServer
      const raw = new Grpc.Client(server.address, Grpc.credentials.createInsecure())
      yield* Effect.addFinalizer(() => Effect.sync(() => raw.close()))
      const failure = yield* Effect.async<Grpc.ServiceError>((resume) => {
        const call = raw.makeClientStreamRequest(
          "/test.stream.v1.Numbers/Sum",
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          new Grpc.Metadata(),
          {},
          (error) => resume(Effect.succeed(error!))
        )
        call.write(Buffer.from("{not json"))
        call.end()
      })
      expect(failure).toMatchObject({ code: GrpcStatus.Code.INTERNAL, details: "Error deserializing request" })
      expect(yield* client.sum(Stream.make({ n: 2 }))).toEqual({ sum: 2, count: 1 })
    }).pipe(Effect.provide(ObservabilityTest)))
})
