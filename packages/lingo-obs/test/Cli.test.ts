/**
 * The Effect 4 line's `lingo-obs` command as a user runs it: the package's bin
 * (bin/lingo-obs.js over the built dist/) in a child process on this Node (>= 22.19), its
 * output and exit status. `config check` and `config schema` print what the Effect 3 line's
 * command prints for the same file and environment (that command is run beside it, from source);
 * `doctor` gets its test items through a real receiver and names a dead port; a header value given
 * as a canary is never printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"

const PACKAGE = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const ROOT = Path.resolve(PACKAGE, "../..")
const BIN = Path.join(PACKAGE, "bin/lingo-obs.js")
const CANARY = "CANARY-e4cli-7f3a"

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** `command` in a child process with only PATH and `env` (no OTEL_* or npm_* of this process). */
const runProcess = (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string) =>
  new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env["PATH"] ?? "", ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** The Effect 4 line's bin. */
const lingoObs = (args: ReadonlyArray<string>, env: Record<string, string> = {}, cwd = ROOT) =>
  runProcess([BIN, ...args], env, cwd)

/** The Effect 3 line's command, from source: what the Effect 4 line's must print too. */
const effect3 = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  runProcess(["--import", "tsx", "--conditions=@lingo-obs/source", Path.join(ROOT, "packages/cli/src/bin.ts"), ...args], env, ROOT)

const newest = (directory: string): number =>
  Fs.readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((latest, entry) => Math.max(latest, Fs.statSync(Path.join(entry.parentPath, entry.name)).mtimeMs), 0)

/** The bin runs dist/: build it when it is missing or older than the sources it is built from. */
const ensureBuilt = () => {
  const built = Path.join(PACKAGE, "dist/cli/Cli.js")
  const sources = Math.max(newest(Path.join(PACKAGE, "src")), newest(Path.join(ROOT, "packages/otlp/src")))
  if (Fs.existsSync(built) && Fs.statSync(built).mtimeMs >= sources) return
  execFileSync(process.execPath, ["--import", "tsx", Path.join(ROOT, "scripts/build-package.ts")], { cwd: PACKAGE, stdio: "inherit" })
}

const directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "lingo-obs-e4-cli-"))
const writeJson = (name: string, content: unknown): string => {
  const file = Path.join(directory, name)
  Fs.writeFileSync(file, JSON.stringify(content, null, 2))
  return file
}

/** A port nothing listens on: bound, then released. */
const deadPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

beforeAll(ensureBuilt, 300_000)

describe("lingo-obs config check (Effect 4)", () => {
  const valid = writeJson("valid.json", {
    observability: { tracing: { samplingRatio: 0.1, headers: { authorization: `Bearer ${CANARY}` } } }
  })
  const env = {
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://collector.test:4317",
    OTEL_EXPORTER_OTLP_LOGS_HEADERS: `x-api-key=${CANARY}`,
    OTEL_TRACES_SAMPLER_ARG: "not-a-number"
  }

  it("prints every field's effective value and source, as the Effect 3 line does, and exits 0", async () => {
    const [ok, three] = await Promise.all([lingoObs(["config", "check", valid], env), effect3(["config", "check", valid], env)])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/^tracing\.samplingRatio\s+0\.1\s+file$/m)
    expect(ok.stdout).toMatch(/^metrics\.endpoint\s+collector\.test:4317\s+env:OTEL_EXPORTER_OTLP_METRICS_ENDPOINT$/m)
    expect(ok.stdout).toMatch(/^metrics\.insecure\s+true\s+env:OTEL_EXPORTER_OTLP_METRICS_ENDPOINT$/m)
    expect(ok.stdout).toMatch(/^logs\.headers\["x-api-key"\]\s+\*\*\*\(\d+ chars\)\s+env:OTEL_EXPORTER_OTLP_LOGS_HEADERS$/m)
    expect(ok.stdout).toMatch(/^tracing\.batchTimeout\s+5s\s+default$/m)
    expect(ok.stdout).toContain("Ignoring environment variable OTEL_TRACES_SAMPLER_ARG")
    expect(ok.stdout + ok.stderr).not.toContain(CANARY)
    expect(three.code, three.stderr).toBe(0)
    expect(ok.stdout).toBe(three.stdout)
  }, 120_000)

  it("reads OBSERVABILITY_CONFIG_FILE relative to where it runs, as ObservabilityLive does", async () => {
    const result = await lingoObs(["config", "check"], { OBSERVABILITY_CONFIG_FILE: Path.basename(valid) }, directory)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`Effective observability config of ${Path.basename(valid)}`)
    expect(result.stdout).toMatch(/^tracing\.samplingRatio\s+0\.1\s+file$/m)
  }, 60_000)

  it("names each bad field and exits 1 on an invalid file, as the Effect 3 line does; 1 on a missing one", async () => {
    const invalid = writeJson("invalid.json", {
      tracing: { samplingRatio: "abc", batchTimeout: "5 sec", exporter: "zipkin", endpont: "typo:4317" },
      metrics: { headers: { "x-api-key": `${CANARY}\n` } }
    })
    const [bad, three] = await Promise.all([lingoObs(["config", "check", invalid]), effect3(["config", "check", invalid])])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toBe("")
    expect(bad.stderr).toContain(`Invalid observability config (${invalid})`)
    expect(bad.stderr).toContain("tracing.samplingRatio: Expected a number between 0 and 1, got a string")
    expect(bad.stderr).toMatch(/tracing\.batchTimeout: Expected a non-negative duration/)
    expect(bad.stderr).toContain(`tracing.exporter: Expected one of "otlp_grpc", "stdout", "none"`)
    expect(bad.stderr).toMatch(/tracing\.endpont: unknown field/)
    expect(bad.stderr).toMatch(/metrics\.headers\.x-api-key/)
    expect(bad.stderr).not.toContain(CANARY)
    expect(bad.stderr).not.toMatch(/\n\s+at /) // no stack
    expect(three.code).toBe(bad.code)
    const fields = (text: string) => [...text.matchAll(/^ {2}- ([\w.-]+):/gm)].map((match) => match[1]).sort()
    expect(fields(bad.stderr)).toEqual(fields(three.stderr))

    const missing = await lingoObs(["config", "check", Path.join(directory, "missing.json")])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("no such file")
  }, 120_000)
})

