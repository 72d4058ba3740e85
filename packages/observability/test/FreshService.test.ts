/**
 * Issue 12's first impression: a fresh service (no config) with no collector running prints at
 * most one warning per signal, each toolkit line a single line, and exits within a second of
 * the end of its work.
 */
import { spawn } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"

const here = Path.dirname(fileURLToPath(import.meta.url))
const root = Path.resolve(here, "../../..")

/** Runs the fixture; `afterWork` is the time from its `work done` line to its exit. */
const run = (fixture: string, env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; afterWork: number }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=@lingo-obs/source", Path.join(here, "fixtures", fixture)],
      { cwd: root, env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] }
    )
    let stdout = ""
    let stderr = ""
    let doneAt = 0
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk
      if (doneAt === 0 && stdout.includes("work done\n")) doneAt = Date.now()
    })
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr, afterWork: Date.now() - doneAt }))
  })

describe("a fresh service with no collector", () => {
  it("one warning per signal, single-line toolkit lines, exit within 1 s of the end of its work", async () => {
    const dead = await OtlpReceiver.start()
    await dead.stop()
    // No config at all but where the (dead) collector is: the default port may be in use on a shared machine.
    const result = await run("fresh.ts", { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${dead.endpoint}` })
    expect(result.code).toBe(0)
    expect(result.stderr).toBe("")
    // Measured about 200 ms on an idle machine; the bound leaves room for a loaded one (main: 5 s).
    expect(result.afterWork).toBeLessThan(1_500)
    const lines = result.stdout.split("\n")
    // Effect's pretty logger (NodeRuntime.runMain) starts each entry with "[time] LEVEL (#fiber):".
    const entries = lines.filter((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+ /.test(line))
    const warnings = entries.filter((line) => / WARN /.test(line))
    for (const signal of ["traces", "metrics"]) {
      const running = warnings.filter((line) => line.includes(`: ${signal} `) && !line.includes("shutdown"))
      expect(running.length).toBeLessThanOrEqual(1)
    }
    // One shutdown line per signal, saying what was not delivered and why.
    expect(warnings.filter((line) => / traces shutdown: 2 spans not delivered, 0 delivered: the collector was not reachable since start/.test(line)))
      .toHaveLength(1)
    // Every line is an entry or the program's own output: no continuation lines.
    expect(lines.filter((line) => line !== "" && line !== "work done" && !entries.includes(line))).toEqual([])
  }, 60_000)
})
