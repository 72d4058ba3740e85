/**
 * What a team gets from the registry, proved from the packed tarballs: every public package is
 * packed (`pnpm pack:all`, whose `pnpm pack` runs each `prepack`), installed with npm into a fresh project outside the
 * workspace beside the supported Effect 3 packages, type-checked with `moduleResolution` node16 and
 * bundler (`skipLibCheck: false`), run with plain `node` against a receiver, and checked with
 * `npx lingo-obs`. A second project installs Effect 4 and gets npm's peer conflict and the
 * toolkit's one-line start-up message naming `lingo-obs`. The Effect 4 line's own test: effect4.test.ts.
 *
 * Needs the npm registry, so it is not part of `pnpm test`: `pnpm test:tarball`, a step of `.ci/run`
 * after the build.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { publicPackages, tarballName } from "../pack-all.js"
import { cleanEnv, copies, deadPort, expectSuccess, listedVersions, openTelemetryPackages, run } from "./support.js"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../..")

/** The Effect 3 line a service installs beside the toolkit (the README's install line). */
const EFFECT_3 = [
  "effect@^3.22",
  "@effect/platform@^0.97",
  "@effect/platform-node@^0.108",
  "@opentelemetry/api@^1.9"
]
const TOOLS = ["typescript@~5.9.3", "@types/node@^20", "@types/ws@^8"]

/**
 * What an Effect 3 service installs: not the local-telemetry tools (`lingo-obs dev` and its
 * receiver, a developer's dev dependency whose OTLP definitions nest an older SDK), and not
 * `lingo-obs` itself, the Effect 4 line (effect4.test.ts).
 */
const isServicePackage = (tarball: string): boolean =>
  !/otlp-receiver|lingo-obs-dev-/.test(tarball) && !/^lingo-obs-\d/.test(Path.basename(tarball))

/** Besides every `@opentelemetry/*` package: a consumer must hold exactly one copy of each. */
const SINGLE_COPY = ["effect"]

const SERVICE_MAIN = `import { NodeRuntime } from "@effect/platform-node"
import { Observability } from "@lingo-obs/observability"
import { Effect, Metric } from "effect"

const ordersPlaced = Metric.counter("tarball_orders_total")

const placeOrder = (id: string) =>
  Effect.gen(function* () {
    yield* Metric.increment(ordersPlaced)
    yield* Effect.log("order placed")
  }).pipe(Effect.withSpan("tarball-order", { attributes: { "order.id": id } }))

const ObservabilityLive = Observability.layer({ service: { name: "tarball-service", version: "1.0.0" } })

placeOrder("o-1").pipe(Effect.provide(ObservabilityLive), NodeRuntime.runMain)
`

const SERVICE_HTTP = `import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { HttpServerMiddleware } from "@lingo-obs/http-middleware"
import { ObservabilityTest } from "@lingo-obs/observability"
import { Cli } from "@lingo-obs/cli"
import { EffectVersion } from "@lingo-obs/core"

const router = HttpRouter.empty.pipe(HttpRouter.get("/users/:id", HttpServerResponse.text("ok")))
export const HttpLive = router.pipe(HttpServerMiddleware.serve())
export const TestLive = ObservabilityTest
export const usage: string = Cli.USAGE
export const supported: string = EffectVersion.supportedRange
`

const tsconfig = (compilerOptions: Record<string, unknown>) =>
  JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      // @effect/platform's declarations name DOM types (Storage, Transferable) and platform-node's
      // name ws: what any Effect service that checks its libraries needs.
      lib: ["ES2022", "DOM", "DOM.Iterable"],
      types: ["node"],
      strict: true,
      skipLibCheck: false,
      ...compilerOptions
    },
    include: ["src"]
  }, null, 2)

