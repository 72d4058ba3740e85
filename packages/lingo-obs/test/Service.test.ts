/**
 * A real service in a child process (`ObservabilityLive`, `Effect.withSpan`, `Effect.log`,
 * `NodeRuntime.runMain`), configured only from its environment (`OTEL_*` variables, or the file
 * named by `OBSERVABILITY_CONFIG_FILE`): on SIGTERM it flushes its spans to a real receiver and exits
 * promptly, and the header value it was given is never printed.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { exited, waitForOutput } from "./support/childProcess.js"

const HERE = Path.dirname(fileURLToPath(import.meta.url))
const ROOT = Path.resolve(HERE, "../../..")
const CANARY = "CANARY-e21a-svc-51b2"

let receiver: OtlpReceiver.Receiver
beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())

describe("a service in a child process", () => {
  const cases = [
    { protocol: "grpc", source: "OTEL_*" },
    { protocol: "http/protobuf", source: "OTEL_*" },
    { protocol: "http/json", source: "OTEL_*" },
    { protocol: "grpc", source: "OBSERVABILITY_CONFIG_FILE", format: "json" },
    { protocol: "http/protobuf", source: "OBSERVABILITY_CONFIG_FILE", format: "yaml" }
  ] as const
  for (const testCase of cases) {
    const { protocol, source } = testCase
    const format = "format" in testCase ? testCase.format : undefined
    it(`flushes its spans on SIGTERM and exits promptly (${protocol}, config from ${source}${format === undefined ? "" : ` in ${format}`})`, async () => {
      const service = `svc-${protocol}-${format ?? "env"}`
      const requestsBefore = receiver.requests().length
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
        // This run's requests: each body in the encoding the protocol names, with its content type.
        const wire = protocol === "grpc" ? "grpc undefined undefined" : protocol === "http/json"
          ? "http json application/json"
          : "http protobuf application/x-protobuf"
        const own = receiver.requests().slice(requestsBefore)
        expect(new Set(own.map((r) => `${r.transport} ${r.encoding} ${r.metadata["content-type"]}`))).toEqual(new Set([wire]))
        expect(output).not.toContain(CANARY)
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
      }
    })
  }
})
