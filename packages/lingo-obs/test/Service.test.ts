/**
 * A real service in a child process (`ObservabilityLive`, `Effect.withSpan`, `Effect.log`,
 * `NodeRuntime.runMain`), configured only from its environment (`OTEL_*` variables, or the file
 * named by `OBSERVABILITY_CONFIG_FILE`): on SIGTERM it flushes its spans to a real receiver and exits
 * promptly, and the header value it was given is never printed.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"

const HERE = Path.dirname(fileURLToPath(import.meta.url))
const ROOT = Path.resolve(HERE, "../../..")
const CANARY = "CANARY-e21a-svc-51b2"

let receiver: OtlpReceiver.Receiver
beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())

/** Resolves once `predicate` holds for the output so far; rejects if the child exits first or after `timeoutMs`. */
const waitForOutput = (child: ChildProcess, output: () => string, predicate: (text: string) => boolean, timeoutMs: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`timed out; output so far:\n${output()}`)), timeoutMs)
    const check = () => predicate(output()) && finish()
    const onExit = () => finish(new Error(`exited early; output:\n${output()}`))
    const finish = (error?: Error) => {
      clearTimeout(timer)
      child.stdout?.off("data", check)
      child.stderr?.off("data", check)
      child.off("exit", onExit)
      error === undefined ? resolve() : reject(error)
    }
    child.stdout?.on("data", check)
    child.stderr?.on("data", check)
    child.once("exit", onExit)
    check()
  })

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once("exit", (code, signal) => resolve({ code, signal }))
  })

describe("a service in a child process", () => {
  const cases = [
    { protocol: "grpc", source: "OTEL_*" },
    { protocol: "http/protobuf", source: "OTEL_*" },
    { protocol: "grpc", source: "OBSERVABILITY_CONFIG_FILE", format: "json" },
    { protocol: "http/protobuf", source: "OBSERVABILITY_CONFIG_FILE", format: "yaml" }
  ] as const
  for (const testCase of cases) {
    const { protocol, source } = testCase
    const format = "format" in testCase ? testCase.format : undefined
    it(`flushes its spans on SIGTERM and exits promptly (${protocol}, config from ${source}${format === undefined ? "" : ` in ${format}`})`, async () => {
      const service = `svc-${protocol}-${format ?? "env"}`
      const endpoint = protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint
      // A one-minute batch delay: only the shutdown flush can deliver in time.
      let configuration: Record<string, string>
      if (source === "OTEL_*") {
        configuration = {
          OTEL_SERVICE_NAME: service,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${CANARY}`,
          OTEL_BSP_SCHEDULE_DELAY: "60000"
        }
      } else {
        const file = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "lingo-obs-e4-")), `observability.${format}`)
        Fs.writeFileSync(
          file,
          format === "json"
            ? JSON.stringify({
              service: { name: service },
              tracing: { protocol, endpoint, headers: { "x-api-key": CANARY }, batchTimeout: "60s" }
            })
            // A service's own YAML file: an `observability:` section among its settings, snake_case names.
            : `port: 8080\nobservability:\n  service:\n    name: ${service}\n  tracing:\n    protocol: ${protocol}\n    endpoint: ${endpoint}\n    headers:\n      x-api-key: ${CANARY}\n    batch_timeout: 60s\n`
        )
        configuration = { OBSERVABILITY_CONFIG_FILE: file }
      }
      const child = spawn(process.execPath, ["--conditions=@lingo-obs/source", "--import", "tsx", Path.join(HERE, "fixtures/service.ts")], {
        cwd: ROOT,
        env: {
          PATH: process.env["PATH"],
          ...configuration
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout!.on("data", (chunk: Buffer) => void (output += chunk.toString()))
      child.stderr!.on("data", (chunk: Buffer) => void (output += chunk.toString()))
      try {
        await waitForOutput(child, () => output, (text) => text.includes("service ready"), 60_000)
        const signalledAt = Date.now()
        child.kill("SIGTERM")
        const exit = await exited(child)
        const elapsed = Date.now() - signalledAt
        const main = receiver.spans().find((span) => span.name === "service-main" && span.resource["service.name"] === service)
        const work = receiver.spans().find((span) => span.name === "startup-work" && span.resource["service.name"] === service)
        expect(main, output).toBeDefined()
        expect(work?.parentSpanId).toBe(main?.spanId)
        expect(exit.signal).toBeNull()
        // Bounded by the 5 s shutdown timeout; a loaded machine gets the rest.
        expect(elapsed).toBeLessThan(8_000)
        const sent = receiver.requests().filter((r) => r.metadata["x-api-key"] === CANARY)
        expect(sent.length).toBeGreaterThan(0)
        expect(output).not.toContain(CANARY)
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
      }
    })
  }
})
