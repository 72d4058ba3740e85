/**
 * Issue 13.4–13.6, each case measured on the old main: secrets in every message about config and
 * environment, bad input that must warn (env) or name the field (file), and config files that
 * must not exhaust the process.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { Duration, Effect, Exit } from "effect"
import { ConfigReport, ConfigSource, Redact } from "../src/index.js"
import { withEnv } from "./support.js"

const CANARY = "canary-5ec7e7-value"

const errorMessage = <A>(exit: Exit.Exit<A, ConfigSource.ConfigError>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error.message : "(no ConfigError)"

const tempFile = (name: string, text: string) =>
  Effect.promise(async () => {
    const dir = await Fs.mkdtemp(Path.join(Os.tmpdir(), "lingo-obs-hardening-"))
    const file = Path.join(dir, name)
    await Fs.writeFile(file, text)
    return file
  })

/** Every line a run logs and the error it ends with, as one text to grep. */
const everything = <A>(env: Record<string, string>, self: Effect.Effect<A, ConfigSource.ConfigError>) =>
  Effect.gen(function*() {
    const { lines, value: exit } = yield* withEnv(env, Effect.exit(self))
    return { exit, text: [...lines.map((line) => line.message), Exit.isFailure(exit) ? errorMessage(exit) : ""].join("\n") }
  })

