/**
 * The Effect 4 line from its tarball, as a new Effect team gets it: in a fresh project outside the
 * workspace, `npm install effect@^4.1 @effect/platform-node@^4.1`, then the packed `lingo-obs` with
 * what it needs from this repository (`@lingo-obs/otlp`), with plain npm on Node 24 (`npx -p
 * node@24`, as the line requires Node >= 22.19 and this machine has Node 20). No peer warning, one
 * copy of `effect` and of each `@opentelemetry/*` package, `tsc` with `module` node16 and with
 * `moduleResolution` bundler (`skipLibCheck: false`) over a 10-line service; the service delivers
 * over OTLP/gRPC and OTLP/HTTP; an `ObservabilityTest` test runs under `@effect/vitest` 4 and
 * vitest 5; `npx lingo-obs config check`, `config schema` and `doctor` work there (doctor's test
 * items reach a real receiver, a header value never printed); `npx lingo-obs dev` lists the
 * service's trace; and on Effect 3, `lingo-obs` (the library, its `lingo-obs/http` and `lingo-obs/grpc`
 * subpaths, and the command) stops at start-up with one line naming the Effect 3 line's package.
 *
 * Needs the npm registry: `pnpm test:tarball` (a `.ci/run` step), not `pnpm test`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { cleanEnv, copies, expectSuccess, listedVersions, openTelemetryPackages, run } from "./support.js"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../..")

/**
 * Plain npm, npx and node on Node 24: `npx -p node@24` fetches it once, and its directory goes first
 * on PATH, so the system's npm and npx scripts (`#!/usr/bin/env node`) run on it too.
 */
let node24Path = ""
const onNode24 = (env: Record<string, string>) => ({ PATH: `${Path.dirname(node24Path)}${Path.delimiter}${process.env["PATH"] ?? ""}`, ...env })
const npm24 = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) => run("npm", args, cwd, onNode24(env))
const node24 = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) => run(node24Path, args, cwd, onNode24(env))
const INSTALL = ["install", "--no-audit", "--no-fund"]
/** The installed `lingo-obs` command, as `npx` finds it in `cwd`. */
const lingoObs24 = (args: ReadonlyArray<string>, cwd: string) => run("npx", ["--no", "lingo-obs", ...args], cwd, onNode24({}))
const CANARY = "CANARY-tarball4-cli-9d2e"

/** The tarball of a workspace package: `lingo-obs` → `lingo-obs-0.1.0.tgz`, `@lingo-obs/otlp` → `lingo-obs-otlp-0.1.0.tgz`. */
const tarballOf = (directory: string, name: string): string => {
  const prefix = name.replace(/^@/, "").replace("/", "-")
  const found = Fs.readdirSync(directory).filter((file) => new RegExp(`^${prefix}-\\d+\\.\\d+\\.\\d+\\.tgz$`).test(file))
  expect(found, `the tarball of ${name}`).toHaveLength(1)
  return Path.join(directory, found[0]!)
}

/** The 10-line service of issue 21: ObservabilityLive, Effect.withSpan, Metric.update, Effect.log, NodeRuntime.runMain. */
const SERVICE = `import { NodeRuntime } from "@effect/platform-node"
import { Effect, Metric } from "effect"
import { ObservabilityLive } from "lingo-obs"

const orders = Metric.counter("tarball4_orders_total")
const placeOrder = Effect.gen(function* () {
  yield* Metric.update(orders, 1)
  yield* Effect.log("order placed")
}).pipe(Effect.withSpan("tarball4-order", { attributes: { "order.id": "o-4" } }))
placeOrder.pipe(Effect.provide(ObservabilityLive), NodeRuntime.runMain)
`

