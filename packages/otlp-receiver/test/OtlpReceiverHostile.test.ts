/**
 * The receiver against hostile and careless clients, over both transports: every request ends in
 * an answer (400 / INVALID_ARGUMENT for what does not decode, 413 / RESOURCE_EXHAUSTED past the
 * body bound), none of it counted as received, and the receiver keeps answering afterwards.
 */
import * as grpc from "@grpc/grpc-js"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { connect } from "node:net"
import { gzipSync } from "node:zlib"
import { describe, expect, it, onTestFinished } from "vitest"
import {
  emptySpansRequest,
  field,
  grpcRaw,
  gzipBomb,
  LOGS_EXPORT,
  malformedLogsRequest,
  nestedKvlist,
  nestedKvlistJson,
  spanFields,
  traceRequest,
  TRACES_EXPORT
} from "./support/hostile.js"

const startReceiver = async (options?: OtlpReceiver.StartOptions): Promise<OtlpReceiver.Receiver> => {
  const receiver = await OtlpReceiver.start(options)
  onTestFinished(() => receiver.stop())
  return receiver
}

const post = async (url: string, body: Uint8Array | string, headers: Record<string, string>) => {
  const response = await fetch(url, { method: "POST", body, headers })
  return { status: response.status, text: await response.text() }
}

const PROTOBUF = { "content-type": "application/x-protobuf" }

/** A well-formed one-span request: the receiver still answers after whatever came before. */
const healthy = () => traceRequest(spanFields("ok", field(1, "fine")))

