/**
 * Issue 13.4's canary: one secret set through every header path (config file, code, env, per-signal
 * env) and put where error paths would echo it (bad headers, YAML syntax errors, a `!secret` tag,
 * an endpoint password), then grepped over every output stream of every path a user runs: the
 * quickstart as a child process, `pnpm config:check`, start-up errors and the config watcher.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { TestLogger } from "@lingo-obs/core"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect, Exit, Schedule } from "effect"
import { Observability } from "../src/index.js"
import { withEnv } from "./support.js"

const CANARY = "canary-0b5e55ed"
const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")

const run = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@lingo-obs/source", ...args], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, output }))
  })

const quickstart = (env: Record<string, string>) => run(["examples/quickstart/src/main.ts"], env)
const configCheck = (file: string, env: Record<string, string> = {}) => run(["scripts/config-check.ts", file], env)

describe("canary secret", () => {
  let receiver: OtlpReceiver.Receiver
  let dir: string
  const file = async (name: string, text: string) => {
    const path = Path.join(dir, name)
    await Fs.writeFile(path, text)
    return path
  }
  beforeAll(async () => {
    receiver = await OtlpReceiver.start()
    dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "lingo-obs-canary-"))
  })
  afterAll(async () => {
    await receiver.stop()
    await Fs.rm(dir, { recursive: true, force: true })
  })

  it("is sent as headers from file, env and per-signal env, and printed by neither the quickstart nor config:check", async () => {
    const config = await file(
      "valid.yaml",
      `observability:\n  metrics:\n    headers:\n      x-honeycomb-team: ${CANARY}-file\n`
    )
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}`,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${CANARY}-env`,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: `authorization=Bearer%20${CANARY}-traces`,
      // Logs on: the general variable is theirs (traces have their own, metrics the file's).
      OTEL_LOGS_EXPORTER: "otlp",
      OBSERVABILITY_CONFIG_FILE: config
    }
    const started = await quickstart(env)
    expect(started.code, started.output).toBe(0)
    expect(started.output).not.toContain(CANARY)
    // The canary really went out, on each path.
    const sent = receiver.requests().map((request) => JSON.stringify(request.metadata)).join("\n")
    expect(sent).toContain(`${CANARY}-file`)
    expect(sent).toContain(`${CANARY}-env`)
    expect(sent).toContain(`Bearer ${CANARY}-traces`)

    const checked = await configCheck(config, env)
    expect(checked.code, checked.output).toBe(0)
    expect(checked.output).toContain("x-honeycomb-team")
    expect(checked.output).not.toContain(CANARY)
  }, 120_000)

  it("is printed by no error path: bad env headers, bad file headers, syntax errors, custom tags, endpoint passwords", async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}` }
    const malformedEnv = await quickstart({
      ...env,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${CANARY},broken`,
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: `x-api-key=caf%C3%A9-${CANARY}`,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://user:${CANARY}@127.0.0.1:1`
    })
    expect(malformedEnv.code, malformedEnv.output).toBe(0)
    expect(malformedEnv.output).toContain("OTEL_EXPORTER_OTLP_HEADERS")
    expect(malformedEnv.output.match(/Ignoring environment variable OTEL_EXPORTER_OTLP_HEADERS/g)).toHaveLength(1)
    expect(malformedEnv.output).not.toContain(CANARY)

    // Each file packs several hazards, so that a handful of child processes covers them all.
    const files = [
      // A syntax error on the line that holds the secret, and a JSON form.
      `tracing:\n  headers:\n    x-api-key: "${CANARY}\n    authorization: [${CANARY}\n`,
      `{"tracing": {"headers": {"x-api-key": "${CANARY}"}, "samplingRatio": "abc"`,
      // Valid YAML, invalid config: a header gRPC refuses, a custom tag, an endpoint password.
      `tracing:\n  headers:\n    x-api-key: !secret ${CANARY}\n    bad key: ${CANARY}\n    x-nl: "${CANARY}\\n"\n` +
      `  endpoint: http://user:${CANARY}@127.0.0.1:4317\nmetrics:\n  headers: [${CANARY}]\n`
    ]
    for (const [index, text] of files.entries()) {
      const config = await file(`bad-${index}.yaml`, text)
      const started = await quickstart({ ...env, OBSERVABILITY_CONFIG_FILE: config })
      expect(started.code, started.output).not.toBe(0)
      expect(started.output).toContain("Invalid observability config")
      expect(started.output, text).not.toContain(CANARY)
      const checked = await configCheck(config)
      expect(checked.code, checked.output).toBe(1)
      expect(checked.output, text).not.toContain(CANARY)
    }
  }, 300_000)

  it.live("is printed neither by a code config's start-up error nor by the watcher on an invalid edit", () =>
    Effect.gen(function*() {
      const capture = TestLogger.make()
      const bad = yield* Effect.exit(
        Effect.scoped(Effect.void.pipe(
          Effect.provide(Observability.layer({
            config: { tracing: { headers: { "x-api-key": `${CANARY}\n` }, samplingRatio: "abc" as unknown as number } }
          }))
        )).pipe(withEnv({}))
      )
      expect(Exit.isFailure(bad)).toBe(true)
      expect(String(Exit.isFailure(bad) ? bad.cause : "")).not.toContain(CANARY)

      const config = Path.join(dir, "watched.yaml")
      const write = (text: string) => Effect.promise(() => Fs.writeFile(config, text))
      yield* write(`tracing:\n  exporter: none\n  headers:\n    x-api-key: ${CANARY}\nmetrics:\n  enabled: false\n`)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* write(`tracing:\n  exporter: none\n  headers:\n    x-api-key: ${CANARY}\n    bad key: ${CANARY}\n  samplingRatio: [${CANARY}\n`)
        yield* Effect.sync(() => capture.lines.some((line) => line.level === "ERROR")).pipe(
          Effect.repeat({ until: (logged) => logged, schedule: Schedule.spaced("50 millis") }),
          Effect.timeout("5 seconds")
        )
        yield* write(`tracing:\n  exporter: none\n  headers:\n    x-api-key: ${CANARY}\n    bad key: ${CANARY}\n`)
        yield* Effect.sync(() => capture.lines.filter((line) => line.level === "ERROR").length >= 2).pipe(
          Effect.repeat({ until: (logged) => logged, schedule: Schedule.spaced("50 millis") }),
          Effect.timeout("5 seconds")
        )
      }).pipe(Effect.provide(Observability.layer({ file: config, watch: true })), Effect.provide(capture.layer), withEnv({})))
      const printed = capture.lines.map((line) => `${line.message} ${JSON.stringify(line.annotations)}`).join("\n")
      expect(printed).toContain("The running config stays as it was.")
      expect(printed).not.toContain(CANARY)
    }), 60_000)
})
