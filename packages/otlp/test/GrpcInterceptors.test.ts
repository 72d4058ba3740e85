/**
 * The interceptors with providers given as options (no global registered), on a plain grpc-js
 * server and client: spans through the given tracer provider, context through the given
 * propagator, the metric options (off, legacy names, health checks counted).
 */
import * as Grpc from "@grpc/grpc-js"
import { W3CTraceContextPropagator } from "@opentelemetry/core"
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { afterEach, describe, expect, it } from "vitest"
import * as GrpcInterceptors from "../src/GrpcInterceptors.js"

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown
}
const method = (path: string): Grpc.MethodDefinition<unknown, unknown> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize
})
const Definition: Grpc.ServiceDefinition = {
  Echo: method("/test.engine.v1.Echo/Echo"),
  Check: method("/grpc.health.v1.Health/Check")
}

const cleanup: Array<() => void> = []
afterEach(() => {
  for (const close of cleanup.splice(0)) close()
})

const start = async (options: GrpcInterceptors.Options) => {
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const all = { ...options, tracerProvider, meterProvider, propagator: new W3CTraceContextPropagator() }
  const server = new Grpc.Server()
  const seen: Array<string | undefined> = []
  server.addService(Definition, GrpcInterceptors.instrumentService(Definition, {
    Echo: (call: Grpc.ServerUnaryCall<unknown, unknown>, callback: Grpc.sendUnaryData<unknown>) => {
      seen.push(call.metadata.get("traceparent")[0] as string | undefined)
      callback(null, call.request)
    },
    Check: (_call: unknown, callback: Grpc.sendUnaryData<unknown>) => callback(null, { status: "SERVING" })
  }, all))
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", Grpc.ServerCredentials.createInsecure(), (error, port) =>
      error === null ? resolve(port) : reject(error))
  )
  const target = `127.0.0.1:${port}`
  const Client = Grpc.makeGenericClientConstructor(Definition, "Echo")
  const client = new Client(target, Grpc.credentials.createInsecure(), {
    interceptors: [GrpcInterceptors.clientInterceptor({ ...all, target })]
  }) as unknown as Record<string, (request: unknown, callback: (error: Grpc.ServiceError | null, value?: unknown) => void) => void> & Grpc.Client
  cleanup.push(() => client.close(), () => server.forceShutdown())
  const call = (name: "Echo" | "Check", request: unknown) =>
    new Promise<unknown>((resolve, reject) => client[name]!(request, (error, value) => (error === null ? resolve(value) : reject(error))))
  const metrics = async () => {
    const { resourceMetrics } = await reader.collect()
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => ({
      name: metric.descriptor.name,
      unit: metric.descriptor.unit,
      points: metric.dataPoints.map((point) => point.attributes)
    }))
  }
  return { spans, call, metrics, seen, port }
}

describe("GrpcInterceptors with providers as options", () => {
  it("traces through the given provider, propagates with the given propagator, records the metrics", async () => {
    const { call, metrics, port, seen, spans } = await start({})
    expect(await call("Echo", { hello: "world" })).toEqual({ hello: "world" })
    const finished = spans.getFinishedSpans()
    expect(finished.map((span) => [span.name, span.kind])).toEqual([
      ["test.engine.v1.Echo/Echo", 1],
      ["test.engine.v1.Echo/Echo", 2]
    ])
    const [server, client] = finished
    expect(server!.parentSpanContext?.spanId).toBe(client!.spanContext().spanId)
    expect(seen[0]).toBe(`00-${client!.spanContext().traceId}-${client!.spanContext().spanId}-01`)
    expect(client!.attributes).toMatchObject({ "server.address": "127.0.0.1", "server.port": port, "rpc.grpc.status_code": 0 })
    expect(await metrics()).toEqual([
      {
        name: "rpc.server.call.duration",
        unit: "s",
        points: [{
          "rpc.system.name": "grpc",
          "rpc.method": "test.engine.v1.Echo/Echo",
          "rpc.status_code": "OK",
          "server.address": "127.0.0.1",
          "server.port": port
        }]
      },
      { name: "rpc.client.call.duration", unit: "s", points: [expect.objectContaining({ "rpc.status_code": "OK" })] }
    ])
  })

  it("metrics: false records none, and keeps the spans", async () => {
    const { call, metrics, spans } = await start({ metrics: false })
    await call("Echo", {})
    expect(spans.getFinishedSpans()).toHaveLength(2)
    expect((await metrics()).flatMap((metric) => metric.points)).toEqual([])
  })

  it("legacyMetrics adds the 1.37 names in ms; includeHealth counts health checks, still without spans", async () => {
    const { call, metrics, spans } = await start({ legacyMetrics: true, includeHealth: true })
    await call("Check", {})
    expect(spans.getFinishedSpans()).toEqual([])
    const collected = (await metrics()).sort((a, b) => a.name.localeCompare(b.name))
    expect(collected.map((metric) => [metric.name, metric.unit, metric.points.length])).toEqual([
      ["rpc.client.call.duration", "s", 1],
      ["rpc.client.duration", "ms", 1],
      ["rpc.server.call.duration", "s", 1],
      ["rpc.server.duration", "ms", 1]
    ])
    expect(collected[3]!.points[0]).toEqual({
      "rpc.system": "grpc",
      "rpc.service": "grpc.health.v1.Health",
      "rpc.method": "Check",
      "rpc.grpc.status_code": 0
    })
  })
})