const timings: Array<string> = []
const timed = async <A>(label: string, task: () => Promise<A>): Promise<A> => {
  const started = Date.now()
  try {
    return await task()
  } finally {
    timings.push(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
}

describe("the packed tarballs in a fresh npm project", () => {
  const workDirectory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "lingo-obs-tarballs-"))
  const tarballDirectory = Path.join(workDirectory, "tarballs")
  const service = Path.join(workDirectory, "service")
  let tarballs: ReadonlyArray<string> = []
  let receiver: OtlpReceiver.Receiver

  beforeAll(async () => {
    await timed("pnpm pack:all (prepack builds)", async () =>
      expectSuccess(await run("npx", ["--yes", "pnpm@10", "pack:all", tarballDirectory], ROOT), "pnpm pack:all"))
    tarballs = Fs.readdirSync(tarballDirectory).map((file) => Path.join(tarballDirectory, file))
    expect(tarballs.map((file) => Path.basename(file)).sort(), "one tarball per public package").toEqual(
      publicPackages().map(tarballName).sort()
    )
    receiver = await OtlpReceiver.start()

    Fs.mkdirSync(Path.join(service, "src"), { recursive: true })
    Fs.writeFileSync(Path.join(service, "package.json"), JSON.stringify({ name: "tarball-service", private: true, type: "module" }))
    Fs.writeFileSync(Path.join(service, "src", "main.ts"), SERVICE_MAIN)
    Fs.writeFileSync(Path.join(service, "src", "http.ts"), SERVICE_HTTP)
    Fs.writeFileSync(Path.join(service, "tsconfig.json"), tsconfig({ module: "node16", moduleResolution: "node16", outDir: "dist", rootDir: "src" }))
    Fs.writeFileSync(Path.join(service, "tsconfig.bundler.json"), tsconfig({ module: "preserve", moduleResolution: "bundler", noEmit: true }))
    // The receiver is a development tool (behind `lingo-obs dev`), not part of a service's runtime.
    const serviceTarballs = tarballs.filter(isServicePackage)
    await timed("npm install (service)", async () =>
      expectSuccess(await run("npm", ["install", "--no-audit", "--no-fund", ...serviceTarballs, ...EFFECT_3, ...TOOLS], service), "npm install"))
  }, 1_800_000)

  afterAll(async () => {
    await receiver?.stop()
    Fs.rmSync(workDirectory, { recursive: true, force: true })
    process.stdout.write(`tarball test timings:\n  ${timings.join("\n  ")}\n`)
  })

  it("type-checks a service with moduleResolution node16 and bundler, skipLibCheck off", async () => {
    await timed("tsc node16 (emit)", async () => expectSuccess(await run("npx", ["--no", "--", "tsc", "-p", "tsconfig.json"], service), "tsc node16"))
    await timed("tsc bundler", async () =>
      expectSuccess(await run("npx", ["--no", "--", "tsc", "-p", "tsconfig.bundler.json"], service), "tsc bundler"))
  }, 300_000)

  it("runs with plain node and its spans and metrics reach the receiver", async () => {
    receiver.reset()
    const result = await timed("node dist/main.js", () =>
      run(process.execPath, ["dist/main.js"], service, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}` }))
    expectSuccess(result, "node dist/main.js")
    const span = await receiver.waitForSpan("tarball-order")
    expect(span.attributes["order.id"]).toBe("o-1")
    expect(span.resource["service.name"]).toBe("tarball-service")
    const metric = await receiver.waitForMetric("tarball_orders_total")
    expect(metric.dataPoints[0]?.value).toBe(1)
  }, 120_000)

  it("holds exactly one copy of effect and of every OpenTelemetry package", async () => {
    const openTelemetry = openTelemetryPackages(service)
    expect(openTelemetry).toEqual(expect.arrayContaining(["@opentelemetry/api", "@opentelemetry/core", "@opentelemetry/sdk-metrics"]))
    for (const name of [...SINGLE_COPY, ...openTelemetry]) {
      expect(copies(service, name), `${name} installed at`).toEqual([Path.join(service, "node_modules", name)])
      expect([...(await listedVersions(service, name))], `npm ls ${name}`).toHaveLength(1)
    }
    const effect = await run("npm", ["ls", "effect"], service)
    expect(effect.code, effect.stdout + effect.stderr).toBe(0)
    expect(new Set(effect.stdout.match(/effect@\d+\.\d+\.\d+/g))).toEqual(new Set([effect.stdout.match(/effect@3\.\d+\.\d+/)![0]]))
    // `@effect/opentelemetry` is no longer needed: nothing installs it.
    expect(copies(service, "@effect/opentelemetry")).toEqual([])
  }, 120_000)

  it("npx lingo-obs config check and doctor work from the service's directory", async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}` }
    const check = expectSuccess(await run("npx", ["--no", "lingo-obs", "config", "check"], service, env), "lingo-obs config check")
    expect(check.stdout).toMatch(new RegExp(`^tracing\\.endpoint\\s+${receiver.endpoint.replace(/\./g, "\\.")}\\s+env:OTEL_EXPORTER_OTLP_ENDPOINT$`, "m"))

    receiver.reset()
    const doctor = expectSuccess(await run("npx", ["--no", "lingo-obs", "doctor"], service, env), "lingo-obs doctor")
    expect(doctor.stdout).toContain("All 2 exporting signal(s) reached the collector.")
    await receiver.waitForSpan("lingo_obs.doctor")

    const port = await deadPort()
    const dead = await run("npx", ["--no", "lingo-obs", "doctor"], service, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` })
    expect(dead.code).toBe(1)
    expect(dead.stdout).toContain(`connection refused by 127.0.0.1:${port}`)
    expect(dead.stdout).toContain("remedy: nothing listens there")

    const dev = await run("npx", ["--no", "lingo-obs", "dev"], service)
    expect(dev.code).toBe(1)
    expect(dev.stderr).toContain("lingo-obs dev needs @lingo-obs/dev: npm install --save-dev @lingo-obs/dev")
  }, 120_000)

  it("on Effect 4: npm reports the peer conflict, and start-up fails with one clear message", async () => {
    const app = Path.join(workDirectory, "effect4")
    Fs.mkdirSync(app)
    Fs.writeFileSync(Path.join(app, "package.json"), JSON.stringify({ name: "effect4-app", private: true, type: "module" }))
    Fs.writeFileSync(Path.join(app, "main.js"), `import { ObservabilityLive } from "@lingo-obs/observability"\nconsole.log(typeof ObservabilityLive)\n`)
    const packages = [...tarballs.filter(isServicePackage), "effect@^4"]

    const strict = await timed("npm install (effect 4, refused)", () => run("npm", ["install", "--no-audit", "--no-fund", ...packages], app))
    expect(strict.code).not.toBe(0)
    expect(strict.stderr).toContain("ERESOLVE")
    expect(strict.stderr).toMatch(/peer effect@"\^3\.22\.0" from @lingo-obs\//)

    const forced = await timed("npm install --force (effect 4)", () =>
      run("npm", ["install", "--no-audit", "--no-fund", "--force", ...packages], app))
    expectSuccess(forced, "npm install --force")
    expect(forced.stderr).toMatch(/npm warn ERESOLVE overriding peer dependency/i)
    expect(forced.stderr).toContain("effect")

    const started = await run(process.execPath, ["main.js"], app)
    expect(started.code).not.toBe(0)
    // One line, no stack: the Effect 3 line names lingo-obs, the package for Effect 4.
    expect(started.code).toBe(1)
    expect(started.stderr).toMatch(
      /^@lingo-obs\/observability needs effect \^3\.22\.0, but this app has effect 4\.\d+\.\d+ \([^\n]*\): for Effect 4 use lingo-obs instead \(npm install lingo-obs effect@\^4\.1 @effect\/platform-node@\^4\.1\), or move the app to effect \^3\.22\.0\.\n$/
    )

    const cli = await run("npx", ["--no", "lingo-obs", "doctor"], app)
    expect(cli.code).toBe(1)
    expect(cli.stderr).toMatch(/^@lingo-obs\/cli needs effect \^3\.22\.0, but this app has effect 4\./)
  }, 600_000)

  it("lingo-obs dev installed alone, in a project without effect, starts and lists an ingested span", async () => {
    const app = Path.join(workDirectory, "dev-alone")
    Fs.mkdirSync(app)
    Fs.writeFileSync(Path.join(app, "package.json"), JSON.stringify({ name: "dev-alone-app", private: true, type: "module" }))
    // What `lingo-obs dev` needs from this repository: the dev tool, its receiver and the engine.
    const devTarballs = tarballs.filter((tarball) => /lingo-obs-(otlp|otlp-receiver|dev)-\d/.test(Path.basename(tarball)))
    expect(devTarballs.map((tarball) => Path.basename(tarball).replace(/-\d.*$/, "")).sort()).toEqual([
      "lingo-obs-dev",
      "lingo-obs-otlp",
      "lingo-obs-otlp-receiver"
    ])
    await timed("npm install (dev alone)", async () =>
      expectSuccess(await run("npm", ["install", "--no-audit", "--no-fund", ...devTarballs], app), "npm install (dev alone)"))
    expect(copies(app, "effect"), "effect installed at").toEqual([])
    // One copy of every OpenTelemetry package here too: the receiver decodes OTLP with the
    // engine's reader, so no second set of OTLP definitions (and its own SDK) comes along.
    const openTelemetry = openTelemetryPackages(app)
    expect(openTelemetry).toContain("@opentelemetry/core")
    expect(openTelemetry).not.toContain("@opentelemetry/otlp-transformer")
    for (const name of openTelemetry) {
      expect(copies(app, name), `${name} installed at`).toEqual([Path.join(app, "node_modules", name)])
      expect([...(await listedVersions(app, name))], `npm ls ${name}`).toHaveLength(1)
    }

    // Its own process group, so that the test ends npx and the node process it starts, and nothing else.
    const dev = spawn("npx", ["--no", "--", "lingo-obs-dev", "--port", "0", "--grpc-port", "0", "--http-port", "0"], {
      cwd: app,
      env: cleanEnv(),
      detached: true
    })
    let output = ""
    dev.stdout.on("data", (chunk) => (output += String(chunk)))
    dev.stderr.on("data", (chunk) => (output += String(chunk)))
    const exited = new Promise<number | null>((resolve) => dev.on("close", resolve))
    const waitFor = async <A>(what: string, probe: () => Promise<A | undefined>): Promise<A> => {
      const deadline = Date.now() + 60_000
      for (;;) {
        const found = await probe()
        if (found !== undefined) return found
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; lingo-obs-dev printed:\n${output}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    try {
      const [viewer, otlpHttp] = await waitFor("the start-up lines", async () => {
        const viewer = /viewer on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1]
        const otlpHttp = /HTTP (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
        if (dev.exitCode !== null) throw new Error(`lingo-obs-dev exited with ${dev.exitCode}:\n${output}`)
        return viewer !== undefined && otlpHttp !== undefined ? [viewer, otlpHttp] as const : undefined
      })
      const start = BigInt(Date.now()) * 1_000_000n
      const sent = await fetch(`${otlpHttp}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          resourceSpans: [{
            resource: { attributes: [{ key: "service.name", value: { stringValue: "no-effect-app" } }] },
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
      const listed = await waitFor("the span in /api/traces", async () => {
        const traces = (await (await fetch(`${viewer}/api/traces`)).json()) as ReadonlyArray<Record<string, unknown>>
        return traces.length > 0 ? traces : undefined
      })
      expect(listed).toEqual([
        expect.objectContaining({ traceId: "5b8efff798038103d269b633813fc60c", rootName: "checkout", rootService: "no-effect-app", spanCount: 1 })
      ])
    } finally {
      if (dev.exitCode === null && dev.signalCode === null) process.kill(-dev.pid!, "SIGTERM")
      await exited
    }
    expect(output).not.toMatch(/UnsupportedEffectError|ERR_MODULE_NOT_FOUND/)
  }, 600_000)
})
