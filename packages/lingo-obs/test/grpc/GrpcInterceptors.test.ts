/**
 * The grpc-js interceptors re-exported by `lingo-obs/grpc`, under the Effect 4 line's
 * Observability layer: a plain grpc-js server whose handlers are wrapped with
 * `instrumentService` and a plain client with `clientInterceptor` give the spans, message events
 * and metrics of `GrpcServer`/`GrpcClient`, and mix with them in one trace.
 */
import * as Grpc from "@grpc/grpc-js"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Observability, ObservabilityTest } from "../../src/index.js"
import { GrpcClient, GrpcInterceptors } from "../../src/grpc/index.js"
import { type EchoClient, EchoDefinition, startEcho } from "./echo.js"
import { messages, ofKind, points, waitForSpans } from "./support.js"

/** A plain grpc-js echo server (Get and Chat), its handlers wrapped; closed with the scope. */
const plainServer = Effect.acquireRelease(
  Effect.callback<{ readonly server: Grpc.Server; readonly address: string }>((resume) => {
    const server = new Grpc.Server()
    server.addService(EchoDefinition, GrpcInterceptors.instrumentService(EchoDefinition, {
      get: (call: Grpc.ServerUnaryCall<{ id: string }, unknown>, callback: Grpc.sendUnaryData<unknown>) =>
        callback(null, { id: call.request.id }),
      chat: (call: Grpc.ServerDuplexStream<{ text: string }, { text: string }>) => {
        call.on("data", ({ text }: { text: string }) => call.write({ text: text.toUpperCase() }))
        call.on("end", () => call.end())
      }
    }))
    server.bindAsync("127.0.0.1:0", Grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error !== null) resume(Effect.die(error))
      else resume(Effect.succeed({ server, address: `127.0.0.1:${port}` }))
    })
  }),
  ({ server }) => Effect.sync(() => server.forceShutdown())
)

/** A plain grpc-js client with the interceptor; closed with the scope. */
const plainClient = (address: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const Client = Grpc.makeGenericClientConstructor(EchoDefinition, "Echo")
      return new Client(address, Grpc.credentials.createInsecure(), {
        interceptors: [GrpcInterceptors.clientInterceptor({ target: address, services: [EchoDefinition] })]
      }) as Grpc.Client & Record<string, any>
    }),
    (client) => Effect.sync(() => client.close())
  )

const unaryCall = (client: Grpc.Client & Record<string, any>, request: object) =>
  Effect.callback<unknown>((resume) => {
    client["get"](request, (error: Grpc.ServiceError | null, value: unknown) =>
      resume(error === null ? Effect.succeed(value) : Effect.die(error)))
  })

const chatCall = (client: Grpc.Client & Record<string, any>, texts: ReadonlyArray<string>) =>
  Effect.callback<ReadonlyArray<unknown>>((resume) => {
    const call = client["chat"]() as Grpc.ClientDuplexStream<object, unknown>
    const replies: Array<unknown> = []
    call.on("data", (reply) => replies.push(reply))
    call.on("error", (error) => resume(Effect.die(error)))
    call.on("end", () => resume(Effect.succeed(replies)))
    for (const text of texts) call.write({ text })
    call.end()
  })

/** A span as compared between the two pairs: its name, kind, rpc attributes and message events without sizes. */
const shape = (span: ObservabilityTest.FinishedSpan) => ({
  name: span.name,
  kind: span.kind,
  rpc: [span.attributes["rpc.system"], span.attributes["rpc.service"], span.attributes["rpc.method"], span.attributes["rpc.grpc.status_code"]],
  events: messages(span).map(([type, id]) => `${type}${id}`).sort()
})

describe("lingo-obs/grpc GrpcInterceptors (Effect 4)", () => {
  it.live("a plain grpc-js server and client with only the interceptors give the spans of GrpcServer and GrpcClient", () =>
    Effect.gen(function*() {
      // The Effect-wrapped pair first.
      const { client } = yield* startEcho()
      yield* client.get({ id: "7" })
      yield* Stream.runCollect(client.chat(Stream.make({ text: "a" }, { text: "b" })))
      // Its Get handler opens a business span ("lookup") too; the comparison is about the RPC spans.
      const wrapped = (yield* waitForSpans((spans) => spans.length === 5)).filter((span) => span.name !== "lookup")
      yield* ObservabilityTest.reset

      // The plain pair, instrumented only by the interceptors.
      const { address } = yield* plainServer
      const plain = yield* plainClient(address)
      expect(yield* unaryCall(plain, { id: "7" })).toEqual({ id: "7" })
      expect(yield* chatCall(plain, ["a", "b"])).toEqual([{ text: "A" }, { text: "B" }])
      const intercepted = yield* waitForSpans((spans) => spans.length === 4)

      const byName = (spans: ReadonlyArray<ObservabilityTest.FinishedSpan>) =>
        spans.map(shape).sort((a, b) => `${a.name}${a.kind}`.localeCompare(`${b.name}${b.kind}`))
      expect(byName(intercepted)).toEqual(byName(wrapped))
      for (const name of ["test.echo.v1.Echo/Get", "test.echo.v1.Echo/Chat"]) {
        const [server] = ofKind(intercepted.filter((span) => span.name === name), "server")
        const [clientSpan] = ofKind(intercepted.filter((span) => span.name === name), "client")
        expect(server!.parentSpanId).toBe(clientSpan!.spanId)
      }
      // The sizes of the plain pair's message events are the encoded JSON's, as the wrappers measure them.
      const chatServer = ofKind(intercepted.filter((span) => span.name === "test.echo.v1.Echo/Chat"), "server")[0]!
      expect(messages(chatServer).filter(([type]) => type === "RECEIVED").map(([, , bytes]) => bytes))
        .toEqual([Buffer.byteLength(JSON.stringify({ text: "a" })), Buffer.byteLength(JSON.stringify({ text: "b" }))])
      // And the call-duration metrics, through the OpenTelemetry API's meter provider.
      const methods = (yield* points("rpc.server.call.duration")).map((point) => point.attributes["rpc.method"]).sort()
      expect(methods).toEqual(["test.echo.v1.Echo/Chat", "test.echo.v1.Echo/Get"])
    }).pipe(Effect.provide(Observability.layerTest())))

  it.live("GrpcClient calling a plain server instrumented by the wrapper: one trace", () =>
    Effect.gen(function*() {
      const { address } = yield* plainServer
      const client = yield* GrpcClient.dial<EchoClient>(EchoDefinition, address)
      yield* client.get({ id: "1" }).pipe(Effect.withSpan("caller"))
      const spans = yield* waitForSpans((spans) => spans.length === 3)
      const caller = spans.find((span) => span.name === "caller")!
      const [clientSpan] = ofKind(spans, "client")
      const [server] = ofKind(spans, "server")
      expect(clientSpan!.parentSpanId).toBe(caller.spanId)
      expect(server!.parentSpanId).toBe(clientSpan!.spanId)
      expect(new Set(spans.map((span) => span.traceId)).size).toBe(1)
    }).pipe(Effect.provide(Observability.layerTest())))
})
