import * as grpc from "@grpc/grpc-js"
import { RetryInfo } from "@lingo-obs/otlp"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics"
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor
} from "@opentelemetry/sdk-trace-base"
import { context, trace } from "@opentelemetry/api"
import { gzipSync } from "node:zlib"
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer
} from "otlp-proto-definitions"
import { describe, expect, it, onTestFinished } from "vitest"

const startReceiver = async (options?: OtlpReceiver.StartOptions): Promise<OtlpReceiver.Receiver> => {
  const receiver = await OtlpReceiver.start(options)
  onTestFinished(() => receiver.stop())
  return receiver
}

const PROTOBUF = "application/x-protobuf"
const JSON_TYPE = "application/json"

const post = (
  receiver: OtlpReceiver.Receiver,
  path: string,
  body: Uint8Array,
  headers: Record<string, string>
): Promise<Response> => fetch(`${receiver.httpEndpoint}${path}`, { method: "POST", body, headers })

/** A parent and a child span with attributes, an event and a link. */
const finishedSpans = async (): Promise<Array<ReadableSpan>> => {
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "checkout" }),
    spanProcessors: [new SimpleSpanProcessor(memory)]
  })
  const tracer = provider.getTracer("checkout-scope", "0.1.0")
  const parent = tracer.startSpan("parent", { attributes: { retries: 3, ratio: 0.5, big: 2 ** 40 } })
  const child = tracer.startSpan(
    "child",
    { attributes: { ok: true, tags: ["a", "b"] }, links: [{ context: parent.spanContext(), attributes: { why: "x" } }] },
    trace.setSpan(context.active(), parent)
  )
  child.addEvent("cache-miss", { key: "cart:42" })
  child.end()
  parent.end()
  const spans = memory.getFinishedSpans()
  await provider.shutdown()
  return [...spans]
}

class ManualReader extends MetricReader {
  protected override onForceFlush = async () => {}
  protected override onShutdown = async () => {}
}

const collectedMetrics = async (): Promise<ResourceMetrics> => {
  const reader = new ManualReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  const provider = new MeterProvider({ resource: resourceFromAttributes({ "service.name": "billing" }), readers: [reader] })
  const meter = provider.getMeter("billing-scope")
  meter.createCounter("requests", { unit: "{request}" }).add(5, { route: "/pay" })
  meter.createHistogram("latency", { unit: "ms" }).record(15)
  const { resourceMetrics } = await reader.collect()
  await provider.shutdown()
  return resourceMetrics
}

const logRecord = (spans: ReadonlyArray<ReadableSpan>) => ({
  hrTime: [1_700_000_000, 5] as [number, number],
  hrTimeObserved: [1_700_000_001, 0] as [number, number],
  spanContext: spans[0]!.spanContext(),
  severityNumber: 9,
  severityText: "INFO",
  body: { message: "paid", amount: 12 },
  attributes: { "order.id": "o-1" },
  droppedAttributesCount: 0,
  resource: resourceFromAttributes({ "service.name": "billing" }),
  instrumentationScope: { name: "billing-logger", version: "2.0.0" }
})

const ENCODINGS = [
  { name: "protobuf", contentType: PROTOBUF, traces: ProtobufTraceSerializer, metrics: ProtobufMetricsSerializer, logs: ProtobufLogsSerializer },
  { name: "JSON", contentType: JSON_TYPE, traces: JsonTraceSerializer, metrics: JsonMetricsSerializer, logs: JsonLogsSerializer }
] as const

