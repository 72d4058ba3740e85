/**
 * The Effect 4 quickstart as a newcomer runs it (`pnpm start`): a child process on this Node
 * (>= 22.19), its output and exit code; its spans, metrics and log lines delivered to a real
 * receiver over OTLP/gRPC and OTLP/HTTP; and, stopped by SIGTERM while it still works, what it
 * buffered flushed before it exits.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../../..")

const start = (env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@lingo-obs/source", "examples/effect4/quickstart/src/main.ts"],
    { cwd: ROOT, env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] }
  )
  let output = ""
  child.stdout!.on("data", (chunk) => (output += String(chunk)))
  child.stderr!.on("data", (chunk) => (output += String(chunk)))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => resolve(code))
  })
  return { child, output: () => output, exited }
}

const jsonLines = (text: string) =>
  text.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>)

/** Polls until `predicate` holds, for at most `timeoutMs` (a loaded machine is slow to start Node 24 and tsx). */
const until = async (what: string, predicate: () => boolean, output: () => string, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("the Effect 4 quickstart", () => {
  let receiver: OtlpReceiver.Receiver
  beforeAll(async () => {
    receiver = await OtlpReceiver.start()
  })
  afterAll(() => receiver.stop())

  it("prints its spans, metrics and log lines as JSON on stdout with no collector, and exits 0", async () => {
    const run = start({})
    expect(await run.exited, run.output()).toBe(0)
    const lines = jsonLines(run.output())
    const spans = lines.filter((line) => "spanId" in line)
    expect(spans.filter((span) => span["name"] === "place-order")).toHaveLength(2)
    const root = spans.find((span) => span["name"] === "quickstart")!
    expect(root, run.output()).toBeDefined()
    expect(spans.every((span) => span["traceId"] === root["traceId"])).toBe(true)
    const orders = lines.find((line) => line["name"] === "quickstart_orders_total") as
      | { points: Array<{ value: number; attributes: Record<string, string> }> }
      | undefined
    expect(orders?.points[0]).toMatchObject({ value: 2, attributes: { channel: "web" } })
    // The log line of each order carries the ids of the span it was written in.
    const placed = lines.find((line) => line["message"] === "order o-1 placed")!
    expect(spans.find((span) => span["spanId"] === placed["span_id"])?.["name"]).toBe("place-order")
    expect(placed["trace_id"]).toBe(root["traceId"])
  }, 120_000)

  for (const protocol of ["grpc", "http/protobuf"] as const) {
    it(`delivers its spans, metrics and log lines over OTLP (${protocol}) and exits 0`, async () => {
      receiver.reset()
      const run = start({
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint
      })
      expect(await run.exited, run.output()).toBe(0)
      expect(jsonLines(run.output()).filter((line) => "spanId" in line)).toEqual([])
      const spans = receiver.spans().filter((span) => span.resource["service.name"] === "quickstart")
      // quickstart, and per order: place-order, validate-order, charge-card.
      expect(spans.map((span) => span.name).sort()).toEqual(
        ["charge-card", "charge-card", "place-order", "place-order", "quickstart", "validate-order", "validate-order"]
      )
      const root = spans.find((span) => span.name === "quickstart")!
      const placeOrders = spans.filter((span) => span.name === "place-order")
      expect(placeOrders.every((span) => span.parentSpanId === root.spanId)).toBe(true)
      expect(spans.find((span) => span.name === "charge-card")?.attributes["payment.amount"]).toBeDefined()
      const orders = receiver.metrics().filter((metric) => metric.name === "quickstart_orders_total")
      expect(orders.at(-1)?.dataPoints[0]).toMatchObject({ value: 2, attributes: { channel: "web" } })
      expect(receiver.metrics().some((metric) => metric.name === "quickstart_order_amount")).toBe(true)
      const logs = receiver.logs().filter((record) => String(record.body).startsWith("order o-"))
      expect(logs.map((record) => record.body).sort()).toEqual(["order o-1 placed", "order o-2 placed"])
      expect(placeOrders.map((span) => span.spanId)).toContain(logs[0]!.spanId)
      const requests = receiver.requests()
      expect(requests.length).toBeGreaterThan(0)
      expect(requests.every((request) => request.transport === (protocol === "grpc" ? "grpc" : "http"))).toBe(true)
    }, 120_000)
  }

  it("flushes what it buffered when SIGTERM stops it mid-run, and exits promptly", async () => {
    receiver.reset()
    // A one-minute batch delay and metric interval: only the shutdown flush can deliver in time.
    const run = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}`,
      OTEL_BSP_SCHEDULE_DELAY: "60000",
      OTEL_METRIC_EXPORT_INTERVAL: "60000",
      QUICKSTART_ORDERS: "1000"
    })
    try {
      await until("the first order", () => run.output().includes("order o-1 placed"), run.output)
      expect(receiver.spans()).toEqual([])
      const signalledAt = Date.now()
      run.child.kill("SIGTERM")
      const code = await run.exited
      const elapsed = Date.now() - signalledAt
      expect(code, run.output()).not.toBeNull()
      // Bounded by the 5 s shutdown timeout; a loaded machine gets the rest.
      expect(elapsed).toBeLessThan(10_000)
      const placed = receiver.spans().filter((span) => span.name === "place-order")
      expect(placed.length).toBeGreaterThan(0)
      expect(placed.some((span) => span.attributes["order.id"] === "o-1")).toBe(true)
      expect(receiver.metrics().some((metric) => metric.name === "quickstart_orders_total")).toBe(true)
      expect(receiver.logs().some((record) => record.body === "order o-1 placed")).toBe(true)
      // The run was stopped: far fewer than the 1000 orders it was asked for.
      expect(placed.length).toBeLessThan(1000)
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL")
    }
  }, 150_000)
})
