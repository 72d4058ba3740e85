/**
 * With OpenTelemetry's HTTP and gRPC auto-instrumentation loaded in a real service, the
 * toolkit's own exports must not become spans (each would be exported by another request,
 * which becomes a span, …), while the service's own requests still do: the instrumentation is
 * active, so the check can fail. The exit after SIGTERM is prompt, with nothing undelivered.
 */
import { spawn } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"

const here = Path.dirname(fileURLToPath(import.meta.url))

let receiver: OtlpReceiver.Receiver
beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly total: number
  readonly exitMillis: number
}

/**
 * Runs `fixtures/instrumented.ts` with the instrumentation preloaded, until the receiver holds
 * its own instrumented HTTP and gRPC calls and `ticks` business spans; then SIGTERM.
 */
const runInstrumented = (protocol: "grpc" | "http/protobuf", ticks: number) =>
  new Promise<Run>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        Path.join(here, "fixtures", "instrumentation.mjs"),
        "--import",
        "tsx",
        "--conditions=@lingo-obs/source",
        Path.join(here, "fixtures", "instrumented.ts")
      ],
      {
        cwd: Path.resolve(here, "../../.."),
        env: { PATH: process.env["PATH"] ?? "", PROTOCOL: protocol, GRPC_ENDPOINT: receiver.endpoint, HTTP_ENDPOINT: receiver.httpEndpoint },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let stdout = ""
    let stderr = ""
    let signalledAt = 0
    const ownCallsArrived = () => {
      const names = new Set(receiver.spans().map((span) => span.name))
      return names.has("GET") && names.has("grpc.lingo.Control/Ping")
    }
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk
      const done = Number(/ticks (\d+)\n$/.exec(stdout)?.[1] ?? 0)
      if (signalledAt === 0 && done >= ticks && ownCallsArrived()) {
        signalledAt = Date.now()
        child.kill("SIGTERM")
      }
    })
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) =>
      resolve({ code, stdout, stderr, total: Number(/total (\d+)/.exec(stdout)?.[1] ?? -1), exitMillis: Date.now() - signalledAt })
    )
  })

describe.each(["grpc", "http/protobuf"] as const)("auto-instrumentation loaded, exporting over %s", (protocol) => {
  it("no export is a span, the service's own calls are, and the exit after SIGTERM is prompt with nothing undelivered", async () => {
    receiver.reset()
    const run = await runInstrumented(protocol, 20)
    const spans = receiver.spans()
    // The instrumentation is active: the service's own plain HTTP request and gRPC call are spans.
    expect(spans.some((span) => span.name === "GET" && span.kind === 3)).toBe(true)
    expect(spans.some((span) => span.name === "grpc.lingo.Control/Ping")).toBe(true)
    // Not one export request: no POST to the OTLP paths, no call of an OTLP collector service.
    const exports = spans.filter((span) =>
      span.name === "POST" || span.name.includes("opentelemetry.proto.collector") ||
      Object.values(span.attributes).some((value) => typeof value === "string" && /\/v1\/(traces|metrics|logs)/.test(value))
    )
    expect(exports.map((span) => span.name)).toEqual([])
    // Every business span ended before the signal arrived.
    const ticks = new Set(spans.filter((span) => span.name.startsWith("tick-")).map((span) => span.name))
    for (let i = 0; i < run.total; i++) expect(ticks.has(`tick-${i}`)).toBe(true)
    expect(run.stdout).not.toContain("not delivered")
    expect(run.stdout).toMatch(/INFO .*traces pipeline shut down in/)
    expect(run.stdout).toMatch(/INFO .*metrics pipeline shut down in/)
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.exitMillis).toBeLessThan(3_000)
  }, 180_000)
})