/** The README's test, under @effect/vitest 4: the TestClock moves to the next sleep, durations follow it. */
const SERVICE_TEST = `import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Observability } from "lingo-obs"

it.effect("reads back a parent/child pair, the child's 20 ms sleep exactly", () =>
  Effect.gen(function* () {
    yield* Effect.sleep("20 millis").pipe(Effect.withSpan("child"), Effect.withSpan("parent"))
    const spans = yield* Observability.spans
    const parent = spans.find((span) => span.name === "parent")!
    const child = spans.find((span) => span.name === "child")!
    expect(child.parentSpanId).toBe(parent.spanId)
    expect(child.durationMicros).toBe(20_000)
  }).pipe(Effect.provide(Observability.layerTest())))
`

/** Polls `probe` until it returns something, for at most two minutes (`what` and `output` for the failure). */
const waitFor = async <A>(what: string, output: () => string, probe: () => Promise<A | undefined>): Promise<A> => {
  const deadline = Date.now() + 120_000
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; lingo-obs dev printed:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The traces the viewer lists, once there is one. */
const listedTraces = (viewer: string) =>
  waitFor("a trace in /api/traces", () => "", async () => {
    const traces = (await (await fetch(`${viewer}/api/traces`)).json()) as ReadonlyArray<Record<string, unknown>>
    return traces.length > 0 ? traces : undefined
  })

/** `npx lingo-obs dev` on ephemeral ports in `app`, on Node 24, around `use`; then SIGTERM to its process group. */
const withDev = async (app: string, use: (ports: { viewer: string; grpc: string; http: string }) => Promise<void>): Promise<void> => {
  // Its own process group, so that the test ends npx and what it starts, and nothing else.
  const dev = spawn("npx", ["--no", "lingo-obs", "dev", "--port", "0", "--grpc-port", "0", "--http-port", "0"], {
    cwd: app,
    env: cleanEnv(onNode24({})),
    detached: true
  })
  let output = ""
  dev.stdout.on("data", (chunk) => (output += String(chunk)))
  dev.stderr.on("data", (chunk) => (output += String(chunk)))
  const exited = new Promise<number | null>((resolve) => dev.on("close", resolve))
  try {
    const ports = await waitFor("the start-up lines", () => output, async () => {
      if (dev.exitCode !== null) throw new Error(`lingo-obs dev exited with ${dev.exitCode}:\n${output}`)
      const viewer = /viewer on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1]
      const grpc = /gRPC (127\.0\.0\.1:\d+)/.exec(output)?.[1]
      const http = /HTTP (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
      return viewer !== undefined && grpc !== undefined && http !== undefined ? { viewer, grpc, http } : undefined
    })
    await use(ports)
  } finally {
    if (dev.exitCode === null && dev.signalCode === null) process.kill(-dev.pid!, "SIGTERM")
    await exited
  }
  expect(output).toContain("lingo-obs dev: stopped (SIGTERM)")
}

const tsconfig = (compilerOptions: Record<string, unknown>) =>
  JSON.stringify({
    // Effect 4's own declarations name DOM types (`Transferable` in effect/rpc): with its libraries
    // checked, a Node service needs "DOM" in `lib`, as on Effect 3.
    compilerOptions: { target: "ES2022", lib: ["ES2023", "DOM"], types: ["node"], strict: true, skipLibCheck: false, ...compilerOptions },
    include: ["src"]
  }, null, 2)

describe("lingo-obs (the Effect 4 line) from its tarball, in a fresh npm project on Node 24", () => {
  const workDirectory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "lingo-obs-effect4-"))
  const tarballDirectory = Path.join(workDirectory, "tarballs")
  const app = Path.join(workDirectory, "app")
  let install: { readonly stdout: string; readonly stderr: string }
  let receiver: OtlpReceiver.Receiver

  beforeAll(async () => {
    node24Path = expectSuccess(await run("npx", ["--yes", "-p", "node@24", "node", "-p", "process.execPath"], ROOT), "npx -p node@24").stdout.trim()
    expectSuccess(await run("npx", ["--yes", "pnpm@10", "pack:all", tarballDirectory], ROOT), "pnpm pack:all")
    receiver = await OtlpReceiver.start()
    Fs.mkdirSync(Path.join(app, "src"), { recursive: true })
    Fs.writeFileSync(Path.join(app, "package.json"), JSON.stringify({ name: "effect4-app", private: true, type: "module" }))
    Fs.writeFileSync(Path.join(app, "src", "main.ts"), SERVICE)
    Fs.writeFileSync(Path.join(app, "tsconfig.json"), tsconfig({ module: "node16", moduleResolution: "node16", outDir: "dist", rootDir: "src" }))
    Fs.writeFileSync(Path.join(app, "tsconfig.bundler.json"), tsconfig({ module: "preserve", moduleResolution: "bundler", noEmit: true }))
    // What a new Effect project has before it adds the toolkit.
    expectSuccess(await npm24([...INSTALL, "effect@^4.1", "@effect/platform-node@^4.1"], app), "npm install effect@^4.1")
    install = expectSuccess(
      await npm24([
        ...INSTALL,
        tarballOf(tarballDirectory, "lingo-obs"),
        tarballOf(tarballDirectory, "@lingo-obs/otlp"),
        "typescript@~5.9.3",
        "@types/node@^24"
      ], app),
      "npm install lingo-obs"
    )
  }, 1_800_000)

  afterAll(async () => {
    await receiver?.stop()
    Fs.rmSync(workDirectory, { recursive: true, force: true })
  })

  it("installs beside Effect 4 without a peer or engine warning, and declares Node >= 22.19", async () => {
    const output = install.stdout + install.stderr
    expect(output).not.toMatch(/ERESOLVE|peer dep|EBADENGINE/i)
    // npm 11's notice that protobufjs (under the engine) has a postinstall script is about neither.
    const warnings = output.split("\n").filter((line) => /^npm warn/i.test(line) && !/^npm warn install-scripts/i.test(line))
    expect(warnings, "npm's warnings").toEqual([])
    expect((await npm24(["exec", "--", "node", "-p", "process.versions.node"], app)).stdout).toMatch(/^24\./)
    const manifest = JSON.parse(Fs.readFileSync(Path.join(app, "node_modules", "lingo-obs", "package.json"), "utf8")) as {
      readonly engines?: Record<string, string>
    }
    expect(manifest.engines).toEqual({ node: ">=22.19.0" })
  })

  it("holds exactly one copy of effect (4.x) and of every OpenTelemetry package", async () => {
    const openTelemetry = openTelemetryPackages(app)
    expect(openTelemetry).toEqual(expect.arrayContaining(["@opentelemetry/api", "@opentelemetry/core"]))
    for (const name of ["effect", ...openTelemetry]) {
      expect(copies(app, name), `${name} installed at`).toEqual([Path.join(app, "node_modules", name)])
      expect([...(await listedVersions(app, name))], `npm ls ${name}`).toHaveLength(1)
    }
    expect([...(await listedVersions(app, "effect"))][0]).toMatch(/^4\.([1-9]|\d{2,})\./)
  }, 120_000)

  it("type-checks the 10-line service with module node16 and with moduleResolution bundler, skipLibCheck off", async () => {
    expectSuccess(await node24(["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], app), "tsc node16")
    expectSuccess(await node24(["node_modules/typescript/bin/tsc", "-p", "tsconfig.bundler.json"], app), "tsc bundler")
  }, 300_000)

  it("the service delivers its span and metric over OTLP/gRPC and over OTLP/HTTP", async () => {
    for (const env of [
      { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}` },
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" }
    ]) {
      receiver.reset()
      expectSuccess(await node24(["dist/main.js"], app, { ...env, OTEL_SERVICE_NAME: "tarball4-service" }), `node dist/main.js (${JSON.stringify(env)})`)
      const span = await receiver.waitForSpan("tarball4-order")
      expect(span.attributes["order.id"]).toBe("o-4")
      expect(span.resource["service.name"]).toBe("tarball4-service")
      const metric = await receiver.waitForMetric("tarball4_orders_total")
      expect(metric.dataPoints[0]?.value).toBe(1)
      expect(receiver.requests().map((request) => request.transport)).toContain(env.OTEL_EXPORTER_OTLP_PROTOCOL === undefined ? "grpc" : "http")
    }
  }, 300_000)

  it("npx lingo-obs config check, config schema and doctor run there on the app's Effect 4", async () => {
    const config = (endpoint: string) =>
      JSON.stringify({
        observability: {
          service: { name: "tarball4-doctor" },
          tracing: { endpoint, headers: { "x-api-key": CANARY } },
          metrics: { endpoint, headers: { "x-api-key": CANARY } }
        }
      })
    Fs.writeFileSync(Path.join(app, "observability.json"), config(`http://${receiver.endpoint}`))
    const check = await lingoObs24(["config", "check", "observability.json"], app)
    expectSuccess(check, "npx lingo-obs config check")
    expect(check.stdout).toMatch(new RegExp(`^tracing\\.endpoint\\s+${receiver.endpoint.replace(/\./g, "\\.")}\\s+file$`, "m"))
    expect(check.stdout).toMatch(/^tracing\.headers\["x-api-key"\]\s+\*\*\*\(\d+ chars\)\s+file$/m)
    Fs.writeFileSync(Path.join(app, "invalid.json"), JSON.stringify({ tracing: { samplingRatio: "all", exporter: "zipkin" } }))
    const invalid = await lingoObs24(["config", "check", "invalid.json"], app)
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain("tracing.samplingRatio: Expected a number between 0 and 1")
    expect(invalid.stderr).toContain("tracing.exporter: Expected one of")

    const schema = expectSuccess(await lingoObs24(["config", "schema"], app), "npx lingo-obs config schema")
    expect(schema.stdout).toBe(Fs.readFileSync(Path.join(ROOT, "schema/observability-config.schema.json"), "utf8"))

    receiver.reset()
    const doctor = await lingoObs24(["doctor", "observability.json"], app)
    expectSuccess(doctor, "npx lingo-obs doctor")
    expect(doctor.stdout).toMatch(/ok\s+export\s+1 span accepted/)
    expect(doctor.stdout).toMatch(/ok\s+export\s+1 metric point accepted/)
    expect((await receiver.waitForSpan("lingo_obs.doctor")).resource["service.name"]).toBe("tarball4-doctor")
    expect(receiver.requests().some((request) => request.metadata["x-api-key"] === CANARY)).toBe(true)

    Fs.writeFileSync(Path.join(app, "dead.json"), config("http://127.0.0.1:1"))
    const dead = await lingoObs24(["doctor", "dead.json"], app)
    expect(dead.code).toBe(1)
    expect(dead.stdout).toContain("FAIL  tcp     connection refused by 127.0.0.1:1")
    expect(dead.stdout).toContain("2 of 2 exporting signal(s) failed: traces, metrics.")
    for (const result of [check, invalid, doctor, dead]) expect(result.stdout + result.stderr).not.toContain(CANARY)
  }, 600_000)

  it("runs an ObservabilityTest test under @effect/vitest 4 and vitest 5", async () => {
    expectSuccess(await npm24([...INSTALL, "--save-dev", "@effect/vitest@^4.1", "vitest@^5"], app), "npm install @effect/vitest@^4.1 vitest@^5")
    Fs.mkdirSync(Path.join(app, "test"), { recursive: true })
    Fs.writeFileSync(Path.join(app, "test", "order.test.ts"), SERVICE_TEST)
    const result = await node24(["node_modules/vitest/vitest.mjs", "run", "test"], app, { CI: "true", NO_COLOR: "1" })
    expectSuccess(result, "vitest run")
    expect(result.stdout.replace(/\x1b\[[0-9;]*m/g, "")).toMatch(/Tests\s+1 passed \(1\)/)
  }, 600_000)

  it("npx lingo-obs dev starts there and lists a trace sent to it", async () => {
    expectSuccess(
      await npm24([
        ...INSTALL,
        "--save-dev",
        tarballOf(tarballDirectory, "@lingo-obs/dev"),
        tarballOf(tarballDirectory, "@lingo-obs/otlp-receiver"),
        tarballOf(tarballDirectory, "@lingo-obs/otlp")
      ], app),
      "npm install @lingo-obs/dev"
    )
    await withDev(app, async ({ http, viewer }) => {
      const start = BigInt(Date.now()) * 1_000_000n
      const sent = await fetch(`${http}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          resourceSpans: [{
            resource: { attributes: [{ key: "service.name", value: { stringValue: "effect4-app" } }] },
            scopeSpans: [{
              scope: { name: "manual" },
              spans: [{
                traceId: "5b8efff798038103d269b633813fc60c",
                spanId: "eee19b7ec3c1b174",
                name: "checkout",
                kind: 2,
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + 5_000_000n)
              }]
            }]
          }]
        })
      })
      expect(sent.status).toBe(200)
      expect(await listedTraces(viewer)).toEqual([
        expect.objectContaining({ traceId: "5b8efff798038103d269b633813fc60c", rootName: "checkout", rootService: "effect4-app" })
      ])
    })
  }, 600_000)

  it("npx lingo-obs dev lists the service's trace", async () => {
    await withDev(app, async ({ grpc, viewer }) => {
      expectSuccess(
        await node24(["dist/main.js"], app, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${grpc}`, OTEL_SERVICE_NAME: "tarball4-service" }),
        "node dist/main.js"
      )
      expect(await listedTraces(viewer)).toEqual([expect.objectContaining({ rootName: "tarball4-order", rootService: "tarball4-service" })])
    })
  }, 600_000)

  it("on Effect 3, lingo-obs and its subpaths stop at start-up with one line naming the Effect 3 line's package", async () => {
    const effect3 = Path.join(workDirectory, "effect3")
    Fs.mkdirSync(effect3)
    Fs.writeFileSync(Path.join(effect3, "package.json"), JSON.stringify({ name: "effect3-app", private: true, type: "module" }))
    Fs.writeFileSync(Path.join(effect3, "main.js"), `import * as LingoObs from "lingo-obs"\nconsole.log(Object.keys(LingoObs))\n`)
    const packages = [tarballOf(tarballDirectory, "lingo-obs"), tarballOf(tarballDirectory, "@lingo-obs/otlp"), "effect@^3.22"]
    const strict = await npm24([...INSTALL, ...packages], effect3)
    expect(strict.code).not.toBe(0)
    expect(strict.stderr).toMatch(/peer effect@"\^4\.1\.0" from lingo-obs/)
    expectSuccess(await npm24([...INSTALL, "--force", ...packages], effect3), "npm install --force (effect 3)")
    const started = await node24(["main.js"], effect3)
    expect(started.code).toBe(1)
    expect(started.stdout).toBe("")
    expect(started.stderr).toMatch(
      /^lingo-obs needs effect \^4\.1\.0, but this app has effect 3\.\d+\.\d+ \([^\n]*\): for Effect 3 use @lingo-obs\/observability instead \(npm install @lingo-obs\/observability effect@\^3\.22 [^\n]*\), or move the app to effect \^4\.1\.0\.\n$/
    )
    // The subpaths too: the same line under their own name, not an error deep in effect/dist.
    for (const subpath of ["lingo-obs/http", "lingo-obs/grpc"]) {
      const file = `${subpath.replace("/", "-")}.js`
      Fs.writeFileSync(Path.join(effect3, file), `import * as Module from "${subpath}"\nconsole.log(Object.keys(Module))\n`)
      const loaded = await node24([file], effect3)
      expect(loaded.code, subpath).toBe(1)
      expect(loaded.stdout, subpath).toBe("")
      expect(loaded.stderr, subpath).toBe(started.stderr.replace(/^lingo-obs /, `${subpath} `))
    }
    // The command too: one line, before any module that imports effect is loaded.
    const command = await lingoObs24(["config", "check"], effect3)
    expect(command.code).toBe(1)
    expect(command.stdout).toBe("")
    expect(command.stderr).toBe(started.stderr)
  }, 600_000)
})
