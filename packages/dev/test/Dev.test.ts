/**
 * `lingo-obs dev` end to end without a browser: real OTLP/gRPC exports into a dev instance on free
 * ports, read back through the viewer's JSON API and its server-sent events; and the bin as a child
 * process that stops on SIGTERM.
 */
import { Dev } from "@lingo-obs/dev"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { context, SpanStatusCode, trace } from "@opentelemetry/api"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import { startScript } from "./support/processes.js"

const startDev = async (options: Partial<Dev.Options> = {}) => {
  const dev = await Dev.start({ port: 0, grpcPort: 0, httpPort: 0, ...options })
  onTestFinished(() => dev.stop())
  return dev
}

const getJson = async <T>(url: string): Promise<{ status: number; body: T }> => {
  const response = await fetch(url)
  return { status: response.status, body: (await response.json()) as T }
}

/** Exports one trace of a root and a child, as two separate calls, child first. */
const exportTrace = async (endpoint: string, service: string) => {
  const exporter = new OTLPTraceExporter({ url: `http://${endpoint}` })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)]
  })
  const tracer = provider.getTracer("dev-test")
  const root = tracer.startSpan("GET /users/:id", { attributes: { "http.route": "/users/:id" } })
  const child = tracer.startSpan("users.find", {}, trace.setSpan(context.active(), root))
  child.setStatus({ code: SpanStatusCode.ERROR, message: "not found" })
  child.end()
  root.end()
  await provider.forceFlush()
  await provider.shutdown()
  return root.spanContext().traceId
}

/** Opens the event stream: `connected` once the server greeted, `update` with the first update's data. */
const subscribe = (url: string) => {
  let connected!: () => void
  const hello = new Promise<void>((resolve) => (connected = resolve))
  const update = new Promise<{ spans: number; traceIds: Array<string> }>((resolve, reject) => {
    const req = request(url, (response) => {
      let buffer = ""
      response.on("data", (chunk: Buffer) => {
        buffer += chunk.toString()
        if (buffer.includes("event: hello\n")) connected()
        const match = /event: update\ndata: (.*)\n\n/.exec(buffer)
        if (match) {
          resolve(JSON.parse(match[1]!))
          req.destroy()
        }
      })
    })
    req.on("error", reject)
    req.end()
  })
  return { connected: hello, update }
}

