/**
 * lingo-obs/grpc propagates with the configured propagator (`Propagation.Propagator`, from
 * `tracing.propagators`), as lingo-obs/http does: a plain grpc-js server sees B3 headers in the
 * metadata the client sends, also with tracing off, and the server extracts B3 from a plain client.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import { Observability, Propagation } from "../../src/index.js"
import { GrpcClient } from "../../src/grpc/index.js"
import { type EchoClient, EchoDefinition, startEcho } from "./echo.js"
import { ofKind, waitForSpans } from "./support.js"

const b3 = Propagation.layer(Propagation.fromNames(["b3multi"]))

/** A plain grpc-js echo server on 127.0.0.1 that keeps the metadata of every call it gets. */
const metadataRecorder = Effect.gen(function*() {
  const seen: Array<Record<string, unknown>> = []
  const server = new Grpc.Server()
  server.addService(EchoDefinition, {
    Get: (call: Grpc.ServerUnaryCall<unknown, unknown>, callback: Grpc.sendUnaryData<unknown>) => {
      seen.push(call.metadata.getMap())
      callback(null, call.request)
    }
  })
  const port = yield* Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", Grpc.ServerCredentials.createInsecure(), (error, port) =>
          error === null ? resolve(port) : reject(error))
      )
    ),
    () => Effect.sync(() => server.forceShutdown())
  )
  return { address: `127.0.0.1:${port}`, seen }
})

describe("lingo-obs/grpc propagation (Effect 4)", () => {
  it.live("the client injects with the configured propagator: B3 multi-header in the metadata, no traceparent", () =>
    Effect.gen(function*() {
      const recorder = yield* metadataRecorder
      const client = yield* GrpcClient.dial<EchoClient>(EchoDefinition, recorder.address)
      yield* client.get({ id: "b3" }).pipe(Effect.withSpan("caller"))
      const spans = yield* waitForSpans((spans) => ofKind(spans, "client").length === 1)
      const [clientSpan] = ofKind(spans, "client")
      expect(recorder.seen).toHaveLength(1)
      expect(recorder.seen[0]).toMatchObject({
        "x-b3-traceid": clientSpan!.traceId,
        "x-b3-spanid": clientSpan!.spanId,
        "x-b3-sampled": "1"
      })
      expect(recorder.seen[0]!["traceparent"]).toBeUndefined()
    }).pipe(Effect.scoped, Effect.provide(b3), Effect.provide(Observability.layerTest())))

  it.live("with tracing off, the propagator of tracing.propagators still carries the caller's context", () =>
    Effect.gen(function*() {
      const recorder = yield* metadataRecorder
      const client = yield* GrpcClient.dial<EchoClient>(EchoDefinition, recorder.address)
      const caller = yield* client.get({ id: "off" }).pipe(
        Effect.andThen(Effect.currentSpan),
        Effect.withSpan("caller")
      )
      expect(recorder.seen).toHaveLength(1)
      expect(recorder.seen[0]).toMatchObject({ "x-b3-traceid": caller.traceId })
      expect(recorder.seen[0]!["traceparent"]).toBeUndefined()
    }).pipe(
      Effect.scoped,
      Effect.provide(Observability.layer({
        service: { name: "grpc-propagation" },
        config: { tracing: { enabled: false, propagators: ["b3multi"] }, metrics: { enabled: false } },
        variables: {}
      }))
    ))

  it.live("the server extracts with the configured propagator: a plain client's B3 headers parent the server span", () =>
    Effect.gen(function*() {
      const { server } = yield* startEcho()
      const plain = new Grpc.Client(server.address, Grpc.credentials.createInsecure())
      yield* Effect.addFinalizer(() => Effect.sync(() => plain.close()))
      const metadata = new Grpc.Metadata()
      const traceId = "0af7651916cd43dd8448eb211c80319c"
      const spanId = "b7ad6b7169203331"
      metadata.set("x-b3-traceid", traceId)
      metadata.set("x-b3-spanid", spanId)
      metadata.set("x-b3-sampled", "1")
      const get = EchoDefinition["Get"]!
      yield* Effect.promise(() =>
        new Promise<unknown>((resolve, reject) =>
          plain.makeUnaryRequest(get.path, get.requestSerialize, get.responseDeserialize, { id: "b3" }, metadata, (error, reply) =>
            error === null || error === undefined ? resolve(reply) : reject(error))
        )
      )
      const spans = yield* waitForSpans((spans) => ofKind(spans, "server").length === 1)
      const [serverSpan] = ofKind(spans, "server")
      expect(serverSpan!.traceId).toBe(traceId)
      expect(serverSpan!.parentSpanId).toBe(spanId)
    }).pipe(Effect.scoped, Effect.provide(b3), Effect.provide(Observability.layerTest())))
})

