import type * as Grpc from "@grpc/grpc-js"
import { describe, expect, it } from "@effect/vitest"
import { Instrumentation } from "@lingo-obs/core"
import { MetricsTest } from "@lingo-obs/metrics"
import type { TracingTest } from "@lingo-obs/tracing"
import { Cause, Data, Deferred, Effect, Exit, Fiber, Layer, Option, Stream, Tracer } from "effect"
import { Baggage, GrpcClient, GrpcServer, GrpcStatus } from "../src/index.js"
import { metricPoints, ObservabilityTest, waitFor, waitForSpans } from "./support.js"

// A hand-built service with JSON messages: what a proto-loader definition looks like to grpc-js.
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown
}
const method = (service: string, name: string, responseStream: boolean): Grpc.MethodDefinition<unknown, unknown> => ({
  path: `/${service}/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
  originalName: name.charAt(0).toLowerCase() + name.slice(1)
})
const EchoDefinition: Grpc.ServiceDefinition = {
  Get: method("test.echo.v1.Echo", "Get", false),
  Fail: method("test.echo.v1.Echo", "Fail", false),
  Slow: method("test.echo.v1.Echo", "Slow", false),
  List: method("test.echo.v1.Echo", "List", true)
}
const HealthDefinition: Grpc.ServiceDefinition = { Check: method("grpc.health.v1.Health", "Check", false) }

interface EchoClient {
  readonly get: GrpcClient.Unary<{ readonly id: string }, { readonly id: string; readonly tenant: string | null }>
  readonly fail: GrpcClient.Unary<{ readonly how: "not_found" | "typed" | "defect" }, never>
  readonly slow: GrpcClient.Unary<{}, never>
  readonly list: GrpcClient.ServerStreaming<{ readonly count: number; readonly failAt?: number }, { readonly n: number }>
}
interface HealthClient {
  readonly check: GrpcClient.Unary<{}, { readonly status: string }>
}

class Ledger extends Data.TaggedError("Ledger")<{ readonly secret: string }> {}

/** Starts the echo and health services on a free port, and clients for them. */
const startServer = (options: GrpcServer.Options = {}) =>
  Effect.gen(function*() {
    const slowStarted = yield* Deferred.make<void>()
    const slowInterrupted = yield* Deferred.make<void>()
    const echo = GrpcServer.service(EchoDefinition, {
      get: GrpcServer.unary((request: { id: string }) =>
        Effect.gen(function*() {
          yield* Effect.void.pipe(Effect.withSpan("lookup"))
          const tenant = yield* Baggage.getEntry("tenant")
          return { id: request.id, tenant: Option.getOrNull(tenant) }
        })
      ),
      Fail: GrpcServer.unary((request: { how: string }): Effect.Effect<never, GrpcStatus.GrpcStatusError | Ledger> =>
        request.how === "not_found"
          ? Effect.fail(GrpcStatus.notFound("no such echo"))
          : request.how === "typed"
          ? Effect.fail(new Ledger({ secret: "db password is hunter2" }))
          : Effect.die(new Error("db password is hunter2"))
      ),
      slow: GrpcServer.unary(() =>
        Deferred.succeed(slowStarted, void 0).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Deferred.succeed(slowInterrupted, void 0))
        )
      ),
      list: GrpcServer.serverStreaming((request: { count: number; failAt?: number }) =>
        Stream.range(1, request.count).pipe(
          Stream.mapEffect((n) =>
            n === request.failAt ? Effect.fail(GrpcStatus.resourceExhausted(`stopped at ${n}`)) : Effect.succeed({ n })
          )
        )
      )
    })
    const health = GrpcServer.service(HealthDefinition, {
      Check: GrpcServer.unary(() => Effect.succeed({ status: "SERVING" }))
    })
    const server = yield* GrpcServer.make([echo, health], options)
    const client = yield* GrpcClient.dial<EchoClient>(EchoDefinition, server.address)
    const healthClient = yield* GrpcClient.dial<HealthClient>(HealthDefinition, server.address)
    return { server, client, healthClient, slowStarted, slowInterrupted }
  })

const kind = (spans: ReadonlyArray<TracingTest.FinishedSpan>, kind: TracingTest.FinishedSpan["kind"]) =>
  spans.filter((span) => span.kind === kind)

const settings = (overrides: Partial<Instrumentation.SettingsShape>) =>
  Layer.succeed(Instrumentation.Settings, {
    requestMetrics: true,
    grpcMetrics: true,
    grpcIncludeHealth: false,
    ...overrides
  })

describe("GrpcServer and GrpcClient", () => {
  it.scopedLive("traces a unary call: client span → server span → business span, with rpc attributes", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const { client, server } = yield* startServer()
      const reply = yield* client.get({ id: "42" }).pipe(Effect.withSpan("caller"))
      expect(reply).toEqual({ id: "42", tenant: null })

      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1 && spans.length === 4)
      const caller = spans.find((span) => span.name === "caller")!
      const [clientSpan] = kind(spans, "client")
      const [serverSpan] = kind(spans, "server")
      const lookup = spans.find((span) => span.name === "lookup")!
      expect(clientSpan!.name).toBe("test.echo.v1.Echo/Get")
      expect(serverSpan!.name).toBe("test.echo.v1.Echo/Get")
      expect(clientSpan!.parentSpanId).toBe(caller.spanId)
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      expect(lookup.parentSpanId).toBe(serverSpan!.spanId)
      expect(new Set(spans.map((span) => span.traceId)).size).toBe(1)
      const rpc = { "rpc.system": "grpc", "rpc.service": "test.echo.v1.Echo", "rpc.method": "Get", "rpc.grpc.status_code": 0 }
      expect(serverSpan!.attributes).toMatchObject({ ...rpc, "server.address": "127.0.0.1", "server.port": server.port })
      expect(serverSpan!.attributes["network.peer.address"]).toBe("127.0.0.1")
      // Status OK from the server is no judgement of the instrumentation's: the span stays Unset.
      expect(serverSpan!.status).toBe("unset")
      expect(clientSpan!.attributes).toMatchObject({ ...rpc, "server.address": "127.0.0.1", "server.port": server.port })

      // Semantic conventions 1.38+: seconds, `rpc.system.name`, fully-qualified `rpc.method`, `rpc.status_code`.
      const serverDuration = yield* MetricsTest.find("rpc.server.call.duration")
      expect(serverDuration).toMatchObject({ type: "histogram", unit: "s" })
      expect(serverDuration!.points).toHaveLength(1)
      expect(serverDuration!.points[0]!.attributes).toEqual({
        "rpc.system.name": "grpc",
        "rpc.method": "test.echo.v1.Echo/Get",
        "rpc.status_code": "OK",
        "server.address": "127.0.0.1",
        "server.port": server.port
      })
      expect(serverDuration!.points[0]!.boundaries).toEqual([
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
      ])
      const clientDuration = yield* MetricsTest.find("rpc.client.call.duration")
      expect(clientDuration).toMatchObject({ type: "histogram", unit: "s" })
      expect(clientDuration!.points[0]!.attributes).toMatchObject({
        "rpc.method": "test.echo.v1.Echo/Get",
        "rpc.status_code": "OK"
      })
      // The names of 1.37 and earlier only with `metrics.legacyRpcMetrics`.
      expect(yield* metricPoints("rpc.server.duration")).toEqual([])
      expect(yield* metricPoints("rpc.client.duration")).toEqual([])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("carries a foreign trace and the baggage through the metadata", () =>
    Effect.gen(function*() {
      const { client } = yield* startServer()
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
      const reply = yield* client.get({ id: "1" }).pipe(
        Baggage.withEntries({ tenant: "acme" }),
        Effect.withParentSpan(Tracer.externalSpan({ traceId, spanId: "00f067aa0ba902b7", sampled: true }))
      )
      expect(reply.tenant).toBe("acme")
      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1 && spans.length === 3)
      const [clientSpan] = kind(spans, "client")
      expect(clientSpan!.parentSpanId).toBe("00f067aa0ba902b7")
      expect(spans.every((span) => span.traceId === traceId)).toBe(true)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("maps failures to statuses: GrpcStatusError its own, others UNKNOWN, defects INTERNAL; the server survives", () =>
    Effect.gen(function*() {
      const { client } = yield* startServer()
      const notFound = yield* Effect.flip(client.fail({ how: "not_found" }))
      expect(notFound).toMatchObject({ _tag: "GrpcStatusError", code: GrpcStatus.Code.NOT_FOUND, message: "no such echo" })
      const typed = yield* Effect.flip(client.fail({ how: "typed" }))
      expect(typed).toMatchObject({ code: GrpcStatus.Code.UNKNOWN, message: "Unknown error" })
      const defect = yield* Effect.flip(client.fail({ how: "defect" }))
      expect(defect).toMatchObject({ code: GrpcStatus.Code.INTERNAL, message: "Internal error" })
      expect(yield* client.get({ id: "still-up" })).toMatchObject({ id: "still-up" })

      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 4)
      const servers = kind(spans, "server").filter((span) => span.name.endsWith("/Fail"))
      expect(servers.map((span) => [span.attributes["rpc.grpc.status_code"], span.status, span.attributes["error.type"]]))
        .toEqual([[5, "unset", undefined], [2, "error", "Ledger"], [13, "error", "Error"]])
      // The client side marks every non-OK status as an error.
      const clients = kind(spans, "client").filter((span) => span.name.endsWith("/Fail"))
      expect(clients.map((span) => [span.attributes["rpc.grpc.status_code"], span.status, span.attributes["error.type"]]))
        .toEqual([[5, "error", "NOT_FOUND"], [2, "error", "UNKNOWN"], [13, "error", "INTERNAL"]])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("streams server-streaming responses, and ends the call with the stream's failure status", () =>
    Effect.gen(function*() {
      const { client } = yield* startServer()
      const all = yield* Stream.runCollect(client.list({ count: 5 }))
      expect([...all].map((message) => message.n)).toEqual([1, 2, 3, 4, 5])
      const [received, failure] = yield* Effect.gen(function*() {
        const received: Array<number> = []
        const failure = yield* Effect.flip(Stream.runForEach(client.list({ count: 5, failAt: 3 }), (m) =>
          Effect.sync(() => received.push(m.n))))
        return [received, failure] as const
      })
      expect(received).toEqual([1, 2])
      expect(failure).toMatchObject({ code: GrpcStatus.Code.RESOURCE_EXHAUSTED, message: "stopped at 3" })
      const firstTwo = yield* Stream.runCollect(Stream.take(client.list({ count: 1000 }), 2))
      expect(firstTwo.length).toBe(2)

      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 3 && kind(spans, "client").length === 3)
      expect(kind(spans, "client").map((span) => span.attributes["rpc.grpc.status_code"])).toEqual([0, 8, 1])
      expect(kind(spans, "server").map((span) => span.name)).toEqual([
        "test.echo.v1.Echo/List",
        "test.echo.v1.Echo/List",
        "test.echo.v1.Echo/List"
      ])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("interrupting the client Effect cancels the call on the server", () =>
    Effect.gen(function*() {
      const { client, slowInterrupted, slowStarted } = yield* startServer()
      const fiber = yield* Effect.fork(client.slow({}))
      yield* Deferred.await(slowStarted)
      const exit = yield* Fiber.interrupt(fiber)
      yield* Deferred.await(slowInterrupted)
      expect(Exit.isInterrupted(exit)).toBe(true)
      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1 && kind(spans, "client").length === 1)
      expect(kind(spans, "server")[0]!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
      expect(kind(spans, "client")[0]!.attributes["rpc.grpc.status_code"]).toBe(GrpcStatus.Code.CANCELLED)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("a timeout becomes the call's deadline: DEADLINE_EXCEEDED on both sides", () =>
    Effect.gen(function*() {
      const { client, slowInterrupted } = yield* startServer()
      const failure = yield* Effect.flip(client.slow({}, { timeout: "100 millis" }))
      expect(failure.code).toBe(GrpcStatus.Code.DEADLINE_EXCEEDED)
      yield* Deferred.await(slowInterrupted)
      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1)
      expect(kind(spans, "server")[0]).toMatchObject({
        status: "error",
        attributes: { "rpc.grpc.status_code": GrpcStatus.Code.DEADLINE_EXCEEDED }
      })
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("metrics.legacyRpcMetrics also records rpc.{server,client}.duration in ms with the old attributes", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const { client } = yield* startServer()
      yield* client.fail({ how: "not_found" }).pipe(Effect.ignore)
      yield* waitForSpans((spans) => kind(spans, "server").length === 1)
      const legacy = yield* MetricsTest.find("rpc.server.duration")
      expect(legacy).toMatchObject({ type: "histogram", unit: "ms" })
      expect(legacy!.points.map((point) => point.attributes)).toEqual([{
        "rpc.system": "grpc",
        "rpc.service": "test.echo.v1.Echo",
        "rpc.method": "Fail",
        "rpc.grpc.status_code": GrpcStatus.Code.NOT_FOUND
      }])
      expect(legacy!.points[0]!.boundaries).toEqual([0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000])
      expect((yield* metricPoints("rpc.client.duration")).map((point) => point.attributes["rpc.method"])).toEqual(["Fail"])
      const current = yield* metricPoints("rpc.server.call.duration")
      expect(current.map((point) => point.attributes["rpc.status_code"])).toEqual(["NOT_FOUND"])
      // NOT_FOUND is the caller's error, not the server's: error.type only on the client side.
      expect(current[0]!.attributes["error.type"]).toBeUndefined()
      const clientPoints = yield* metricPoints("rpc.client.call.duration")
      expect(clientPoints.map((point) => point.attributes["error.type"])).toEqual(["NOT_FOUND"])
    }).pipe(Effect.provide(settings({ legacyRpcMetrics: true })), Effect.provide(ObservabilityTest)))

  it.scopedLive("skips the health check by default: no span and no metric, on either side", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const { client, healthClient } = yield* startServer()
      expect(yield* healthClient.check({})).toEqual({ status: "SERVING" })
      yield* client.get({ id: "1" })
      const spans = yield* waitForSpans((spans) => kind(spans, "server").length === 1)
      expect(spans.map((span) => span.name)).not.toContain("grpc.health.v1.Health/Check")
      const methods = [
        ...(yield* metricPoints("rpc.server.call.duration")),
        ...(yield* metricPoints("rpc.client.call.duration"))
      ].map((point) => point.attributes["rpc.method"])
      expect(methods).toEqual(["test.echo.v1.Echo/Get", "test.echo.v1.Echo/Get"])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("metrics.grpcIncludeHealth counts health checks (still without spans)", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const { healthClient } = yield* startServer()
      yield* healthClient.check({})
      const points = yield* waitFor(
        Effect.map(metricPoints("rpc.server.call.duration"), (points) => points.length > 0 ? points : undefined),
        "the health check's metric"
      )
      expect(points.map((point) => point.attributes["rpc.method"])).toEqual(["grpc.health.v1.Health/Check"])
      expect(yield* metricPoints("rpc.client.call.duration")).toHaveLength(1)
    }).pipe(Effect.provide(settings({ grpcIncludeHealth: true })), Effect.provide(ObservabilityTest)))

  it.scopedLive("metrics.grpcEnabled: false records no gRPC metric, and keeps the spans", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const { client } = yield* startServer()
      yield* client.get({ id: "1" })
      yield* waitForSpans((spans) => kind(spans, "server").length === 1)
      expect(yield* metricPoints("rpc.server.call.duration")).toEqual([])
      expect(yield* metricPoints("rpc.client.call.duration")).toEqual([])
    }).pipe(Effect.provide(settings({ grpcMetrics: false })), Effect.provide(ObservabilityTest)))

  it.scopedLive("refuses, at startup, a handler of the wrong kind or for a method the service lacks", () =>
    Effect.gen(function*() {
      const wrongKind = GrpcServer.service(EchoDefinition, { List: GrpcServer.unary(() => Effect.succeed({})) })
      const exit = yield* Effect.exit(GrpcServer.make([wrongKind]))
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toMatch(/List is server-streaming; use GrpcServer.serverStreaming/)
      const unknown = GrpcServer.service(EchoDefinition, { Nope: GrpcServer.unary(() => Effect.succeed({})) })
      const exit2 = yield* Effect.exit(GrpcServer.make([unknown]))
      expect(Exit.isFailure(exit2) && Cause.pretty(exit2.cause)).toMatch(/"Nope" is not a method/)
    }).pipe(Effect.provide(ObservabilityTest)))
})
