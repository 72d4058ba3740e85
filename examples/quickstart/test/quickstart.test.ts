/** The main job as a newcomer runs it: a child process, its stdout, its exit code. */
import { spawn } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")

const runQuickstart = (env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=@lingo-obs/source", "examples/quickstart/src/main.ts"],
      { cwd: root, env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

const jsonLines = (text: string) =>
  text.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>)

describe("quickstart", () => {
  let receiver: OtlpReceiver.Receiver
  beforeAll(async () => {
    receiver = await OtlpReceiver.start()
  })
  afterAll(() => receiver.stop())

  it("prints its spans and metrics as JSON on stdout with no collector, and exits 0", async () => {
    const { code, stdout } = await runQuickstart({})
    expect(code).toBe(0)
    const lines = jsonLines(stdout)
    const spans = lines.filter((line) => "spanId" in line)
    expect(spans.map((span) => span["name"])).toContain("quickstart")
    expect(spans.filter((span) => span["name"] === "place-order")).toHaveLength(2)
    const root = spans.find((span) => span["name"] === "quickstart")!
    expect(spans.every((span) => span["traceId"] === root["traceId"])).toBe(true)
    const metrics = lines.filter((line) => "points" in line)
    const orders = metrics.find((metric) => metric["name"] === "quickstart_orders_total") as
      | { points: Array<{ value: number; attributes: Record<string, string> }> }
      | undefined
    expect(orders?.points[0]).toMatchObject({ value: 2, attributes: { channel: "web" } })
    // The log line of each order carries the ids of the span it was written in.
    const placed = lines.find((line) => line["message"] === "order o-1 placed")!
    const placeOrder = spans.find((span) => span["spanId"] === placed["span_id"])
    expect(placeOrder?.["name"]).toBe("place-order")
    expect(placed["trace_id"]).toBe(root["traceId"])
  }, 60_000)

  it("pushes over OTLP/gRPC when OTEL_EXPORTER_OTLP_ENDPOINT is set", async () => {
    const { code, stdout } = await runQuickstart({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}` })
    expect(code).toBe(0)
    expect(jsonLines(stdout)).toEqual([])
    expect(receiver.spans().filter((span) => span.resource["service.name"] === "quickstart")).toHaveLength(7)
    expect(receiver.metrics().some((metric) => metric.name === "quickstart_order_amount")).toBe(true)
  }, 60_000)

  it("pushes over OTLP/HTTP to the HTTP endpoint with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", async () => {
    receiver.reset()
    const { code, stdout } = await runQuickstart({
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint
    })
    expect(code).toBe(0)
    expect(jsonLines(stdout)).toEqual([])
    expect(receiver.spans().filter((span) => span.resource["service.name"] === "quickstart")).toHaveLength(7)
    expect(receiver.metrics().some((metric) => metric.name === "quickstart_order_amount")).toBe(true)
    const requests = receiver.requests()
    expect(requests.length).toBeGreaterThan(0)
    expect(requests.every((request) => request.transport === "http" && request.encoding === "protobuf")).toBe(true)
  }, 60_000)
})
