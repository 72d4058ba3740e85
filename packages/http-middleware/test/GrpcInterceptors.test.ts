/**
 * The plain grpc-js interceptors of the engine, under the Effect 3 line's observability layer
 * (which registers the global OpenTelemetry providers they use): a plain grpc-js server and
 * client with only the interceptors produce the same spans and metrics as the Effect-wrapped
 * server and client, for every kind of call.
 */
import * as Grpc from "@grpc/grpc-js"
import { describe, expect, it } from "@effect/vitest"
import * as GrpcInterceptors from "@lingo-obs/otlp/GrpcInterceptors"
import { MetricsTest } from "@lingo-obs/metrics"
import { TracingTest } from "@lingo-obs/tracing"
import { trace } from "@opentelemetry/api"
import { Chunk, Effect, Stream, Tracer } from "effect"
import { GrpcClient, GrpcServer, GrpcStatus } from "../src/index.js"
import { metricPoints, ObservabilityTest, waitForSpans } from "./support.js"

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown
}
const method = (name: string, requestStream: boolean, responseStream: boolean): Grpc.MethodDefinition<unknown, unknown> => ({
  path: `/test.plain.v1.Numbers/${name}`,
  requestStream,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
  originalName: name.charAt(0).toLowerCase() + name.slice(1)
})
const NumbersDefinition: Grpc.ServiceDefinition = {
  Get: method("Get", false, false),
  Sum: method("Sum", true, false),
  Count: method("Count", false, true),
  Double: method("Double", true, true)
}
interface N {
  readonly n: number
}

// --- The same service twice: Effect handlers, and plain grpc-js handlers wrapped by the engine.

const effectService = GrpcServer.service(NumbersDefinition, {
  get: GrpcServer.unary((request: N) =>
    request.n < 0 ? Effect.fail(GrpcStatus.notFound(`no ${request.n}`)) : Effect.succeed({ n: request.n })
  ),
  sum: GrpcServer.clientStreaming((requests: Stream.Stream<N, GrpcStatus.GrpcStatusError>) =>
    Stream.runFold(requests, 0, (sum, { n }) => sum + n).pipe(Effect.map((n) => ({ n })))
  ),
  count: GrpcServer.serverStreaming((request: N) =>
    request.n < 0
      ? Stream.concat(Stream.make({ n: 1 }), Stream.fail(GrpcStatus.make(GrpcStatus.Code.INTERNAL, "broke")))
      : Stream.map(Stream.range(1, request.n), (n) => ({ n }))
  ),
  double: GrpcServer.bidiStreaming((requests: Stream.Stream<N, GrpcStatus.GrpcStatusError>) =>
    Stream.map(requests, ({ n }) => ({ n: n * 2 }))
  )
})

const plainHandlers = {
  get: (call: Grpc.ServerUnaryCall<N, N>, callback: Grpc.sendUnaryData<N>) => {
    if (call.request.n < 0) callback({ code: Grpc.status.NOT_FOUND, details: `no ${call.request.n}` })
    else callback(null, { n: call.request.n })
  },
  sum: (call: Grpc.ServerReadableStream<N, N>, callback: Grpc.sendUnaryData<N>) => {
    let sum = 0
    call.on("data", ({ n }: N) => (sum += n))
    call.on("end", () => callback(null, { n: sum }))
  },
  count: (call: Grpc.ServerWritableStream<N, N>) => {
    if (call.request.n < 0) {
      call.write({ n: 1 })
      call.emit("error", { code: Grpc.status.INTERNAL, details: "broke" })
      return
    }
    for (let n = 1; n <= call.request.n; n++) call.write({ n })
    call.end()
  },
  double: (call: Grpc.ServerDuplexStream<N, N>) => {
    call.on("data", ({ n }: N) => call.write({ n: n * 2 }))
    call.on("end", () => call.end())
  }
}

interface EffectClient {
  readonly get: GrpcClient.Unary<N, N>
  readonly sum: GrpcClient.ClientStreaming<N, N>
  readonly count: GrpcClient.ServerStreaming<N, N>
  readonly double: GrpcClient.BidiStreaming<N, N>
}

/** The same calls through either client: OK and failing unary, client-streaming, server-streaming (OK and failing), bidi. */
interface Calls {
  readonly get: (n: number) => Effect.Effect<unknown>
  readonly sum: (ns: ReadonlyArray<number>) => Effect.Effect<unknown>
  readonly count: (n: number) => Effect.Effect<unknown>
  readonly double: (ns: ReadonlyArray<number>) => Effect.Effect<unknown>
}

/** An Effect call's outcome as the plain client reports it: the value, or the status code. */
const settled = <A>(effect: Effect.Effect<A, GrpcStatus.GrpcStatusError>): Effect.Effect<Either> =>
  Effect.match(effect, {
    onFailure: (error): Either => ({ _tag: "Left", left: { code: error.code } }),
    onSuccess: (right): Either => ({ _tag: "Right", right })
  })

