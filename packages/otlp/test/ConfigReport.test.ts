/**
 * The config report both lines' `lingo-obs config check` print, on its own: each field's source by
 * the overlay's rules, the fields in the JSON Schema's order, map keys expanded, header values
 * redacted. (Both CLIs' tests compare the whole report with the Effect 3 line's.)
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { CommandLine, ConfigReport } from "../src/index.js"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")
const document = JSON.parse(Fs.readFileSync(Path.join(ROOT, "schema/observability-config.schema.json"), "utf8"))

describe("ConfigReport", () => {
  it("tells the file, the variable that set a value, and the default apart", () => {
    const variables: Record<string, string> = {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://general:4317",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "https://metrics:4317",
      OTEL_TRACES_SAMPLER_ARG: "0.5"
    }
    const sourceOf = ConfigReport.sources({ tracing: { samplingRatio: 0.1, endpoint: "http://file:4317" } }, (name) => variables[name])
    expect(sourceOf(["tracing", "samplingRatio"])).toBe("file")
    // A URL endpoint in the file decides `insecure` too, and hides the environment's.
    expect(sourceOf(["tracing", "endpoint"])).toBe("file")
    expect(sourceOf(["tracing", "insecure"])).toBe("file")
    expect(sourceOf(["metrics", "endpoint"])).toBe("env:OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    expect(sourceOf(["metrics", "insecure"])).toBe("env:OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    expect(sourceOf(["logs", "endpoint"])).toBe("env:OTEL_EXPORTER_OTLP_ENDPOINT")
    expect(sourceOf(["tracing", "batchTimeout"])).toBe("default")
  })

  it("lists every field of the JSON Schema in its order, map keys expanded and header values redacted", () => {
    const encoded = {
      tracing: { headers: { authorization: "Bearer s3cr3t-value", "user-agent": "a" }, batchTimeout: "5s" },
      globalAttributes: { "service.group": "gateway" }
    }
    const entries = ConfigReport.entries(document, encoded, () => "default")
    const paths = entries.map((entry) => entry.path)
    expect(paths.indexOf("tracing.enabled")).toBeLessThan(paths.indexOf("tracing.batchTimeout"))
    expect(paths.indexOf("tracing.batchTimeout")).toBeLessThan(paths.indexOf("metrics.enabled"))
    expect(entries.find((entry) => entry.path === "tracing.batchTimeout")?.value).toBe("5s")
    expect(entries.find((entry) => entry.path === "metrics.interval")?.value).toBeUndefined()
    expect(entries.find((entry) => entry.path === 'globalAttributes["service.group"]')?.value).toBe("gateway")
    expect(entries.find((entry) => entry.path === 'tracing.headers["user-agent"]')?.value).toBe("a")
    const text = ConfigReport.format({ source: "test.yaml", entries, warnings: ["one warning"] })
    expect(text).not.toContain("s3cr3t")
    expect(text).toMatch(/^tracing\.headers\["authorization"\]\s+\*\*\*\(\d+ chars\)\s+default$/m)
    expect(text).toMatch(/^metrics\.interval\s+\(not set\)\s+default$/m)
    expect(text).toMatch(/Warnings:\n {2}- one warning$/)
  })
})

describe("CommandLine", () => {
  const capture = () => {
    const lines: Array<string> = []
    return { lines, output: { stdout: (text: string) => lines.push(text), stderr: (text: string) => lines.push(text) } }
  }
  const called: Array<string> = []
  const commands: CommandLine.Commands = {
    configCheck: async (file) => (called.push(`check ${file}`), 0),
    configSchema: (out) => (called.push(`schema ${out}`), 0),
    doctor: async (file) => (called.push(`doctor ${file}`), 1),
    dev: async (args) => (called.push(`dev ${args.join(" ")}`), 0)
  }

  it("runs the named command with its argument, and exits 2 on a usage error", async () => {
    const { output } = capture()
    expect(await CommandLine.run(["config", "check", "a.yaml"], commands, output)).toBe(0)
    expect(await CommandLine.run(["config", "schema", "--out", "s.json"], commands, output)).toBe(0)
    expect(await CommandLine.run(["doctor"], commands, output)).toBe(1)
    expect(await CommandLine.run(["dev", "--port", "0"], commands, output)).toBe(0)
    expect(called).toEqual(["check a.yaml", "schema s.json", "doctor undefined", "dev --port 0"])
    for (const args of [[], ["bogus"], ["config"], ["config", "check", "a", "b"], ["doctor", "--verbose"], ["config", "schema", "x"]]) {
      const { lines, output: captured } = capture()
      expect(await CommandLine.run(args, commands, captured), args.join(" ")).toBe(2)
      expect(lines.join("\n")).toContain(CommandLine.USAGE)
    }
    expect(called).toHaveLength(4)
    expect(await CommandLine.run(["--help"], commands, capture().output)).toBe(0)
  })
})