describe("OtlpReceiver against hostile requests", () => {
  it("answers a malformed logs request 400 / INVALID_ARGUMENT and counts nothing as received", async () => {
    const receiver = await startReceiver()
    const body = malformedLogsRequest()
    expect(body.length).toBe(23)
    const http = await post(`${receiver.httpEndpoint}/v1/logs`, body, PROTOBUF)
    expect(http.status).toBe(400)
    expect(http.text).toContain("cannot decode the request")
    const overGrpc = await grpcRaw(receiver.endpoint, LOGS_EXPORT, body)
    expect(overGrpc.code).toBe(grpc.status.INVALID_ARGUMENT)
    expect(receiver.counts().logRecords).toBe(0)
    expect(receiver.logs()).toEqual([])
    expect(receiver.stats()).toMatchObject({ logs: 2, failed: 2 })
    expect((await grpcRaw(receiver.endpoint, TRACES_EXPORT, healthy())).code).toBe(grpc.status.OK)
  })

  it("refuses attribute values nested 2,000 deep in protobuf and JSON, and accepts 64", async () => {
    const receiver = await startReceiver()
    const deep = traceRequest(spanFields("deep", nestedKvlist(2_000)))
    const http = await post(`${receiver.httpEndpoint}/v1/traces`, deep, PROTOBUF)
    expect(http.status).toBe(400)
    const json = await post(`${receiver.httpEndpoint}/v1/traces`, nestedKvlistJson(2_000), { "content-type": "application/json" })
    expect([json.status, JSON.parse(json.text).code]).toEqual([400, grpc.status.INVALID_ARGUMENT])
    const overGrpc = await grpcRaw(receiver.endpoint, TRACES_EXPORT, deep)
    expect(overGrpc).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining("deeper than 64 levels") })
    expect(receiver.counts().spans).toBe(0)

    expect((await post(`${receiver.httpEndpoint}/v1/traces`, traceRequest(spanFields("deep", nestedKvlist(64))), PROTOBUF)).status).toBe(200)
    expect((await grpcRaw(receiver.endpoint, TRACES_EXPORT, traceRequest(spanFields("deep", nestedKvlist(64))))).code).toBe(grpc.status.OK)
    expect(receiver.counts().spans).toBe(2)
  })

  it("answers 413 to a gzip bomb and to a body past the bound, and RESOURCE_EXHAUSTED over gRPC", async () => {
    const receiver = await startReceiver({ maxBodyBytes: 1024 * 1024 })
    const bomb = gzipBomb(60 * 1024 * 1024)
    expect(bomb.length).toBeLessThan(70 * 1024)
    const bombed = await post(`${receiver.httpEndpoint}/v1/traces`, bomb, { ...PROTOBUF, "content-encoding": "gzip" })
    expect(bombed).toMatchObject({ status: 413 })
    const large = await post(`${receiver.httpEndpoint}/v1/traces`, Buffer.alloc(2 * 1024 * 1024), PROTOBUF)
    expect(large.status).toBe(413)
    const overGrpc = await grpcRaw(receiver.endpoint, TRACES_EXPORT, traceRequest(spanFields("big", field(1, "x".repeat(2 * 1024 * 1024)))))
    expect(overGrpc.code).toBe(grpc.status.RESOURCE_EXHAUSTED)
    expect((await post(`${receiver.httpEndpoint}/v1/traces`, healthy(), PROTOBUF)).status).toBe(200)
  })

  it("refuses millions of empty spans in one small request before converting them: 413 / RESOURCE_EXHAUSTED", async () => {
    const receiver = await startReceiver({ countOnly: true, onReceive: { traces: () => undefined } })
    const body = emptySpansRequest(4 * 1024 * 1024 - 64)
    const gzipped = gzipSync(body)
    expect(gzipped.length).toBeLessThan(64 * 1024)
    const http = await post(`${receiver.httpEndpoint}/v1/traces`, gzipped, { ...PROTOBUF, "content-encoding": "gzip" })
    expect(http.status).toBe(413)
    expect(http.text).toContain("at most 100000 are taken in one request")
    expect((await grpcRaw(receiver.endpoint, TRACES_EXPORT, body)).code).toBe(grpc.status.RESOURCE_EXHAUSTED)
    expect(receiver.counts().spans).toBe(0)
    // The same bound for metric points (protobuf) and log records (JSON).
    const points = Buffer.alloc(2 * 100_001)
    for (let index = 0; index < points.length; index += 2) points[index] = 0x0a
    const gauge = field(1, field(2, field(2, Buffer.concat([field(1, "g"), field(5, points)]))))
    expect((await post(`${receiver.httpEndpoint}/v1/metrics`, gauge, PROTOBUF)).status).toBe(413)
    const records = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${Array.from({ length: 100_001 }, () => "{}").join(",")}]}]}]}`
    expect((await post(`${receiver.httpEndpoint}/v1/logs`, records, { "content-type": "application/json" })).status).toBe(413)
    expect((await post(`${receiver.httpEndpoint}/v1/traces`, emptySpansRequest(100_000), PROTOBUF)).status).toBe(200)
    expect(receiver.counts().spans).toBeGreaterThan(49_000)
  })

  it("cuts off a client that sends part of a body and stalls", async () => {
    const receiver = await startReceiver({ requestTimeoutMs: 500 })
    const socket = connect(receiver.httpPort, "127.0.0.1")
    onTestFinished(() => void socket.destroy())
    let answer = ""
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()))
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())))
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
    const sent = Date.now()
    socket.write("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000000\r\n\r\n")
    socket.write(Buffer.alloc(1_000))
    // Generous: the bound is 500 ms, checked every 500 ms, on a loaded machine.
    expect((await closed) - sent).toBeLessThan(20_000)
    expect((await closed) - sent).toBeGreaterThanOrEqual(400)
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
  })

  it("with allowedHosts, answers only loopback Hosts and refuses cross-origin browser requests", async () => {
    const receiver = await startReceiver({ allowedHosts: ["devbox"] })
    const withHeaders = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const socket = connect(receiver.httpPort, "127.0.0.1")
        const body = healthy()
        const lines = Object.entries({ ...PROTOBUF, "content-length": String(body.length), connection: "close", ...headers })
        socket.write(`POST /v1/traces HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`)
        socket.write(body)
        let answer = ""
        socket.on("data", (chunk) => (answer += chunk.toString()))
        socket.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1])))
        socket.on("error", reject)
      })
    expect(await withHeaders({ host: "attacker.example" })).toBe(403)
    expect(await withHeaders({ host: "attacker.example:4318" })).toBe(403)
    expect(await withHeaders({ host: "127.0.0.1.attacker.example" })).toBe(403)
    expect(await withHeaders({ host: "localhost:4318", origin: "https://attacker.example" })).toBe(403)
    expect(await withHeaders({ host: "localhost:4318", origin: "null" })).toBe(403)
    // No Host at all: Node refuses it (400) before the receiver sees it.
    expect(await withHeaders({})).toBeGreaterThanOrEqual(400)
    expect(receiver.counts().spans).toBe(0)
    for (const host of ["localhost", "localhost:4318", "127.0.0.1:4318", "[::1]:4318", "devbox", "DEVBOX:1"]) {
      expect(await withHeaders({ host })).toBe(200)
    }
    expect(await withHeaders({ host: "127.0.0.1", origin: "http://localhost:4319" })).toBe(200)
    expect(receiver.counts().spans).toBe(7)
  })
})
