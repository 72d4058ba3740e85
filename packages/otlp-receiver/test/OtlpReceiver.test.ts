import * as grpc from "@grpc/grpc-js"
import { RetryInfo } from "@lingo-obs/otlp"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor
} from "@opentelemetry/sdk-trace-base"
import { context, SpanStatusCode, trace } from "@opentelemetry/api"
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { setTimeout as sleep } from "node:timers/promises"
import { fileURLToPath } from "node:url"
import { ProtobufLogsSerializer } from "otlp-proto-definitions"
import { describe, expect, it, onTestFinished } from "vitest"

type ExportResult = Parameters<Parameters<OTLPTraceExporter["export"]>[1]>[0]

/** `ExportResultCode.SUCCESS` of @opentelemetry/core, which this package does not depend on. */
const EXPORT_SUCCESS = 0

const startReceiver = async (options?: OtlpReceiver.StartOptions): Promise<OtlpReceiver.Receiver> => {
  const receiver = await OtlpReceiver.start(options)
  onTestFinished(() => receiver.stop())
  return receiver
}

const traceExporterFor = (
  receiver: OtlpReceiver.Receiver,
  options: { metadata?: grpc.Metadata; timeoutMillis?: number } = {}
): OTLPTraceExporter => {
  const exporter = new OTLPTraceExporter({ url: `http://${receiver.endpoint}`, ...options })
  onTestFinished(() => exporter.shutdown())
  return exporter
}

const exportSpans = (exporter: OTLPTraceExporter, spans: Array<ReadableSpan>): Promise<ExportResult> =>
  new Promise((resolve) => exporter.export(spans, resolve))

/** Retries while the exporter's channel reconnects to a receiver that just came back. */
const exportUntilAccepted = async (exporter: OTLPTraceExporter, spans: Array<ReadableSpan>): Promise<void> => {
  const deadline = Date.now() + 10_000
  for (;;) {
    const result = await exportSpans(exporter, spans)
    if (result.code === EXPORT_SUCCESS) return
    if (Date.now() > deadline) throw result.error
    await sleep(50)
  }
}

/** Finished spans with the given names, captured in memory so tests can export them by hand. */
const finishedSpans = async (...names: Array<string>): Promise<Array<ReadableSpan>> => {
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
  const tracer = provider.getTracer("test")
  for (const name of names) tracer.startSpan(name).end()
  const spans = memory.getFinishedSpans()
  await provider.shutdown()
  return spans
}

const statusDetailsOf = (error: unknown): Buffer | undefined => {
  const value = (error as grpc.ServiceError).metadata.get(RetryInfo.TRAILER)[0]
  return Buffer.isBuffer(value) ? value : undefined
}