describe("lingo-obs dev", () => {
  it("stores what an OTLP exporter sends and serves it through the API and live events", async () => {
    const dev = await startDev()
    const events = subscribe(`${dev.url}api/events`)
    await events.connected
    const traceId = await exportTrace(dev.receiver.endpoint, "gateway")

    const { body: traces } = await getJson<Array<{ traceId: string; rootName: string; spanCount: number; errorCount: number }>>(`${dev.url}api/traces?service=gateway`)
    expect(traces).toEqual([expect.objectContaining({ traceId, rootName: "GET /users/:id", spanCount: 2, errorCount: 1 })])
    const { body: detail } = await getJson<{ rows: Array<{ span: { name: string }; depth: number }> }>(`${dev.url}api/traces/${traceId}`)
    expect(detail.rows.map((row) => [row.span.name, row.depth])).toEqual([["GET /users/:id", 0], ["users.find", 1]])
    expect((await events.update).traceIds).toContain(traceId)

    expect((await getJson(`${dev.url}api/traces/ffff`)).status).toBe(404)
    expect(await getJson(`${dev.url}api/traces?minDurationMs=soon`)).toEqual({
      status: 400,
      body: { error: 'minDurationMs: expected a non-negative number, got "soon"' }
    })
    const { body: stats } = await getJson<{ held: { spans: number }; endpoints: { grpc: string } }>(`${dev.url}api/stats`)
    expect(stats.held.spans).toBe(2)
    expect(stats.endpoints.grpc).toBe(dev.receiver.endpoint)
  })

  it("takes OTLP/HTTP JSON too, as curl would send it", async () => {
    const dev = await startDev()
    const body = {
      resourceLogs: [{
        resource: { attributes: [{ key: "service.name", value: { stringValue: "curl" } }] },
        scopeLogs: [{
          scope: { name: "manual" },
          logRecords: [{
            timeUnixNano: "1700000000000000000",
            severityNumber: 13,
            severityText: "WARN",
            body: { stringValue: "hello over http" },
            traceId: "4bf92f3577b34da6a3ce929d0e0e4736"
          }]
        }]
      }]
    }
    const response = await fetch(`${dev.receiver.httpEndpoint}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    expect(response.status).toBe(200)
    const { body: logs } = await getJson<Array<{ body: unknown; service: string; traceId: string; time: number }>>(`${dev.url}api/logs?q=HELLO&minSeverity=13`)
    expect(logs).toEqual([expect.objectContaining({ body: "hello over http", service: "curl", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", time: 1_700_000_000_000 })])
  })

  it("serves the built viewer from its assets folder and nothing outside it", async () => {
    const assets = mkdtempSync(join(tmpdir(), "lingo-obs-ui-"))
    onTestFinished(() => rmSync(assets, { recursive: true, force: true }))
    writeFileSync(join(assets, "index.html"), "<!doctype html><title>viewer</title>")
    writeFileSync(join(assets, "app.js"), "export {}")
    writeFileSync(join(assets, "..", `${basename(assets)}-secret.txt`), "secret")
    onTestFinished(() => rmSync(join(assets, "..", `${basename(assets)}-secret.txt`), { force: true }))
    const dev = await startDev({ assetsDir: assets })

    const page = await fetch(dev.url)
    expect([page.status, page.headers.get("content-type"), await page.text()]).toEqual([200, "text/html; charset=utf-8", "<!doctype html><title>viewer</title>"])
    expect((await fetch(`${dev.url}app.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8")
    // A raw request path: fetch would fold ".." (and "%2e%2e") before sending.
    const rawStatus = (path: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        const req = request(dev.url, { path }, (response) => {
          response.resume()
          resolve(response.statusCode)
        })
        req.on("error", reject)
        req.end()
      })
    expect(await rawStatus("/app.js")).toBe(200)
    expect(await rawStatus(`/../${basename(assets)}-secret.txt`)).toBe(404)
    // An encoded slash survives URL parsing and is decoded by the server: the guard must catch it.
    expect(await rawStatus(`/..%2f${basename(assets)}-secret.txt`)).toBe(404)
  })

  it("names the flag and what it expected for bad arguments", () => {
    expect(() => Dev.parseOptions(["--port", "http"])).toThrow('--port: expected an integer from 0 to 65535, got "http"')
    expect(() => Dev.parseOptions(["--max-spans", "0"])).toThrow("--max-spans: expected an integer from 1 to 10000000")
    expect(() => Dev.parseOptions(["--colour"])).toThrow(/Unknown option '--colour'[\s\S]*Usage: lingo-obs dev/)
    expect(() => Dev.parseOptions(["--max-bytes", "lots"])).toThrow('--max-bytes: expected a size of at least 1048576 bytes (e.g. 256MiB), got "lots"')
    expect(() => Dev.parseOptions(["--max-body-bytes", "12"])).toThrow("--max-body-bytes: expected a size of at least 1024 bytes")
    expect(() => Dev.parseOptions(["--allowed-host", "devbox:8080"])).toThrow('--allowed-host: expected a host name without a port (e.g. devbox.local), got "devbox:8080"')
    expect(() => Dev.parseOptions(["--allowed-host", "http://devbox/"])).toThrow("--allowed-host: expected a host name without a port")
    expect(Dev.parseOptions(["--max-bytes", "64MiB", "--max-body-bytes", "1048576", "--allowed-host", "DevBox.local", "--allowed-host", "[::1]"])).toMatchObject({
      capacity: { maxBytes: 64 * 1024 * 1024 },
      maxBodyBytes: 1024 * 1024,
      allowedHosts: ["devbox.local", "[::1]"]
    })
    expect(Dev.parseOptions([])).toMatchObject({ capacity: { maxBytes: 256 * 1024 * 1024 }, maxBodyBytes: 4 * 1024 * 1024, allowedHosts: [] })
    expect(Dev.parseOptions(["--max-spans", "5", "--file", "t.jsonl"])).toMatchObject({
      port: 4319,
      grpcPort: 4317,
      capacity: { maxSpans: 5 },
      file: "t.jsonl"
    })
  })

  it("says which port is taken and which flag moves it", async () => {
    const first = await startDev()
    await expect(Dev.start({ port: 0, grpcPort: first.receiver.port, httpPort: 0 })).rejects.toThrow(
      new RegExp(`OTLP \\(gRPC :${first.receiver.port}, HTTP :0\\) on 127\\.0\\.0\\.1 .*pass --grpc-port / --http-port`)
    )
  })

  it("runs as a process that prints its URL and stops cleanly on SIGTERM", async () => {
    const dev = await startScript("packages/dev/src/bin.ts", ["--port", "0", "--grpc-port", "0", "--http-port", "0"], /viewer on (http:\/\/127\.0\.0\.1:\d+\/)/)
    expect((await fetch(`${dev.ready}api/stats`)).status).toBe(200)
    expect(await dev.stop()).toBe(0)
    expect(dev.output()).toContain("stopped (SIGTERM)")
  })
})
