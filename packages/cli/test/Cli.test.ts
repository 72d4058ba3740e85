import { describe, expect, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Cli from "../src/Cli.js"
import * as Dev from "../src/Dev.js"
import { capture, tempDirectory } from "./support.js"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")

/** The `lingo-obs` binary from source, in a child process with `env` (no OTEL_* or npm_* of this process). */
const lingoObs = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith("OTEL_") && !entry[0].startsWith("npm_") &&
        entry[0] !== "OBSERVABILITY_CONFIG_FILE"
      )
    )
    const child = ChildProcess.spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=@lingo-obs/source", Path.join(ROOT, "packages/cli/src/bin.ts"), ...args],
      { cwd: ROOT, env: { ...inherited, ...env } }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

describe("lingo-obs config check", () => {
  it("prints the effective config with each value's source, and fails on an invalid or missing file", async () => {
    const dir = tempDirectory("config-check-")
    const valid = Path.join(dir, "valid.yaml")
    const invalid = Path.join(dir, "invalid.yaml")
    Fs.writeFileSync(valid, "observability:\n  tracing:\n    samplingRatio: 0.1\n    headers: { authorization: Bearer s3cr3t }\n")
    Fs.writeFileSync(invalid, "tracing:\n  samplingRatio: abc\n  batchTimeout: 5 sec\n")
    const env = { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://collector.test:4317" }

    const ok = await lingoObs(["config", "check", valid], env)
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/^tracing\.samplingRatio\s+0\.1\s+file$/m)
    expect(ok.stdout).toMatch(/^metrics\.endpoint\s+collector\.test:4317\s+env:OTEL_EXPORTER_OTLP_METRICS_ENDPOINT$/m)
    expect(ok.stdout).toMatch(/^tracing\.batchTimeout\s+5s\s+default$/m)
    expect(ok.stdout).toContain("[REDACTED]")
    expect(ok.stdout).not.toContain("s3cr3t")

    const bad = await lingoObs(["config", "check", invalid])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toBe("")
    expect(bad.stderr).toContain("tracing.samplingRatio: Expected a number between 0 and 1")
    expect(bad.stderr).toContain("tracing.batchTimeout")

    const missing = await lingoObs(["config", "check", Path.join(dir, "missing.yaml")])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("no such file")
  }, 120_000)

  it("reads OBSERVABILITY_CONFIG_FILE as ObservabilityLive does, relative to where it runs, or the environment alone", async () => {
    const dir = tempDirectory("config-check-env-")
    Fs.writeFileSync(Path.join(dir, "service.yaml"), "tracing:\n  endpoint: http://from-file:4317\n")
    const relative = Path.relative(ROOT, Path.join(dir, "service.yaml"))
    const fromVariable = await lingoObs(["config", "check"], { OBSERVABILITY_CONFIG_FILE: relative })
    expect(fromVariable.code, fromVariable.stderr).toBe(0)
    expect(fromVariable.stdout).toContain(`Effective observability config of ${relative}`)
    expect(fromVariable.stdout).toMatch(/^tracing\.endpoint\s+from-file:4317\s+file$/m)

    const envOnly = await lingoObs(["config", "check"], { OTEL_EXPORTER_OTLP_ENDPOINT: "https://from-env:4317" })
    expect(envOnly.code, envOnly.stderr).toBe(0)
    expect(envOnly.stdout).toContain("of the environment (no config file)")
    expect(envOnly.stdout).toMatch(/^tracing\.endpoint\s+from-env:4317\s+env:OTEL_EXPORTER_OTLP_ENDPOINT$/m)
  }, 120_000)
})

describe("lingo-obs config schema", () => {
  it("prints the schema the repository commits, and writes it with --out", async () => {
    const committed = Fs.readFileSync(Path.join(ROOT, "schema/observability-config.schema.json"), "utf8")
    const printed = capture()
    expect(await Cli.main(["config", "schema"], printed)).toBe(0)
    expect(`${printed.out()}\n`).toBe(committed)

    const out = Path.join(tempDirectory("config-schema-"), "nested", "schema.json")
    expect(await Cli.main(["config", "schema", "--out", out], capture())).toBe(0)
    expect(Fs.readFileSync(out, "utf8")).toBe(committed)
  })
})

describe("lingo-obs usage", () => {
  it("exits 2 with the usage on unknown commands, options and extra arguments", async () => {
    for (const args of [["frobnicate"], ["config"], ["config", "check", "a.yaml", "b.yaml"], ["doctor", "--verbose"], []]) {
      const output = capture()
      expect(await Cli.main(args, output), args.join(" ")).toBe(2)
      expect(output.err() + output.out()).toContain("usage: lingo-obs <command>")
    }
    const help = capture()
    expect(await Cli.main(["--help"], help)).toBe(0)
    for (const command of ["config check [file]", "config schema [--out file]", "doctor [file]", "dev"]) {
      expect(help.out()).toContain(command)
    }
  })

  it("dev: says how to install @lingo-obs/dev when it is missing", async () => {
    const output = capture()
    expect(await Dev.run([], output, "@lingo-obs/dev-not-installed")).toBe(1)
    expect(output.err()).toBe("lingo-obs dev needs @lingo-obs/dev: npm install --save-dev @lingo-obs/dev")
  })
})