describe("lingo-obs config schema (Effect 4)", () => {
  it("prints the Effect 3 line's JSON Schema, the committed one, and writes it with --out", async () => {
    const [four, three] = await Promise.all([lingoObs(["config", "schema"]), effect3(["config", "schema"])])
    expect(four.code, four.stderr).toBe(0)
    expect(three.code, three.stderr).toBe(0)
    expect(JSON.parse(four.stdout)).toEqual(JSON.parse(three.stdout))
    expect(four.stdout).toBe(three.stdout)
    const committed = Fs.readFileSync(Path.join(ROOT, "schema/observability-config.schema.json"), "utf8")
    expect(`${four.stdout}`).toBe(committed)

    const out = Path.join(directory, "nested/observability.schema.json")
    const written = await lingoObs(["config", "schema", "--out", out])
    expect(written.code, written.stderr).toBe(0)
    expect(Fs.readFileSync(out, "utf8")).toBe(committed)
  }, 120_000)
})

describe("lingo-obs usage (Effect 4)", () => {
  it("exits 2 on no command, an unknown one or a bad flag, 0 on help, as the Effect 3 line does", async () => {
    for (const args of [[], ["bogus"], ["config", "check", "--strict"], ["config", "check", "a.json", "b.json"], ["help"]]) {
      const [four, three] = await Promise.all([lingoObs(args), effect3(args)])
      expect(four.code, `${args.join(" ")}: ${four.stderr}`).toBe(three.code)
      expect(four.stdout + four.stderr).toContain("usage: lingo-obs <command>")
    }
  }, 120_000)
})

describe("lingo-obs doctor (Effect 4)", () => {
  let receiver: OtlpReceiver.Receiver
  beforeAll(async () => {
    receiver = await OtlpReceiver.start()
  })
  afterAll(() => receiver.stop())

  for (const protocol of ["grpc", "http/protobuf"] as const) {
    it(`gets one span, metric point and log record through a real receiver and exits 0 (${protocol})`, async () => {
      receiver.reset()
      const endpoint = protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint
      const headers = { "x-api-key": CANARY }
      const file = writeJson(`doctor-${protocol.replace("/", "-")}.json`, {
        service: { name: "doctor-e4" },
        tracing: { protocol, endpoint, headers },
        metrics: { protocol, endpoint, headers },
        logs: { enabled: true, protocol, endpoint, headers }
      })
      const result = await lingoObs(["doctor", file])
      expect(result.code, result.stdout + result.stderr).toBe(0)
      for (const item of ["1 span", "1 metric point", "1 log record"]) {
        expect(result.stdout).toMatch(new RegExp(`ok\\s+export\\s+${item} accepted`))
      }
      expect(result.stdout).toContain("All 3 exporting signal(s) reached the collector.")
      const span = await receiver.waitForSpan("lingo_obs.doctor")
      expect(span.resource["service.name"]).toBe("doctor-e4")
      expect((await receiver.waitForMetric("lingo_obs.doctor")).dataPoints[0]?.value).toBe(1)
      expect((await receiver.waitForLogs(1))[0]?.body).toBe("lingo-obs doctor test record")
      const requests = receiver.requests()
      expect(requests.every((request) => request.transport === (protocol === "grpc" ? "grpc" : "http"))).toBe(true)
      expect(requests.filter((request) => request.metadata["x-api-key"] === CANARY)).toHaveLength(3)
      expect(result.stdout + result.stderr).not.toContain(CANARY)
    }, 120_000)
  }

  it("names a dead port with its remedy and exits 1, never printing the header value", async () => {
    const port = await deadPort()
    const file = writeJson("doctor-dead.json", {
      tracing: { endpoint: `http://127.0.0.1:${port}`, headers: { authorization: `Bearer ${CANARY}` } },
      metrics: { enabled: false }
    })
    const result = await lingoObs(["doctor", file])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(`FAIL  tcp     connection refused by 127.0.0.1:${port}`)
    expect(result.stdout).toContain("remedy: nothing listens there: start the collector")
    expect(result.stdout).toContain("1 of 1 exporting signal(s) failed: traces.")
    expect(result.stdout + result.stderr).not.toContain(CANARY)
  }, 120_000)

  it("exits 1 with the field named on an invalid config, before any network step", async () => {
    const file = writeJson("doctor-invalid.json", { tracing: { endpoint: "" } })
    const result = await lingoObs(["doctor", file])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("tracing.endpoint: Expected a non-empty string")
  }, 60_000)
})