describe("OtlpReceiver over OTLP/HTTP", () => {
  describe.each(ENCODINGS)("in $name", (encoding) => {
    it("stores spans, metrics and log records exactly as the gRPC side does", async () => {
      const receiver = await startReceiver()
      const spans = await finishedSpans()
      const tracesBody = encoding.traces.serializeRequest(spans)!
      const answer = await post(receiver, "/v1/traces", tracesBody, { "content-type": encoding.contentType, "x-tenant": "acme" })
      expect(answer.status).toBe(200)
      expect(answer.headers.get("content-type")).toBe(encoding.contentType)

      // The same request over gRPC, to a second receiver: the flat records must be equal.
      const reference = await startReceiver()
      await grpcExport(reference, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", ProtobufTraceSerializer.serializeRequest(spans)!)
      expect(receiver.spans()).toEqual(reference.spans())

      const [parent, child] = [receiver.spans().find((s) => s.name === "parent")!, receiver.spans().find((s) => s.name === "child")!]
      expect(parent.traceId).toBe(spans[0]!.spanContext().traceId)
      expect(child.parentSpanId).toBe(parent.spanId)
      expect(parent.attributes).toEqual({ retries: 3, ratio: 0.5, big: 2 ** 40 })
      expect(child.links).toEqual([{ traceId: parent.traceId, spanId: parent.spanId, attributes: { why: "x" } }])
      expect(child.events).toMatchObject([{ name: "cache-miss", attributes: { key: "cart:42" } }])

      await post(receiver, "/v1/metrics", encoding.metrics.serializeRequest(await collectedMetrics())!, { "content-type": encoding.contentType })
      const counter = await receiver.waitForMetric("requests", 2_000)
      expect(counter).toMatchObject({ type: "sum", isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ value: 5, attributes: { route: "/pay" } }] })
      expect((await receiver.waitForMetric("latency", 2_000)).dataPoints).toMatchObject([{ count: 1, sum: 15, min: 15, max: 15 }])

      await post(receiver, "/v1/logs", encoding.logs.serializeRequest([logRecord(spans)])!, { "content-type": encoding.contentType })
      const [record] = await receiver.waitForLogs(1, 2_000)
      expect(record).toMatchObject({
        timeUnixNano: 1_700_000_000_000_000_005n,
        severityNumber: 9,
        body: { message: "paid", amount: 12 },
        attributes: { "order.id": "o-1" },
        traceId: spans[0]!.spanContext().traceId,
        spanId: spans[0]!.spanContext().spanId,
        resource: { "service.name": "billing" },
        scope: { name: "billing-logger", version: "2.0.0" }
      })

      expect(receiver.requests()).toMatchObject([
        { signal: "traces", transport: "http", encoding: encoding.name === "JSON" ? "json" : "protobuf", items: 2, status: 0, httpStatus: 200 },
        { signal: "metrics", transport: "http", items: 2 },
        { signal: "logs", transport: "http", items: 1 }
      ])
      expect(receiver.requests()[0]!.metadata["x-tenant"]).toBe("acme")
      expect(receiver.counts()).toEqual({ spans: 2, metricPoints: 2, logRecords: 1 })
    })

    it("accepts a gzip body", async () => {
      const receiver = await startReceiver()
      const body = gzipSync(encoding.traces.serializeRequest(await finishedSpans())!)
      const answer = await post(receiver, "/v1/traces", body, { "content-type": encoding.contentType, "content-encoding": "gzip" })
      expect(answer.status).toBe(200)
      expect(receiver.spans().map((span) => span.name).sort()).toEqual(["child", "parent"])
    })

    it("reports a partial success in the response body", async () => {
      const receiver = await startReceiver()
      receiver.setFault({ signal: "traces", rejected: 1, rejectedMessage: "too old" })
      const answer = await post(receiver, "/v1/traces", encoding.traces.serializeRequest(await finishedSpans())!, {
        "content-type": encoding.contentType
      })
      expect(answer.status).toBe(200)
      const response = encoding.traces.deserializeResponse(new Uint8Array(await answer.arrayBuffer()))
      expect(response.partialSuccess).toMatchObject({ errorMessage: "too old" })
      expect(Number(response.partialSuccess?.rejectedSpans)).toBe(1)
    })

    it("answers an injected 429 with Retry-After in seconds and a Status body", async () => {
      const receiver = await startReceiver()
      receiver.setFault({ httpStatus: 429, retryDelayMs: 1_500, times: 1 })
      const body = encoding.traces.serializeRequest(await finishedSpans())!
      const throttled = await post(receiver, "/v1/traces", body, { "content-type": encoding.contentType })
      expect(throttled.status).toBe(429)
      expect(throttled.headers.get("retry-after")).toBe("2")
      const bytes = new Uint8Array(await throttled.arrayBuffer())
      if (encoding.name === "JSON") {
        expect(JSON.parse(Buffer.from(bytes).toString())).toMatchObject({ code: grpc.status.UNAVAILABLE, message: "injected fault: UNAVAILABLE" })
      } else {
        expect(RetryInfo.delayMillis(bytes)).toBe(1_500)
      }
      expect((await post(receiver, "/v1/traces", body, { "content-type": encoding.contentType })).status).toBe(200)
      expect(receiver.requests().map((request) => request.httpStatus)).toEqual([429, 200])
      expect(receiver.stats()).toEqual({ traces: 2, metrics: 0, logs: 0, failed: 1 })
    })
  })

  it("maps a gRPC code to its HTTP status, and passes a raw Retry-After through", async () => {
    const receiver = await startReceiver()
    const body = ProtobufTraceSerializer.serializeRequest(await finishedSpans())!
    const date = new Date(Date.now() + 3_000).toUTCString()
    receiver.setFault({ code: grpc.status.UNAVAILABLE, retryAfter: date, times: 1 })
    const unavailable = await post(receiver, "/v1/traces", body, { "content-type": PROTOBUF })
    expect([unavailable.status, unavailable.headers.get("retry-after")]).toEqual([503, date])
    receiver.setFault({ code: grpc.status.INVALID_ARGUMENT, times: 1 })
    expect((await post(receiver, "/v1/traces", body, { "content-type": PROTOBUF })).status).toBe(400)
    receiver.setFault({ httpStatus: 502, transport: "http", times: 1 })
    expect((await post(receiver, "/v1/traces", body, { "content-type": PROTOBUF })).status).toBe(502)
    expect(receiver.spans()).toEqual([])
  })

  it("a transport-specific fault leaves the other transport alone", async () => {
    const receiver = await startReceiver()
    receiver.setFault({ code: grpc.status.UNAVAILABLE, transport: "grpc" })
    const answer = await post(receiver, "/v1/traces", ProtobufTraceSerializer.serializeRequest(await finishedSpans())!, {
      "content-type": PROTOBUF
    })
    expect(answer.status).toBe(200)
  })

  it("does not store a call whose client gave up during an injected delay", async () => {
    const receiver = await startReceiver()
    receiver.setFault({ delayMs: 500, times: 1 })
    const body = ProtobufTraceSerializer.serializeRequest(await finishedSpans())!
    await expect(
      fetch(`${receiver.httpEndpoint}/v1/traces`, {
        method: "POST",
        body,
        headers: { "content-type": PROTOBUF },
        signal: AbortSignal.timeout(50)
      })
    ).rejects.toThrow()
    const [request] = await receiver.waitFor(() => receiver.requests().length > 0 && receiver.requests(), { timeoutMs: 5_000 })
    expect(request).toMatchObject({ transport: "http", status: grpc.status.CANCELLED })
    expect(receiver.spans()).toEqual([])
  })

  it("refuses what is not an OTLP request with the status a collector answers", async () => {
    const receiver = await startReceiver()
    const body = ProtobufTraceSerializer.serializeRequest(await finishedSpans())!
    expect((await post(receiver, "/v1/other", body, { "content-type": PROTOBUF })).status).toBe(404)
    expect((await fetch(`${receiver.httpEndpoint}/v1/traces`)).status).toBe(405)
    expect((await post(receiver, "/v1/traces", body, { "content-type": "text/plain" })).status).toBe(415)
    expect((await post(receiver, "/v1/traces", Buffer.from("{nope"), { "content-type": JSON_TYPE })).status).toBe(400)
    expect(
      (await post(receiver, "/v1/traces", Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`), {
        "content-type": JSON_TYPE
      })).status
    ).toBe(400)
    expect((await post(receiver, "/v1/traces", body, { "content-type": PROTOBUF, "content-encoding": "br" })).status).toBe(415)
    expect(receiver.spans()).toEqual([])
  })

  it("goes down and comes back on the same HTTP port", async () => {
    const receiver = await startReceiver()
    const endpoint = receiver.httpEndpoint
    const body = ProtobufTraceSerializer.serializeRequest(await finishedSpans())!
    await receiver.stop()
    await expect(post(receiver, "/v1/traces", body, { "content-type": PROTOBUF })).rejects.toThrow()
    await receiver.restart()
    expect(receiver.httpEndpoint).toBe(endpoint)
    expect((await post(receiver, "/v1/traces", body, { "content-type": PROTOBUF })).status).toBe(200)
  })

  it("partial success reaches a gRPC client too", async () => {
    const receiver = await startReceiver()
    receiver.setFault({ rejected: 3, rejectedMessage: "quota" })
    const response = await grpcExport(
      receiver,
      "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
      ProtobufTraceSerializer.serializeRequest(await finishedSpans())!
    )
    const decoded = ProtobufTraceSerializer.deserializeResponse(response)
    expect(decoded.partialSuccess).toMatchObject({ errorMessage: "quota" })
    expect(Number(decoded.partialSuccess?.rejectedSpans)).toBe(3)
  })
})

/** One raw unary Export call over gRPC; resolves with the response bytes. */
const grpcExport = async (receiver: OtlpReceiver.Receiver, path: string, request: Uint8Array): Promise<Buffer> => {
  const Client = grpc.makeGenericClientConstructor(
    {
      Export: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: (bytes: Buffer) => bytes,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (bytes: Buffer) => bytes,
        responseDeserialize: (bytes: Buffer) => bytes
      }
    },
    "Service"
  )
  const client = new Client(receiver.endpoint, grpc.credentials.createInsecure())
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      client["Export"]!(Buffer.from(request), (error: grpc.ServiceError | null, response: Buffer) =>
        error ? reject(error) : resolve(response)
      )
    )
  } finally {
    client.close()
  }
}
