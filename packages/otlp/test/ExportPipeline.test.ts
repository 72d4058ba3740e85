/**
 * The engine's export pipeline started from a plain config, with no Effect: real OTLP/gRPC and
 * OTLP/HTTP servers on 127.0.0.1 receive what was offered, and what cannot start is a
 * `StartError` naming the signal, the endpoint and the cause (never a password).
 */
import * as Grpc from "@grpc/grpc-js"
import * as Fs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterEach, describe, expect, it, vi } from "vitest"
import { Endpoint, type ExportConfig, ExportPipeline, OtlpGrpc, type Pipeline, StartError } from "../src/index.js"

interface Received {
  readonly body: Buffer
  readonly header: string | undefined
}

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

/** An OTLP/HTTP collector that answers 200 to every POST and records it. */
const httpCollector = async (): Promise<{ readonly endpoint: string; readonly received: Array<Received & { readonly path: string }> }> => {
  const received: Array<Received & { readonly path: string }> = []
  const server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      received.push({ path: request.url ?? "", body: Buffer.concat(chunks), header: request.headers["x-tenant"] as string | undefined })
      response.writeHead(200, { "content-type": "application/x-protobuf" }).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

/** An OTLP/gRPC collector for traces that answers every Export with an empty response. */
const grpcCollector = async (): Promise<{ readonly endpoint: string; readonly received: Array<Received> }> => {
  const received: Array<Received> = []
  const server = new Grpc.Server()
  server.register<Buffer, Buffer>(
    OtlpGrpc.SERVICE_METHODS.traces,
    (call: Grpc.ServerUnaryCall<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>) => {
      received.push({ body: call.request, header: call.metadata.get("x-tenant")[0]?.toString() })
      callback(null, Buffer.alloc(0))
    },
    (response: Buffer) => response,
    (request: Buffer) => request,
    "unary"
  )
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", Grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)))
  )
  cleanup.push(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())))
  return { endpoint: `http://127.0.0.1:${port}`, received }
}

/** A port nothing listens on: bound, then closed. */
const closedPort = async (): Promise<number> => {
  const server = Net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const config = (overrides: Partial<ExportConfig.ExportConfig>): ExportConfig.ExportConfig => ({
  exporter: "otlp_grpc",
  protocol: "grpc",
  insecure: true,
  headers: { "x-tenant": "acme" },
  compression: "none",
  exportTimeoutMillis: 10_000,
  maxMessageSize: 4 * 1024 * 1024,
  retry: { enabled: true, initialBackoffMillis: 100, maxBackoffMillis: 1_000, maxElapsedMillis: 5_000 },
  startupProbeTimeoutMillis: 5_000,
  required: false,
  ...overrides
})

const lines: Array<string> = []
const options = (exportConfig: ExportConfig.ExportConfig): ExportPipeline.Options<string> => ({
  signal: "traces",
  config: exportConfig,
  encodeOtlp: (items) => new TextEncoder().encode(items.join(",")),
  encodeOtlpJson: (items) => new TextEncoder().encode(JSON.stringify(items)),
  encodeJson: (items) => items.map((item) => `${JSON.stringify({ item })}\n`).join(""),
  maxQueueSize: 100,
  maxBatchSize: 10,
  batchDelayMillis: 10,
  maxConcurrentExports: 1,
  itemName: "spans",
  log: { log: (level, message) => lines.push(`${level} ${message}`) }
})

const started = async (exportConfig: ExportConfig.ExportConfig): Promise<Pipeline.Pipeline<string, unknown>> => {
  const pipeline = await ExportPipeline.start(options(exportConfig))
  cleanup.push(() => pipeline.shutdown(5_000))
  return pipeline
}

const rejection = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error)

