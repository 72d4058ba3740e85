/**
 * lingo-obs/grpc's spans, message events and RPC metrics as a collector receives them: a
 * bidirectional call between a real grpc-js server and client, exported by `Observability.layer`
 * to the project's receiver over OTLP/gRPC and over OTLP/HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Observability } from "../../src/index.js"
import { startEcho } from "./echo.js"
import { size } from "./support.js"

let receiver: OtlpReceiver.Receiver
beforeAll(async () => {
  receiver = await OtlpReceiver.start({ host: "127.0.0.1" })
})
afterAll(() => receiver.stop())
beforeEach(() => receiver.reset())

for (const protocol of ["grpc", "http/protobuf"] as const) {
  describe(`lingo-obs/grpc delivered over ${protocol} (Effect 4)`, () => {
    it.live("a bidirectional call: client and server spans in one trace, message events with sizes, call-duration metrics", () =>
      Effect.gen(function*() {
        const endpoint = protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint
        const port = yield* Effect.scoped(Effect.gen(function*() {
          const { client, server } = yield* startEcho()
          const replies = yield* Stream.runCollect(client.chat(Stream.make({ text: "ping" }, { text: "pong" })))
          expect(replies).toEqual([{ text: "PING" }, { text: "PONG" }])
          return server.port
        })).pipe(
          Effect.provide(Observability.layer({
            service: { name: `grpc-delivery-${protocol}` },
            config: {
              tracing: { protocol, endpoint },
              metrics: { protocol, endpoint, legacyRpcMetrics: true }
            },
            variables: {}
          }))
        )
        // The layer is closed: everything was flushed at shutdown.
        const spans = receiver.spans().filter((span) => span.name === "test.echo.v1.Echo/Chat")
        expect(spans.map((span) => span.kind).sort()).toEqual([2, 3])
        const server = spans.find((span) => span.kind === 2)!
        const client = spans.find((span) => span.kind === 3)!
        expect(server.traceId).toBe(client.traceId)
        expect(server.parentSpanId).toBe(client.spanId)
        expect(server.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.method": "Chat", "rpc.grpc.status_code": 0 })
        const events = (span: typeof server) =>
          span.events.map((event) => [
            event.name,
            event.attributes["rpc.message.type"],
            event.attributes["rpc.message.id"],
            event.attributes["rpc.message.uncompressed_size"]
          ]).sort((a, b) => String(a[1]).localeCompare(String(b[1])) || Number(a[2]) - Number(b[2]))
        expect(events(server)).toEqual([
          ["rpc.message", "RECEIVED", 1, size({ text: "ping" })],
          ["rpc.message", "RECEIVED", 2, size({ text: "pong" })],
          ["rpc.message", "SENT", 1, size({ text: "PING" })],
          ["rpc.message", "SENT", 2, size({ text: "PONG" })]
        ])
        expect(events(client).map(([, type, id]) => `${type}${id}`)).toEqual(["RECEIVED1", "RECEIVED2", "SENT1", "SENT2"])

        // Effect's metric registry is the process's: series of other tests' servers are left out by port.
        const points = (name: string) =>
          receiver.metrics().filter((metric) => metric.name === name).flatMap((metric) => metric.dataPoints)
            .filter((point) => point.attributes["server.port"] === port || point.attributes["server.port"] === undefined)
        for (const name of ["rpc.server.call.duration", "rpc.client.call.duration"]) {
          expect(points(name).map((point) => [point.attributes["rpc.method"], point.attributes["rpc.status_code"]]))
            .toEqual([["test.echo.v1.Echo/Chat", "OK"]])
        }
        const metric = receiver.metrics().find((metric) => metric.name === "rpc.server.call.duration")!
        expect(metric.unit).toBe("s")
        // With metrics.legacyRpcMetrics, the names of semantic conventions 1.37 too, in milliseconds.
        expect(points("rpc.client.duration").map((point) => [point.attributes["rpc.method"], point.attributes["rpc.grpc.status_code"]]))
          .toEqual([["Chat", 0]])
        expect(receiver.metrics().find((metric) => metric.name === "rpc.client.duration")?.unit).toBe("ms")
      }))
  })
}
