/** A real process sent SIGTERM: what it finished must reach the collector, and it must exit in time. */
import { spawn } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"

const here = Path.dirname(fileURLToPath(import.meta.url))
const root = Path.resolve(here, "../../..")

/** Starts the producer, sends SIGTERM once it has ended `spans` spans, and collects its output. */
const runUntilSigterm = (env: Record<string, string>, spans: number) =>
  new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; exitMillis: number }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "--conditions=@lingo-obs/source", Path.join(here, "fixtures/producer.ts")],
        { cwd: root, env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] }
      )
      let stdout = ""
      let stderr = ""
      let signalledAt = 0
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk
        const ended = Number(/ended (\d+)\n$/.exec(stdout)?.[1] ?? 0)
        if (signalledAt === 0 && ended >= spans) {
          signalledAt = Date.now()
          child.kill("SIGTERM")
        }
      })
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk))
      child.on("error", reject)
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, exitMillis: Date.now() - signalledAt }))
    }
  )

describe("SIGTERM", () => {
  let receiver: OtlpReceiver.Receiver
  let dir: string
  beforeAll(async () => {
    receiver = await OtlpReceiver.start()
    dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "lingo-obs-sigterm-"))
  })
  afterAll(async () => {
    await receiver.stop()
    await Fs.rm(dir, { recursive: true })
  })

  it("every span ended before the signal reaches a live collector", async () => {
    const result = await runUntilSigterm({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}`,
      OTEL_METRICS_EXPORTER: "none",
      OTEL_SERVICE_NAME: "sigterm-live"
    }, 300)
    const total = Number(/total (\d+)/.exec(result.stdout)?.[1])
    expect(total).toBeGreaterThanOrEqual(300)
    const ticks = receiver.spans().filter((span) => span.resource["service.name"] === "sigterm-live")
    const numbers = new Set(ticks.map((span) => span.attributes["tick.number"]))
    // Every span counted as ended is there (an interrupted last one may be there too).
    for (let i = 0; i < total; i++) expect(numbers.has(i)).toBe(true)
    expect(result.stderr).toBe("")
  }, 60_000)

  it("with the collector down it still exits within the shutdown timeout, without OpenTelemetry text on stderr", async () => {
    const file = Path.join(dir, "config.yaml")
    await Fs.writeFile(file, "observability:\n  shutdownTimeout: 1s\n  tracing:\n    startupProbeTimeout: 100ms\n")
    const dead = await OtlpReceiver.start()
    await dead.stop()
    const result = await runUntilSigterm({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${dead.endpoint}`,
      OTEL_METRICS_EXPORTER: "none",
      OBSERVABILITY_CONFIG_FILE: file
    }, 100)
    expect(result.stdout).toMatch(/total \d+/)
    expect(result.stdout).toMatch(/traces shutdown: \d+ spans not delivered, 0 delivered: the collector was not reachable since start/)
    // Process start-up aside, the flush is bounded by the 1 s timeout.
    expect(result.exitMillis).toBeLessThan(1_000 + 1_500)
    expect(result.stderr).toBe("")
  }, 60_000)
})