describe("ExportPipeline.start", () => {
  it("delivers offered items to a real OTLP/gRPC collector, headers as metadata", async () => {
    const collector = await grpcCollector()
    const pipeline = await started(config({ endpoint: collector.endpoint, required: true }))
    pipeline.offer("a")
    pipeline.offer("b")
    await pipeline.flush()
    expect(collector.received.map(({ body, header }) => [body.toString(), header])).toEqual([["a,b", "acme"]])
  })

  it("delivers offered items to a real OTLP/HTTP collector, at the signal's path, with JSON bodies for http/json", async () => {
    const collector = await httpCollector()
    const protobuf = await started(config({ protocol: "http/protobuf", endpoint: collector.endpoint, required: true }))
    protobuf.offer("a")
    await protobuf.flush()
    const json = await started(config({ protocol: "http/json", endpoint: `${collector.endpoint}/custom` }))
    json.offer("b")
    await json.flush()
    expect(collector.received.map(({ path, body, header }) => [path, body.toString(), header])).toEqual([
      ["/v1/traces", "a", "acme"],
      ["/custom", `["b"]`, "acme"]
    ])
  })

  it.each(["grpc", "http/protobuf"] as const)("with required, an endpoint that refuses connections is a StartError (%s)", async (protocol) => {
    const port = await closedPort()
    const error = await rejection(
      ExportPipeline.start(options(config({ protocol, endpoint: `http://127.0.0.1:${port}`, required: true })))
    )
    expect(error).toBeInstanceOf(StartError.StartError)
    const { signal, endpoint, reason, message } = error as StartError.StartError
    expect({ signal, endpoint: endpoint.replace(/\/v1\/traces$/, "") }).toEqual({
      signal: "traces",
      endpoint: protocol === "grpc" ? `127.0.0.1:${port}` : `http://127.0.0.1:${port}`
    })
    expect(reason).toMatch(/did not accept a plaintext connection: .*refused/i)
    expect(message).toBe(`Cannot start the traces pipeline (endpoint ${endpoint}): ${reason}`)
  })

  it.each(["grpc", "http/protobuf"] as const)("without required, an unreachable endpoint starts and says so once (%s)", async (protocol) => {
    const port = await closedPort()
    lines.length = 0
    const pipeline = await started(config({ protocol, endpoint: `http://127.0.0.1:${port}` }))
    expect(pipeline.size).toBe(0)
    await expect.poll(() => lines.filter((line) => line.startsWith("warn")).length, { timeout: 20_000 }).toBe(1)
    expect(lines.find((line) => line.startsWith("warn"))).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`))
  })

  it("writes JSON lines for the stdout exporter, with no endpoint resolved", async () => {
    const stdout = config({ exporter: "stdout", endpoint: "ftp://nowhere" })
    expect(ExportPipeline.endpoint("traces", stdout)).toBe("stdout")
    const written: Array<string> = []
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk))
      return true
    })
    try {
      const pipeline = await started(stdout)
      pipeline.offer("a")
      await pipeline.flush()
    } finally {
      write.mockRestore()
    }
    expect(written.join("")).toBe(`{"item":"a"}\n`)
  })
})

describe("what cannot start is a StartError", () => {
  it.each(["grpc", "http/protobuf"] as const)("a TLS file that cannot be read names the field and path (%s)", (protocol) => {
    const missing = Path.join(Os.tmpdir(), "lingo-obs-no-such-ca.pem")
    const connect = () => ExportPipeline.connect("traces", config({ protocol, endpoint: "https://127.0.0.1:4317", certificate: missing }))
    expect(connect).toThrow(StartError.StartError)
    expect(connect).toThrow(`cannot read certificate ${JSON.stringify(missing)}`)
  })

  it.each(["grpc", "http/protobuf"] as const)("half a client pair is refused (%s)", (protocol) => {
    const directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "lingo-obs-tls-"))
    cleanup.push(() => Fs.rmSync(directory, { recursive: true, force: true }))
    const key = Path.join(directory, "client.key")
    Fs.writeFileSync(key, "not a key")
    expect(() => ExportPipeline.connect("traces", config({ protocol, endpoint: "https://127.0.0.1:4317", clientKey: key })))
      .toThrow("mutual TLS needs both clientKey and clientCertificate")
  })

  it("an unusable endpoint names it without its password", () => {
    let error: unknown
    try {
      Endpoint.target("traces", { protocol: "http/protobuf", endpoint: "ftp://user:s3cret-canary@collector", insecure: false })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(StartError.StartError)
    expect((error as StartError.StartError).endpoint).toBe("ftp://***@collector")
    expect((error as Error).message).toContain("the scheme must be http:// or https://")
    expect((error as Error).message).not.toContain("s3cret-canary")
  })
})