const effectCalls = (client: EffectClient): Calls => ({
  get: (n) => settled(client.get({ n })),
  sum: (ns) => settled(client.sum(Stream.fromIterable(ns.map((n) => ({ n }))))),
  count: (n) => settled(Stream.runCollect(client.count({ n })).pipe(Effect.map(Chunk.toReadonlyArray))),
  double: (ns) =>
    settled(Stream.runCollect(client.double(Stream.fromIterable(ns.map((n) => ({ n }))))).pipe(Effect.map(Chunk.toReadonlyArray)))
})

type Either = { readonly _tag: "Right"; readonly right: unknown } | { readonly _tag: "Left"; readonly left: { code: number } }

/** A plain grpc-js client's calls, as Effects that settle like `Effect.either` of the Effect client's. */
const plainCalls = (client: Grpc.Client): Calls => {
  const settle = (run: (done: (error: Grpc.ServiceError | null, value?: unknown) => void) => void) =>
    Effect.async<Either>((resume) =>
      run((error, value) =>
        resume(Effect.succeed(
          error === null ? { _tag: "Right", right: value } : { _tag: "Left", left: { code: error.code } }
        ))
      )
    )
  const collect = (stream: Grpc.ClientReadableStream<unknown>, done: (error: Grpc.ServiceError | null, value?: unknown) => void) => {
    const all: Array<unknown> = []
    stream.on("data", (message) => all.push(message))
    stream.on("error", (error: Grpc.ServiceError) => done(error))
    stream.on("end", () => done(null, all))
  }
  const c = client as unknown as Record<string, (...args: Array<any>) => any>
  return {
    get: (n) => settle((done) => c.get!({ n }, done)),
    sum: (ns) =>
      settle((done) => {
        const call = c.sum!(done) as Grpc.ClientWritableStream<N>
        for (const n of ns) call.write({ n })
        call.end()
      }),
    count: (n) => settle((done) => collect(c.count!({ n }), done)),
    double: (ns) =>
      settle((done) => {
        const call = c.double!() as Grpc.ClientDuplexStream<N, N>
        collect(call, done)
        for (const n of ns) call.write({ n })
        call.end()
      })
  }
}

const scenario = (calls: Calls) =>
  Effect.gen(function*() {
    const results = [
      yield* calls.get(7),
      yield* calls.get(-1),
      yield* calls.sum([1, 20, 300]),
      yield* calls.count(3),
      yield* calls.count(-1),
      yield* calls.double([1, 2, 50])
    ]
    return JSON.parse(JSON.stringify(results)) as unknown
  }).pipe(Effect.withSpan("caller"))

/** What must be the same whichever side made a span: all but ids, times and ports. */
const normalize = (spans: ReadonlyArray<TracingTest.FinishedSpan>) => {
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  return spans
    .filter((span) => span.kind === "server" || span.kind === "client")
    .map((span) => {
      const { "network.peer.port": peerPort, "server.port": serverPort, ...attributes } = span.attributes as Record<string, unknown>
      return {
        name: span.name,
        kind: span.kind,
        status: span.status,
        parent: byId.get(span.parentSpanId ?? "")?.name ?? null,
        parentKind: byId.get(span.parentSpanId ?? "")?.kind ?? null,
        attributes,
        hasPorts: typeof peerPort === "number" || typeof serverPort === "number",
        messages: span.events.filter((event) => event.name === "rpc.message").map((event) => event.attributes)
      }
    })
    .sort((a, b) => JSON.stringify([a.name, a.kind, a.attributes]).localeCompare(JSON.stringify([b.name, b.kind, b.attributes])))
}

const durationPoints = (name: string) =>
  Effect.map(metricPoints(name), (points) =>
    points
      .map((point) => {
        const { "server.port": port, unit: _unit, ...attributes } = point.attributes as Record<string, unknown>
        return { attributes, count: (point as { count?: number }).count, hasPort: typeof port === "number" }
      })
      .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes))))

const SPAN_COUNT = 6 * 2 + 1