describe("13.4 secrets are never printed", () => {
  it.effect("a malformed OTEL_EXPORTER_OTLP_HEADERS (5 forms) is warned about once, its value hidden", () =>
    Effect.gen(function*() {
      const forms = [
        `x-api-key=${CANARY},broken`,
        `=${CANARY}`,
        `${CANARY}`,
        `x-api-key=${CANARY},,=${CANARY}`,
        ` =${CANARY},a=b`
      ]
      for (const form of forms) {
        const { exit, text } = yield* everything({ OTEL_EXPORTER_OTLP_HEADERS: form }, ConfigSource.resolve({}))
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(text).not.toContain(CANARY)
        // Read for three signals, reported once.
        expect(text.match(/OTEL_EXPORTER_OTLP_HEADERS/g), form).toHaveLength(1)
        expect(text).toContain(`(value hidden: ${form.length} chars)`)
      }
    }))

  it.effect("validation errors never echo a header value or a URL password, even about a whole section", () =>
    Effect.gen(function*() {
      const inputs: ReadonlyArray<unknown> = [
        { tracing: { headers: { "x-api-key": 42, authorization: CANARY, extra: [CANARY] } } },
        { tracing: [{ headers: { authorization: CANARY } }] },
        { tracing: { headers: { "bad key": CANARY } } },
        { tracing: { headers: { "x-api-key": `${CANARY}\n` } } },
        { tracing: { endpoint: `http://user:${CANARY}@collector:4317` } },
        { metrics: { endpoint: `user:${CANARY}@collector:4317` } },
        { observability: { logs: { headers: CANARY } } },
        { tracing: { headers: { authorization: CANARY }, samplingRatio: { nested: CANARY } } }
      ]
      for (const input of inputs) {
        const { exit, text } = yield* everything({}, ConfigSource.resolve(input))
        expect(Exit.isFailure(exit), JSON.stringify(input)).toBe(true)
        expect(text, JSON.stringify(input)).not.toContain(CANARY)
      }
    }))

  it.effect("YAML and JSON syntax errors name the line, never its text; the YAML library prints nothing", () =>
    Effect.gen(function*() {
      const files = [
        `tracing:\n  headers:\n    authorization: "${CANARY}\n`,
        `tracing:\n  headers: { authorization: ${CANARY}\n`,
        `tracing:\n  headers:\n    authorization: ${CANARY}\n   bad: [\n`,
        `{"tracing": {"headers": {"authorization": "${CANARY}"}}`,
        `tracing:\n  headers:\n    authorization: ${CANARY}\n    authorization: ${CANARY}\n`,
        `tracing:\n  headers:\n    authorization: !secret ${CANARY}\n`,
        `tracing:\n  endpoint: http://u:${CANARY}@collector:4317\n  headers:\n    x-api-key: ${CANARY}\n`
      ]
      const stderr: Array<string> = []
      const write = process.stderr.write
      const warn = process.emitWarning
      process.stderr.write = ((chunk: string) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write
      process.emitWarning = ((warning: string | Error) => stderr.push(String(warning))) as typeof process.emitWarning
      try {
        for (const text of files) {
          const file = yield* tempFile("config.yaml", text)
          const loaded = yield* everything({}, ConfigSource.load({ file }))
          expect(loaded.text, text).not.toContain(CANARY)
          const report = yield* everything({}, ConfigReport.fromFile(file))
          const printed = Exit.isSuccess(report.exit) ? ConfigReport.format(report.exit.value) : report.text
          expect(printed, text).not.toContain(CANARY)
        }
      } finally {
        process.stderr.write = write
        process.emitWarning = warn
      }
      expect(stderr.join("")).toBe("")
      // The syntax error still says where.
      const file = yield* tempFile("config.yaml", files[0]!)
      const { text } = yield* everything({}, ConfigSource.load({ file }))
      expect(text).toMatch(/not valid YAML or JSON at line \d+, column \d+/)
    }))

  it.effect("the YAML library's warning for a custom tag is logged once as a warning, without the line", () =>
    Effect.gen(function*() {
      const file = yield* tempFile("config.yaml", `tracing:\n  headers:\n    authorization: !secret ${CANARY}\n`)
      const { lines } = yield* withEnv({}, Effect.exit(ConfigSource.load({ file })))
      const warnings = lines.filter((line) => line.level === "WARN").map((line) => line.message)
      expect(warnings).toEqual([`${file}: YAML at line 3, column 20: Unresolved tag (TAG_RESOLVE_FAILED)`])
    }))

  it.effect("an endpoint variable with a password is warned about without it", () =>
    Effect.gen(function*() {
      const { exit, text } = yield* everything(
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `https://user:${CANARY}@collector:4317` },
        ConfigSource.resolve({})
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(text).not.toContain(CANARY)
      expect(text).toContain(`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="https://***@collector:4317"`)
    }))

  it("Redact: header values hidden whatever the name, user-info hidden, messages scrubbed", () => {
    expect(Redact.headers({ "x-honeycomb-team": "abc", Accept: "*/*" })).toEqual({
      "x-honeycomb-team": "***(3 chars)",
      Accept: "*/*"
    })
    expect(Redact.url("http://user:pw@host:4317/v1")).toBe("http://***@host:4317/v1")
    expect(Redact.url("user:pw@host:4317")).toBe("***@host:4317")
    expect(Redact.url("host:4317")).toBe("host:4317")
    expect(Redact.scrub(`a "x\\"y" b`, [`x"y`])).toBe(`a "***" b`)
  })
})

describe("13.5 bad input warns (env) or names the field (file), never crashes", () => {
  it.effect("headers gRPC or HTTP refuse: from a file, a config error naming the field", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ "x-tenant": "café" }, `tracing.headers.x-tenant`],
        [{ "x tenant": "a" }, `tracing.headers.x tenant`],
        [{ "x-trace-bin": "a" }, `tracing.headers.x-trace-bin`],
        [{ "x-tenant": "a\nb" }, `tracing.headers.x-tenant`],
        [{ "grpc-timeout": "1S" }, `tracing.headers.grpc-timeout`],
        [{ "": "a" }, `tracing.headers.`]
      ]
      for (const [headers, path] of cases) {
        const exit = yield* Effect.exit(ConfigSource.decode({ tracing: { headers } }))
        expect(errorMessage(exit), JSON.stringify(headers)).toContain(`${path}: `)
        // config:check says the same.
        const report = yield* Effect.exit(withEnv({}, ConfigReport.make({ tracing: { headers } })))
        expect(Exit.isFailure(report)).toBe(true)
      }
      const ok = yield* ConfigSource.decode({ tracing: { headers: { "X-Tenant": "a b", authorization: "Bearer x" } } })
      expect(ok.tracing.headers).toEqual({ "X-Tenant": "a b", authorization: "Bearer x" })
    }))

  it.effect("headers gRPC or HTTP refuse: from env, one warning naming the variable and the header, header dropped", () =>
    Effect.gen(function*() {
      const { lines, value: config } = yield* withEnv(
        { OTEL_EXPORTER_OTLP_HEADERS: `x-tenant=a,x-api-key=caf%C3%A9${CANARY},x%20bad=1,x-trace-bin=2,x-nl=a%0Ab` },
        ConfigSource.resolve({})
      )
      expect(config.tracing.headers).toEqual({ "x-tenant": "a" })
      expect(config.logs.headers).toEqual({ "x-tenant": "a" })
      const warnings = lines.filter((line) => line.level === "WARN").map((line) => line.message)
      expect(warnings).toHaveLength(4)
      for (const warning of warnings) expect(warning).toMatch(/^Environment variable OTEL_EXPORTER_OTLP_HEADERS: ignoring one header/)
      expect(warnings.join("\n")).not.toContain(CANARY)
      expect(warnings.join("\n")).toContain(`"x-api-key"`)
    }))

  it.effect("OTEL_RESOURCE_ATTRIBUTES with an empty value: one warning, the attribute ignored, start-up goes on", () =>
    Effect.gen(function*() {
      const { lines, value: config } = yield* withEnv(
        { OTEL_RESOURCE_ATTRIBUTES: "service.name=,region=eu" },
        ConfigSource.resolve({})
      )
      expect(config.service.name).toBeUndefined()
      expect(config.globalAttributes).toEqual({ region: "eu" })
      const warnings = lines.filter((line) => line.level === "WARN").map((line) => line.message)
      expect(warnings).toEqual([`Environment variable OTEL_RESOURCE_ATTRIBUTES: ignoring attribute "service.name": its value is empty`])
      const broken = yield* withEnv({ OTEL_RESOURCE_ATTRIBUTES: "=x,region=eu" }, ConfigSource.resolve({}))
      expect(broken.value.globalAttributes).toEqual({})
    }))

  it.effect("durations and counts are range-checked: no timer above 2^31-1 ms", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(ConfigSource.decode({
        tracing: { batchTimeout: "30d", maxQueueSize: 2 ** 40 },
        metrics: { interval: "2147483648ms" },
        shutdownTimeout: "9999999h"
      }))
      const message = errorMessage(exit)
      for (const path of ["tracing.batchTimeout", "tracing.maxQueueSize", "metrics.interval", "shutdownTimeout"]) {
        expect(message).toContain(`${path}: Expected`)
      }
      const ok = yield* ConfigSource.decode({ metrics: { interval: "2147483647ms" } })
      expect(Duration.toMillis(ok.metrics.interval)).toBe(2_147_483_647)
      const { lines, value } = yield* withEnv(
        { OTEL_METRIC_EXPORT_INTERVAL: "2147483648", OTEL_BSP_MAX_QUEUE_SIZE: "99999999999999999999" },
        ConfigSource.resolve({})
      )
      expect(Duration.toMillis(value.metrics.interval)).toBe(60_000)
      expect(value.tracing.maxQueueSize).toBe(131_072)
      expect(lines.filter((line) => line.level === "WARN")).toHaveLength(2)
    }))

  it.effect("each general OTEL_EXPORTER_OTLP_* value is warned about once, not once per signal", () =>
    Effect.gen(function*() {
      const { lines } = yield* withEnv({
        OTEL_EXPORTER_OTLP_INSECURE: "maybe",
        OTEL_EXPORTER_OTLP_COMPRESSION: "zstd",
        OTEL_EXPORTER_OTLP_TIMEOUT: "soon",
        OTEL_EXPORTER_OTLP_ENDPOINT: "not a url"
      }, ConfigSource.resolve({}))
      const warnings = lines.filter((line) => line.level === "WARN").map((line) => line.message)
      expect(warnings).toHaveLength(4)
    }))

  it.effect("enum values that are Object.prototype's properties are unknown values, not crashes", () =>
    Effect.gen(function*() {
      for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
        const { lines, value } = yield* withEnv({
          OBSERVABILITY_LOG_LEVEL: name,
          OTEL_TRACES_SAMPLER: name,
          OTEL_TRACES_EXPORTER: name,
          OTEL_PROPAGATORS: name,
          OTEL_EXPORTER_OTLP_COMPRESSION: name
        }, ConfigSource.resolve({}))
        expect(value.logs.level).toBeUndefined()
        expect(value.tracing.sampler).toBe("parentbased_traceidratio")
        expect(lines.filter((line) => line.level === "WARN")).toHaveLength(5)
        const exit = yield* Effect.exit(ConfigSource.decode({ tracing: { exporter: name, sampler: name }, logs: { level: name } }))
        expect(errorMessage(exit)).toContain("tracing.exporter: Expected one of")
        expect(errorMessage(exit)).toContain("logs.level: Expected one of")
      }
    }))

  it.effect("__proto__ keys in a file are data: an unknown field, or a header/attribute name", () =>
    Effect.gen(function*() {
      const file = yield* tempFile("config.json", `{"__proto__": {"tracing": {"samplingRatio": 0.5}}, "globalAttributes": {"__proto__": "x"}}`)
      const exit = yield* Effect.exit(withEnv({}, ConfigSource.load({ file })))
      expect(errorMessage(exit as Exit.Exit<unknown, ConfigSource.ConfigError>)).toContain("__proto__: unknown field")
    }))
})