describe("OtlpReceiver", () => {
  it("receives spans from the OTLP trace exporter, with parents, attributes, resource and metadata", async () => {
    const receiver = await startReceiver()
    const metadata = new grpc.Metadata()
    metadata.set("x-api-key", "secret")
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "checkout", "service.version": "1.2.3" }),
      spanProcessors: [new BatchSpanProcessor(traceExporterFor(receiver, { metadata }))]
    })
    onTestFinished(() => provider.shutdown())
    const tracer = provider.getTracer("checkout-scope", "0.1.0")

    const parent = tracer.startSpan("parent", { attributes: { "http.route": "/cart", retries: 3, ratio: 0.5 } })
    const child = tracer.startSpan(
      "child",
      { attributes: { ok: true, tags: ["a", "b"] } },
      trace.setSpan(context.active(), parent)
    )
    child.addEvent("cache-miss", { key: "cart:42" })
    child.setStatus({ code: SpanStatusCode.ERROR, message: "boom" })
    child.end()
    parent.end()
    await provider.forceFlush()

    const spans = await receiver.waitForSpans(2)
    const byName = new Map(spans.map((span) => [span.name, span]))
    const receivedParent = byName.get("parent")!
    const receivedChild = byName.get("child")!
    expect(receivedParent.parentSpanId).toBeUndefined()
    expect(receivedParent.traceId).toBe(parent.spanContext().traceId)
    expect(receivedParent.spanId).toBe(parent.spanContext().spanId)
    expect(receivedParent.attributes).toEqual({ "http.route": "/cart", retries: 3, ratio: 0.5 })
    expect(receivedChild.parentSpanId).toBe(receivedParent.spanId)
    expect(receivedChild.traceId).toBe(receivedParent.traceId)
    expect(receivedChild.attributes).toEqual({ ok: true, tags: ["a", "b"] })
    expect(receivedChild.events).toMatchObject([{ name: "cache-miss", attributes: { key: "cart:42" } }])
    expect(receivedChild.status).toEqual({ code: 2, message: "boom" })
    expect(receivedChild.endTimeUnixNano).toBeGreaterThanOrEqual(receivedChild.startTimeUnixNano)
    expect(receivedChild.resource).toMatchObject({ "service.name": "checkout", "service.version": "1.2.3" })
    expect(receivedChild.scope).toEqual({ name: "checkout-scope", version: "0.1.0" })

    const [request] = receiver.requests()
    expect(request).toMatchObject({ signal: "traces", items: 2, status: grpc.status.OK })
    expect(request?.metadata["x-api-key"]).toBe("secret")
    expect(receiver.stats()).toEqual({ traces: 1, metrics: 0, logs: 0, failed: 0 })
    expect(receiver.counts()).toEqual({ spans: 2, metricPoints: 0, logRecords: 0 })
  })

  it("receives a counter and a histogram from the OTLP metric exporter", async () => {
    const receiver = await startReceiver()
    const exporter = new OTLPMetricExporter({ url: `http://${receiver.endpoint}` })
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": "billing" }),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })]
    })
    onTestFinished(() => provider.shutdown())
    const meter = provider.getMeter("billing-scope")
    const requests = meter.createCounter("requests", { unit: "{request}", description: "Handled requests" })
    const latency = meter.createHistogram("latency", { unit: "ms" })

    requests.add(2, { route: "/pay" })
    requests.add(3, { route: "/pay" })
    for (const value of [5, 15, 150]) latency.record(value)
    await provider.forceFlush()

    const counter = await receiver.waitForMetric("requests")
    expect(counter).toMatchObject({
      type: "sum",
      unit: "{request}",
      description: "Handled requests",
      isMonotonic: true,
      aggregationTemporality: 2,
      resource: { "service.name": "billing" },
      scope: { name: "billing-scope" }
    })
    expect(counter.dataPoints).toMatchObject([{ value: 5, attributes: { route: "/pay" } }])

    const histogram = await receiver.waitForMetric("latency")
    expect(histogram.type).toBe("histogram")
    const [point] = histogram.dataPoints
    expect(point).toMatchObject({ count: 3, sum: 170, min: 5, max: 150 })
    // Default bounds [0, 5, 10, 25, 50, 75, 100, 250, ...]: 5 → (0,5], 15 → (10,25], 150 → (100,250].
    expect(point?.explicitBounds?.slice(0, 8)).toEqual([0, 5, 10, 25, 50, 75, 100, 250])
    expect(point?.bucketCounts?.slice(0, 8)).toEqual([0, 1, 0, 1, 0, 0, 0, 1])
    expect(receiver.counts().metricPoints).toBe(2)
  })

  it("receives log records serialized by the OTLP logs serializer", async () => {
    const receiver = await startReceiver()
    const [span] = await finishedSpans("request")
    const request = ProtobufLogsSerializer.serializeRequest([
      {
        hrTime: [1_700_000_000, 5],
        hrTimeObserved: [1_700_000_001, 0],
        spanContext: span!.spanContext(),
        severityNumber: 9,
        severityText: "INFO",
        body: { message: "paid", amount: 12 },
        attributes: { "order.id": "o-1" },
        droppedAttributesCount: 0,
        resource: resourceFromAttributes({ "service.name": "billing" }),
        instrumentationScope: { name: "billing-logger", version: "2.0.0" }
      }
    ])!
    const LogsClient = grpc.makeGenericClientConstructor(
      {
        Export: {
          path: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
          requestStream: false,
          responseStream: false,
          requestSerialize: (bytes: Buffer) => bytes,
          requestDeserialize: (bytes: Buffer) => bytes,
          responseSerialize: (bytes: Buffer) => bytes,
          responseDeserialize: (bytes: Buffer) => bytes
        }
      },
      "LogsService"
    )
    const client = new LogsClient(receiver.endpoint, grpc.credentials.createInsecure())
    onTestFinished(() => client.close())
    await new Promise<void>((resolve, reject) =>
      client["Export"]!(Buffer.from(request), (error: grpc.ServiceError | null) => (error ? reject(error) : resolve()))
    )

    const [record] = await receiver.waitForLogs(1)
    expect(record).toMatchObject({
      timeUnixNano: 1_700_000_000_000_000_005n,
      observedTimeUnixNano: 1_700_000_001_000_000_000n,
      severityNumber: 9,
      severityText: "INFO",
      body: { message: "paid", amount: 12 },
      attributes: { "order.id": "o-1" },
      traceId: span!.spanContext().traceId,
      spanId: span!.spanContext().spanId,
      resource: { "service.name": "billing" },
      scope: { name: "billing-logger", version: "2.0.0" }
    })
    expect(receiver.requests()).toMatchObject([{ signal: "logs", items: 1, status: grpc.status.OK }])
  })

  it("fails the first call with an injected UNAVAILABLE, then accepts the next one", async () => {
    const receiver = await startReceiver()
    const exporter = traceExporterFor(receiver)
    receiver.setFault({ code: grpc.status.UNAVAILABLE, times: 1 })

    const rejected = await exportSpans(exporter, await finishedSpans("first"))
    expect(rejected.code).not.toBe(EXPORT_SUCCESS)
    expect((rejected.error as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE)
    const accepted = await exportSpans(exporter, await finishedSpans("second"))
    expect(accepted.code).toBe(EXPORT_SUCCESS)

    expect(receiver.spans().map((span) => span.name)).toEqual(["second"])
    expect(receiver.requests().map((request) => request.status)).toEqual([grpc.status.UNAVAILABLE, grpc.status.OK])
    expect(receiver.stats()).toEqual({ traces: 2, metrics: 0, logs: 0, failed: 1 })
  })

  it("applies a signal-specific fault to that signal only", async () => {
    const receiver = await startReceiver()
    receiver.setFault({ signal: "metrics", code: grpc.status.INTERNAL })

    const result = await exportSpans(traceExporterFor(receiver), await finishedSpans("unaffected"))

    expect(result.code).toBe(EXPORT_SUCCESS)
    expect(receiver.stats().failed).toBe(0)
  })

  it("answers after an injected delay, so a short exporter timeout expires and nothing is stored", async () => {
    const receiver = await startReceiver()
    const exporter = traceExporterFor(receiver, { timeoutMillis: 200 })
    receiver.setFault({ delayMs: 1_000, times: 1 })

    const timedOut = await exportSpans(exporter, await finishedSpans("slow"))
    expect((timedOut.error as grpc.ServiceError).code).toBe(grpc.status.DEADLINE_EXCEEDED)
    const [abandoned] = await receiver.waitFor(() => receiver.requests().length === 1 && receiver.requests())
    expect(abandoned?.status).toBe(grpc.status.DEADLINE_EXCEEDED)
    expect(receiver.spans()).toEqual([])

    receiver.setFault({ delayMs: 100 })
    const startedAt = Date.now()
    const delayed = await exportSpans(exporter, await finishedSpans("delayed"))
    expect(delayed.code).toBe(EXPORT_SUCCESS)
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(90)
    expect(receiver.spans().map((span) => span.name)).toEqual(["delayed"])
  })

  it("sends a google.rpc.RetryInfo in the grpc-status-details-bin trailer", async () => {
    const receiver = await startReceiver()
    receiver.setFault({ code: grpc.status.RESOURCE_EXHAUSTED, message: "slow down", retryDelayMs: 1_500 })

    const result = await exportSpans(traceExporterFor(receiver), await finishedSpans("throttled"))

    const error = result.error as grpc.ServiceError
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED)
    expect(error.details).toBe("slow down")
    const statusDetails = statusDetailsOf(error)
    expect(statusDetails).toBeDefined()
    expect(RetryInfo.delayMillis(statusDetails!)).toBe(1_500)
  })

  it("goes down and comes back on the same port", async () => {
    const receiver = await startReceiver()
    const { port } = receiver
    const exporter = traceExporterFor(receiver)
    await exportUntilAccepted(exporter, await finishedSpans("before"))

    await receiver.stop()
    const whileDown = await exportSpans(exporter, await finishedSpans("lost"))
    expect(whileDown.code).not.toBe(EXPORT_SUCCESS)

    const replacement = await startReceiver({ port })
    await exportUntilAccepted(exporter, await finishedSpans("after-replacement"))
    expect(replacement.spans().map((span) => span.name)).toEqual(["after-replacement"])

    await replacement.stop()
    await receiver.restart()
    expect(receiver.port).toBe(port)
    await exportUntilAccepted(exporter, await finishedSpans("after-restart"))
    expect(receiver.spans().map((span) => span.name)).toEqual(["before", "after-restart"])
  })

  it("keeps only counts in count-only mode", async () => {
    const receiver = await startReceiver({ countOnly: true })

    await exportSpans(traceExporterFor(receiver), await finishedSpans("a", "b", "c"))

    expect(receiver.counts().spans).toBe(3)
    expect(receiver.spans()).toEqual([])
    expect(receiver.requests()).toEqual([])
    receiver.reset()
    expect(receiver.counts().spans).toBe(0)
  })

  it("hands accepted items to the onReceive sink, not failed calls, and keeps none itself in count-only mode", async () => {
    const arrived: Array<string> = []
    const receiver = await startReceiver({
      countOnly: true,
      onReceive: { traces: (spans) => arrived.push(...spans.map((span) => span.name)) }
    })
    const exporter = traceExporterFor(receiver)
    receiver.setFault({ code: grpc.status.UNAVAILABLE, times: 1 })
    expect((await exportSpans(exporter, await finishedSpans("refused"))).code).not.toBe(EXPORT_SUCCESS)
    await exportSpans(exporter, await finishedSpans("a", "b"))

    expect(arrived).toEqual(["a", "b"])
    expect(receiver.spans()).toEqual([])
  })

  it("times out waiting with a summary of what was received", async () => {
    const receiver = await startReceiver()
    await exportSpans(traceExporterFor(receiver), await finishedSpans("present"))

    await expect(receiver.waitForSpan("absent", 100)).rejects.toThrow(
      /timed out after 100ms waiting for span "absent"; received 1 span\(s\) \[present\]/
    )
  })

  it.skipIf(!hasOpenssl())("serves TLS when given a certificate", async () => {
    const { cert, key } = selfSignedCertificate()
    const receiver = await startReceiver({ tls: { cert, key } })
    // By host name: TLS clients may not use an IP address as the server name (RFC 6066).
    const exporter = new OTLPTraceExporter({
      url: `https://localhost:${receiver.port}`,
      credentials: grpc.credentials.createSsl(cert)
    })
    onTestFinished(() => exporter.shutdown())

    const result = await exportSpans(exporter, await finishedSpans("secure"))

    expect(result.code).toBe(EXPORT_SUCCESS)
    expect(receiver.spans().map((span) => span.name)).toEqual(["secure"])
  })
})

