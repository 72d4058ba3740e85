import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Observability } from "../src/index.js"
import { withEnv } from "./support.js"

/** Runs `self` with stdout captured: the JSON lines the stdout exporter wrote. */
const capturingStdout = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const lines: Array<string> = []
      const write = process.stdout.write
      process.stdout.write = ((chunk: string) => (lines.push(...String(chunk).split("\n").filter((line) => line.startsWith("{"))), true)) as typeof process.stdout.write
      return { lines, write }
    }),
    ({ lines }) => Effect.map(self, () => lines.map((line) => JSON.parse(line) as Record<string, any>)),
    ({ write }) => Effect.sync(() => void (process.stdout.write = write))
  )

const run = (stdoutResource: "once" | "each") =>
  capturingStdout(
    Effect.void.pipe(
      Effect.withSpan("work"),
      Effect.provide(Observability.layer({
        service: { name: "stdout-check", version: "1.2.3" },
        config: {
          tracing: { exporter: "stdout", stdoutResource, batchTimeout: "10ms" },
          metrics: { enabled: false },
          globalAttributes: { region: "eu" }
        }
      })),
      withEnv({ K_SERVICE: "checkout", K_REVISION: "checkout-7" })
    )
  )

describe("stdout exporter's resource", () => {
  it.live("is printed in full once at start; each span then carries service.name", () =>
    Effect.gen(function*() {
      const lines = yield* run("once")
      expect(lines[0]!["resource"]).toMatchObject({
        "service.name": "stdout-check",
        "service.version": "1.2.3",
        "service.instance.id": expect.any(String),
        region: "eu",
        "cloud.platform": "gcp_cloud_run",
        "faas.name": "checkout",
        "host.name": expect.any(String),
        "telemetry.sdk.language": "nodejs"
      })
      const spans = lines.filter((line) => "spanId" in line)
      expect(spans.map((span) => span["name"])).toEqual(["work"])
      expect(spans[0]!["resource"]).toEqual({ "service.name": "stdout-check" })
    }))

  it.live("stdoutResource: each prints the full resource on every record and no start line", () =>
    Effect.gen(function*() {
      const lines = yield* run("each")
      expect(lines.filter((line) => !("spanId" in line))).toEqual([])
      expect(lines[0]!["resource"]).toMatchObject({ "service.name": "stdout-check", region: "eu", "faas.version": "checkout-7" })
    }))
})