describe("13.6 config files are bounded", () => {
  it.effect("a file above 1 MiB is refused before it is read or parsed", () =>
    Effect.gen(function*() {
      const file = yield* tempFile("big.yaml", `# ${"x".repeat(1_048_576)}\n`)
      const exit = yield* Effect.exit(ConfigSource.readFile(file))
      expect(errorMessage(exit)).toContain("a config file may be at most 1 MiB")
      const text = yield* Effect.exit(ConfigSource.parseText("[".repeat(10_000_000)))
      expect(errorMessage(text)).toContain("at most 1 MiB")
    }))

  it.effect("nesting is checked before parsing: brackets, block sequences, block maps", () =>
    Effect.gen(function*() {
      const texts = [
        "[".repeat(100_000),
        `{"a": `.repeat(5_000) + "1" + "}".repeat(5_000),
        "- ".repeat(100_000) + "x\n",
        Array.from({ length: 1_000 }, (_, depth) => `${" ".repeat(depth)}a:`).join("\n") + " 1\n"
      ]
      for (const text of texts) {
        const started = Date.now()
        const exit = yield* Effect.exit(ConfigSource.parseText(text))
        expect(errorMessage(exit)).toContain("nested more than 64 levels deep")
        expect(Date.now() - started).toBeLessThan(2_000)
      }
    }))

  it.effect("an object nested 10,000 deep in code is a config error naming a path, not a RangeError", () =>
    Effect.gen(function*() {
      let deep: unknown = "leaf"
      for (let i = 0; i < 10_000; i++) deep = { a: deep }
      const exit = yield* Effect.exit(ConfigSource.resolve({ globalAttributes: deep }))
      expect(errorMessage(exit)).toMatch(/globalAttributes\.a\.a.*: nested more than 64 levels deep/)
      let list: unknown = []
      for (let i = 0; i < 10_000; i++) list = [list]
      expect(errorMessage(yield* Effect.exit(ConfigSource.decode({ tracing: { propagators: list } })))).toContain("nested")
    }))

  it.effect("YAML aliases are bounded (a billion-laughs file is an error)", () =>
    Effect.gen(function*() {
      const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
      for (let i = 1; i < 9; i++) {
        levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`)
      }
      const exit = yield* Effect.exit(ConfigSource.parseText(levels.join("\n")))
      expect(errorMessage(exit)).toContain("cannot be read")
    }))

  it.effect("decode time is linear: 40k keys parse and decode (or fail) in seconds, not minutes", () =>
    Effect.gen(function*() {
      const keys = Array.from({ length: 40_000 }, (_, i) => `k${i}`)
      const attributes = `observability:\n  globalAttributes:\n${keys.map((key) => `    ${key}: v\n`).join("")}`
      const unknown = keys.map((key) => `${key}: v\n`).join("")
      let started = Date.now()
      const parsed = yield* ConfigSource.parseText(attributes)
      const config = yield* withEnv({}, ConfigSource.resolve(parsed))
      expect(Object.keys(config.value.globalAttributes)).toHaveLength(40_000)
      const valid = Date.now() - started
      started = Date.now()
      const exit = yield* Effect.exit(ConfigSource.parseText(unknown).pipe(Effect.flatMap((input) => ConfigSource.decode(input))))
      const message = errorMessage(exit)
      expect(message).toContain("k0: unknown field")
      expect(message).toContain("and 39980 more problems")
      const invalid = Date.now() - started
      // Measured on main: 47 s to parse the first, 93 s to decode the second (2 shared cores).
      expect(valid).toBeLessThan(15_000)
      expect(invalid).toBeLessThan(15_000)
    }), 60_000)
})