describe("OtlpReceiver CLI", () => {
  const cliPath = fileURLToPath(new URL("../src/cli.ts", import.meta.url))
  const packageDir = fileURLToPath(new URL("..", import.meta.url))

  const spawnCli = (...args: Array<string>) => {
    // Run from the package so `--import tsx` resolves from the workspace.
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@lingo-obs/source", cliPath, ...args], {
      cwd: packageDir,
      stdio: ["pipe", "pipe", "inherit"]
    })
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill()
    })
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
    const nextReply = async (): Promise<Record<string, unknown>> => {
      const { value, done } = await lines.next()
      if (done === true) throw new Error("the CLI closed its stdout")
      return JSON.parse(value as string) as Record<string, unknown>
    }
    const send = (command: string) => {
      child.stdin.write(`${command}\n`)
      return nextReply()
    }
    return { child, exited, nextReply, send }
  }

  it("runs the receiver in a child process controlled over stdin", async () => {
    const cli = spawnCli("--count-only")
    const { listening } = await cli.nextReply()
    expect(listening).toMatch(/^127\.0\.0\.1:\d+$/)
    const exporter = new OTLPTraceExporter({ url: `http://${String(listening)}` })
    onTestFinished(() => exporter.shutdown())

    await exportUntilAccepted(exporter, await finishedSpans("one", "two", "three"))
    expect(await cli.send("stats")).toEqual({ spans: 3, metricPoints: 0, logs: 0, calls: 1 })

    expect(await cli.send("stop")).toEqual({ ok: true })
    const whileDown = await exportSpans(exporter, await finishedSpans("lost"))
    expect(whileDown.code).not.toBe(EXPORT_SUCCESS)
    expect(await cli.send("start")).toEqual({ ok: true })
    expect(await cli.send("reset")).toEqual({ ok: true })
    await exportUntilAccepted(exporter, await finishedSpans("back"))
    expect(await cli.send("stats")).toEqual({ spans: 1, metricPoints: 0, logs: 0, calls: 1 })

    cli.child.stdin.write("exit\n")
    expect(await cli.exited).toBe(0)
  })

  it("exits when its stdin closes", async () => {
    const cli = spawnCli()
    await cli.nextReply()

    cli.child.stdin.end()

    expect(await cli.exited).toBe(0)
  })
})

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** A throwaway certificate for localhost that is its own trust root. */
function selfSignedCertificate(): { cert: Buffer; key: Buffer } {
  const directory = mkdtempSync(join(tmpdir(), "otlp-receiver-tls-"))
  try {
    const [certPath, keyPath] = [join(directory, "cert.pem"), join(directory, "key.pem")]
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        .concat(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyPath, "-out", certPath]),
      { stdio: "ignore" }
    )
    return { cert: readFileSync(certPath), key: readFileSync(keyPath) }
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}