describe("GrpcInterceptors (engine) on a plain grpc-js server and client", () => {
  it.scopedLive("give the same spans, message events and metrics as the Effect-wrapped server and client", () =>
    Effect.gen(function*() {
      // The Effect-wrapped pair.
      yield* MetricsTest.reset
      const server = yield* GrpcServer.make([effectService])
      const effectClient = yield* GrpcClient.dial<EffectClient>(NumbersDefinition, server.address)
      const effectResults = yield* scenario(effectCalls(effectClient))
      const effectSpans = normalize(yield* waitForSpans((spans) => spans.length === SPAN_COUNT, "the Effect pair's spans"))
      const effectMetrics = {
        server: yield* durationPoints("rpc.server.call.duration"),
        client: yield* durationPoints("rpc.client.call.duration")
      }

      // The plain pair, with only the interceptors.
      yield* TracingTest.reset
      yield* MetricsTest.reset
      const plainServer = new Grpc.Server()
      plainServer.addService(NumbersDefinition, GrpcInterceptors.instrumentService(NumbersDefinition, plainHandlers))
      const port = yield* Effect.async<number>((resume) =>
        plainServer.bindAsync("127.0.0.1:0", Grpc.ServerCredentials.createInsecure(), (error, port) =>
          resume(error === null ? Effect.succeed(port) : Effect.die(error)))
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => plainServer.forceShutdown()))
      const target = `127.0.0.1:${port}`
      const Numbers = Grpc.makeGenericClientConstructor(NumbersDefinition, "Numbers")
      const plainClient = new Numbers(target, Grpc.credentials.createInsecure(), {
        interceptors: [GrpcInterceptors.clientInterceptor({ target, services: [NumbersDefinition] })]
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => plainClient.close()))
      const plainResults = yield* scenario(plainCalls(plainClient))
      const plainSpans = normalize(yield* waitForSpans((spans) => spans.length === SPAN_COUNT, "the plain pair's spans"))
      const plainMetrics = {
        server: yield* durationPoints("rpc.server.call.duration"),
        client: yield* durationPoints("rpc.client.call.duration")
      }

      expect(plainResults).toEqual(effectResults)
      expect(effectResults).toEqual([
        { _tag: "Right", right: { n: 7 } },
        { _tag: "Left", left: { code: Grpc.status.NOT_FOUND } },
        { _tag: "Right", right: { n: 321 } },
        { _tag: "Right", right: [{ n: 1 }, { n: 2 }, { n: 3 }] },
        { _tag: "Left", left: { code: Grpc.status.INTERNAL } },
        { _tag: "Right", right: [{ n: 2 }, { n: 4 }, { n: 100 }] }
      ])
      expect(plainSpans).toEqual(effectSpans)
      expect(plainMetrics).toEqual(effectMetrics)

      // What they both show, spelled out once.
      const sum = plainSpans.filter((span) => span.name === "test.plain.v1.Numbers/Sum")
      expect(sum.map((span) => [span.kind, span.parentKind ?? span.parent])).toEqual([["client", "internal"], ["server", "client"]])
      expect(sum[1]!.messages).toEqual([
        { "rpc.message.type": "RECEIVED", "rpc.message.id": 1, "rpc.message.uncompressed_size": 7 },
        { "rpc.message.type": "RECEIVED", "rpc.message.id": 2, "rpc.message.uncompressed_size": 8 },
        { "rpc.message.type": "RECEIVED", "rpc.message.id": 3, "rpc.message.uncompressed_size": 9 },
        { "rpc.message.type": "SENT", "rpc.message.id": 1, "rpc.message.uncompressed_size": 9 }
      ])
      const failedCount = plainSpans.filter((span) => span.name.endsWith("/Count") && span.attributes["rpc.grpc.status_code"] === 13)
      expect(failedCount.map((span) => [span.kind, span.status, span.attributes["error.type"]]))
        .toEqual([["client", "error", "INTERNAL"], ["server", "error", "INTERNAL"]])
      expect(plainMetrics.server.map((point) => [point.attributes["rpc.method"], point.attributes["rpc.status_code"], point.count]))
        .toEqual([
          ["test.plain.v1.Numbers/Count", "INTERNAL", 1],
          ["test.plain.v1.Numbers/Count", "OK", 1],
          ["test.plain.v1.Numbers/Double", "OK", 1],
          ["test.plain.v1.Numbers/Get", "NOT_FOUND", 1],
          ["test.plain.v1.Numbers/Get", "OK", 1],
          ["test.plain.v1.Numbers/Sum", "OK", 1]
        ])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("continue a foreign trace, run handlers in the server span's context, end spans on cancel, deadline and throw", () =>
    Effect.gen(function*() {
      const seenInHandler: Array<string | undefined> = []
      const HangDefinition: Grpc.ServiceDefinition = {
        Get: method("Get", false, false),
        Hang: { ...method("Hang", false, false), path: "/test.plain.v1.Numbers/Hang" },
        Throw: { ...method("Throw", false, false), path: "/test.plain.v1.Numbers/Throw" },
        Double: method("Double", true, true),
        Check: { ...method("Check", false, false), path: "/grpc.health.v1.Health/Check" }
      }
      const plainServer = new Grpc.Server()
      plainServer.addService(
        HangDefinition,
        GrpcInterceptors.instrumentService(HangDefinition, {
          get: (call: Grpc.ServerUnaryCall<N, N>, callback: Grpc.sendUnaryData<N>) => {
            seenInHandler.push(trace.getActiveSpan()?.spanContext().traceId)
            setTimeout(() => callback(null, call.request), 1)
          },
          hang: () => {},
          throw: () => {
            throw new Error("handler bug")
          },
          double: plainHandlers.double,
          check: (_call: unknown, callback: Grpc.sendUnaryData<unknown>) => callback(null, { status: "SERVING" })
        })
      )
      const port = yield* Effect.async<number>((resume) =>
        plainServer.bindAsync("127.0.0.1:0", Grpc.ServerCredentials.createInsecure(), (error, port) =>
          resume(error === null ? Effect.succeed(port) : Effect.die(error)))
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => plainServer.forceShutdown()))
      const Client = Grpc.makeGenericClientConstructor(HangDefinition, "Numbers")
      // No `services`: received messages are counted without a size.
      const client = new Client(`127.0.0.1:${port}`, Grpc.credentials.createInsecure(), {
        interceptors: [GrpcInterceptors.clientInterceptor()]
      }) as unknown as Record<string, (...args: Array<any>) => any> & Grpc.Client
      yield* Effect.addFinalizer(() => Effect.sync(() => client.close()))
      const unary = (name: string, request: unknown, options: Grpc.CallOptions = {}) =>
        Effect.async<number>((resume) => {
          const call = client[name]!(request, new Grpc.Metadata(), options, (error: Grpc.ServiceError | null) =>
            resume(Effect.succeed(error === null ? 0 : error.code))) as Grpc.ClientUnaryCall
          if (name === "hang" && options.deadline === undefined) setTimeout(() => call.cancel(), 100)
        })

      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
      expect(yield* unary("get", { n: 1 }).pipe(
        Effect.withParentSpan(Tracer.externalSpan({ traceId, spanId: "00f067aa0ba902b7", sampled: true }))
      )).toBe(0)
      expect(yield* unary("hang", { n: 1 })).toBe(Grpc.status.CANCELLED)
      expect(yield* unary("hang", { n: 1 }, { deadline: Date.now() + 150 })).toBe(Grpc.status.DEADLINE_EXCEEDED)
      expect(yield* unary("throw", { n: 1 })).toBe(Grpc.status.UNKNOWN)
      expect(yield* unary("check", {})).toBe(0)
      const replies = yield* Effect.async<ReadonlyArray<unknown>>((resume) => {
        const call = client["double"]!() as Grpc.ClientDuplexStream<N, N>
        const all: Array<unknown> = []
        call.on("data", (message) => all.push(message))
        call.on("end", () => resume(Effect.succeed(all)))
        call.write({ n: 5 })
        call.end()
      })
      expect(replies).toEqual([{ n: 10 }])

      const spans = yield* waitForSpans((spans) => spans.filter((span) => span.kind === "server").length === 5)
      const get = spans.filter((span) => span.name.endsWith("/Get"))
      expect(get.map((span) => span.traceId)).toEqual([traceId, traceId])
      expect(get.find((span) => span.kind === "client")!.parentSpanId).toBe("00f067aa0ba902b7")
      const getServer = get.find((span) => span.kind === "server")!
      expect(getServer.parentSpanId).toBe(get.find((span) => span.kind === "client")!.spanId)
      expect(seenInHandler).toEqual([traceId])
      const codes = (side: "server" | "client") =>
        spans.filter((span) => span.kind === side && !span.name.endsWith("/Get") && !span.name.endsWith("/Double"))
          .map((span) => [span.name.split("/")[1], span.attributes["rpc.grpc.status_code"], span.status])
      expect(codes("server")).toEqual([
        ["Hang", Grpc.status.CANCELLED, "unset"],
        ["Hang", Grpc.status.DEADLINE_EXCEEDED, "error"],
        ["Throw", Grpc.status.UNKNOWN, "error"]
      ])
      expect(codes("client")).toEqual([
        ["Hang", Grpc.status.CANCELLED, "error"],
        ["Hang", Grpc.status.DEADLINE_EXCEEDED, "error"],
        ["Throw", Grpc.status.UNKNOWN, "error"]
      ])
      // The health check: no span on either side.
      expect(spans.map((span) => span.name)).not.toContain("grpc.health.v1.Health/Check")
      const double = spans.find((span) => span.kind === "client" && span.name.endsWith("/Double"))!
      expect(double.events.map((event) => event.attributes)).toEqual([
        { "rpc.message.type": "SENT", "rpc.message.id": 1, "rpc.message.uncompressed_size": 7 },
        { "rpc.message.type": "RECEIVED", "rpc.message.id": 1 }
      ])
      const methods = (yield* metricPoints("rpc.server.call.duration")).map((point) => point.attributes["rpc.method"])
      expect(methods).not.toContain("grpc.health.v1.Health/Check")
    }).pipe(Effect.provide(ObservabilityTest)))
})
