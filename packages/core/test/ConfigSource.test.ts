import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { Duration, Effect, Exit, Schema } from "effect"
import { Config, ConfigSource } from "../src/index.js"
import { withEnv } from "./support.js"


const failureMessage = <A>(exit: Exit.Exit<A, ConfigSource.ConfigError>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error.message : "(no ConfigError)"

describe("ConfigSource", () => {
  it.effect("fills every default of the spec when nothing is set", () =>
    Effect.gen(function*() {
      const { value: config } = yield* withEnv({}, ConfigSource.resolve({}))
      expect(config.tracing).toMatchObject({
        enabled: true,
        exporter: "otlp_grpc",
        protocol: "grpc",
        insecure: false,
        sampler: "parentbased_traceidratio",
        samplingRatio: 1,
        maxQueueSize: 131_072,
        maxConcurrentExports: 4,
        maxExportBatchSize: 512,
        propagators: ["tracecontext", "baggage"],
        required: false
      })
      expect(Duration.toMillis(config.tracing.batchTimeout)).toBe(5_000)
      expect(Duration.toMillis(config.tracing.exportTimeout)).toBe(10_000)
      expect(config.metrics).toMatchObject({
        enabled: true,
        exporter: "otlp_grpc",
        disableRuntimeStats: false,
        grpcEnabled: true,
        grpcIncludeHealth: false,
        legacyRpcMetrics: false
      })
      expect(Duration.toMillis(config.metrics.interval)).toBe(60_000)
      expect(Duration.toMillis(config.tracing.retry.initialBackoff)).toBe(5_000)
      expect(Duration.toMillis(config.tracing.retry.maxBackoff)).toBe(30_000)
      expect(Duration.toMillis(config.metrics.retry.maxElapsedTime)).toBe(60_000)
      expect(Duration.toMillis(config.metrics.startupProbeTimeout)).toBe(3_000)
      expect(Duration.toMillis(config.shutdownTimeout)).toBe(5_000)
      expect(config.globalAttributes).toEqual({})
    }))

  it.effect("decodes durations, counts given as strings and enums in upper case (protobuf-JSON)", () =>
    Effect.gen(function*() {
      const config = yield* ConfigSource.decode({
        tracing: { batchTimeout: "1.5s", exportTimeout: "250ms", maxQueueSize: "4096", exporter: "STDOUT" },
        metrics: { interval: "1m" }
      })
      expect(Duration.toMillis(config.tracing.batchTimeout)).toBe(1_500)
      expect(Duration.toMillis(config.tracing.exportTimeout)).toBe(250)
      expect(config.tracing.maxQueueSize).toBe(4096)
      expect(config.tracing.exporter).toBe("stdout")
      expect(Duration.toMillis(config.metrics.interval)).toBe(60_000)
    }))

  it.effect("accepts snake_case field names and an observability: section", () =>
    Effect.gen(function*() {
      const config = yield* ConfigSource.decode({
        observability: {
          tracing: { sampling_ratio: 0.25, max_export_batch_size: 100, headers: { "x_tenant": "a" } },
          global_attributes: { "service.group": "gateway" }
        }
      })
      expect(config.tracing.samplingRatio).toBe(0.25)
      expect(config.tracing.maxExportBatchSize).toBe(100)
      expect(config.tracing.headers).toEqual({ x_tenant: "a" })
      expect(config.globalAttributes).toEqual({ "service.group": "gateway" })
    }))

  it.effect("names the field path and the expectation of each malformed field", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(ConfigSource.decode({
        tracing: { samplingRatio: "abc", exporter: "zipkin", batchTimeout: "-1s" },
        metrics: { interval: 5, intervall: "5s" }
      }))
      const message = failureMessage(exit)
      expect(message).toContain(`tracing.samplingRatio: Expected a number between 0 and 1, got a string`)
      expect(message).toContain(`tracing.exporter: Expected one of "otlp_grpc", "stdout", "none", got a string`)
      expect(message).toContain(`tracing.batchTimeout: Expected a non-negative duration`)
      expect(message).toContain(`metrics.interval: Expected a string, got a number`)
      expect(message).toContain(`metrics.intervall: unknown field`)
    }))

  it.effect("never echoes a value: a section or field of the wrong type is named with the expected and the actual type", () =>
    Effect.gen(function*() {
      const canary = "canary-7e3a91"
      const exit = yield* Effect.exit(ConfigSource.decode({
        observability: {
          tracing: `authorization=Bearer ${canary}`,
          metrics: { headers: `x-api-key=${canary}`, exporter: canary, insecure: canary, interval: canary, propagators: canary },
          logs: { retry: [canary], maxQueueSize: canary, certificate: "" },
          service: { name: { token: canary } },
          globalAttributes: { region: [canary] },
          limits: canary,
          shutdownTimeout: canary
        }
      }))
      const message = failureMessage(exit)
      expect(message).not.toContain(canary)
      expect(message).toContain("tracing: Expected an object, got a string")
      expect(message).toContain("metrics.headers: Expected a map of names to string values, got a string")
      expect(message).toContain(`metrics.exporter: Expected one of "otlp_grpc", "stdout", "none", got a string`)
      expect(message).toContain("metrics.insecure: Expected true or false, got a string")
      expect(message).toContain("metrics.interval: Expected a non-negative duration")
      expect(message).toContain("logs.retry: Expected an object, got a list")
      expect(message).toContain("logs.maxQueueSize: Expected a positive integer up to 2147483647, got a string")
      expect(message).toContain("logs.certificate: Expected a non-empty string, got an empty string")
      expect(message).toContain("service.name: Expected a string, got an object")
      expect(message).toContain("globalAttributes.region: Expected a string, got a list")
      expect(message).toContain("limits: Expected an object, got a string")
      const root = failureMessage(yield* Effect.exit(ConfigSource.decode(`tracing=${canary}`)))
      expect(root).toContain("(root): Expected an object, got a string")
      expect(root).not.toContain(canary)
    }))

  it.effect("clamps the sampling ratio and the batch size with one warning each", () =>
    Effect.gen(function*() {
      const { lines, value: config } = yield* withEnv(
        {},
        ConfigSource.resolve({ tracing: { samplingRatio: 1.5, maxQueueSize: 100, maxExportBatchSize: 512 } })
      )
      expect(config.tracing.samplingRatio).toBe(1)
      expect(config.tracing.maxExportBatchSize).toBe(100)
      const warnings = lines.filter((line) => line.level === "WARN")
      expect(warnings.map((line) => line.message)).toEqual([
        "tracing.samplingRatio 1.5 is outside [0, 1]; using 1",
        "tracing.maxExportBatchSize 512 is above tracing.maxQueueSize 100; using 100"
      ])
      expect(warnings[0]!.annotations).toMatchObject({ component: "observability" })
    }))

  it.effect("fills fields from OTEL_* variables and never overrides an explicit value", () =>
    Effect.gen(function*() {
      const { value: config } = yield* withEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "https://metrics.example.com:443",
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=a%20b,authorization=Bearer%20secret",
        OTEL_TRACES_SAMPLER_ARG: "0.5",
        OTEL_BSP_SCHEDULE_DELAY: "200",
        OTEL_BSP_MAX_QUEUE_SIZE: "10000",
        OTEL_METRIC_EXPORT_INTERVAL: "1500",
        OTEL_PROPAGATORS: "tracecontext,baggage,b3",
        OTEL_SERVICE_NAME: "from-env",
        OTEL_RESOURCE_ATTRIBUTES: "region=eu%2Dwest,service.group=env"
      }, ConfigSource.resolve({ tracing: { samplingRatio: 0.1 }, globalAttributes: { "service.group": "explicit" } }))
      expect(config.tracing.endpoint).toBe("collector:4317")
      expect(config.tracing.insecure).toBe(true)
      expect(config.metrics.endpoint).toBe("metrics.example.com:443")
      expect(config.metrics.insecure).toBe(false)
      expect(config.tracing.headers).toEqual({ "x-tenant": "a b", authorization: "Bearer secret" })
      expect(config.tracing.samplingRatio).toBe(0.1)
      expect(Duration.toMillis(config.tracing.batchTimeout)).toBe(200)
      expect(config.tracing.maxQueueSize).toBe(10_000)
      expect(Duration.toMillis(config.metrics.interval)).toBe(1_500)
      expect(config.tracing.propagators).toEqual(["tracecontext", "baggage", "b3"])
      expect(config.service.name).toBe("from-env")
      expect(config.globalAttributes).toEqual({ region: "eu-west", "service.group": "explicit" })
    }))

  it.effect("warnings about header variables show neither their values nor a credential run into a header name", () =>
    Effect.gen(function*() {
      const { lines, value: config } = yield* withEnv({
        // A colon for "=": the pair splits at the base64 padding, the token lands in the name.
        OTEL_EXPORTER_OTLP_HEADERS: "authorization: Bearer Y2FuYXJ5LTQ0Mg==,x-ok=fine",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "canary-442-no-pairs",
        OTEL_TRACES_SAMPLER_ARG: "abc"
      }, ConfigSource.resolve({}))
      const warnings = lines.map((line) => line.message).join("\n")
      expect(config.metrics.headers).toEqual({ "x-ok": "fine" })
      expect(warnings).toContain(`header name "authorization"… (shown up to its first illegal character) may contain only`)
      expect(warnings).toContain("OTEL_EXPORTER_OTLP_TRACES_HEADERS=(value hidden: 19 chars)")
      // Other variables are named with their value, as the OpenTelemetry specification asks.
      expect(warnings).toContain(`OTEL_TRACES_SAMPLER_ARG="abc"`)
      expect(warnings).not.toContain("Y2FuYXJ5LTQ0Mg")
      expect(warnings).not.toContain("canary-442")
    }))

  it.effect("a header or attribute named __proto__ is refused in a file and dropped with a note from the environment, never lost silently", () =>
    Effect.gen(function*() {
      const input = JSON.parse(`{"tracing":{"headers":{"__proto__":"a\\nb"}},"globalAttributes":{"__proto__":"x"}}`) as unknown
      const message = failureMessage(yield* Effect.exit(ConfigSource.decode(input)))
      expect(message).toContain(`tracing.headers.__proto__: the name "__proto__" cannot be used`)
      expect(message).toContain(`globalAttributes.__proto__: the name "__proto__" cannot be used`)
      const { lines, value: config } = yield* withEnv(
        { OTEL_EXPORTER_OTLP_HEADERS: "__proto__=x,a=b", OTEL_RESOURCE_ATTRIBUTES: "__proto__=y,region=eu" },
        ConfigSource.resolve({})
      )
      expect(config.tracing.headers).toEqual({ a: "b" })
      expect(config.globalAttributes).toEqual({ region: "eu" })
      expect(lines.map((line) => line.message)).toEqual(expect.arrayContaining([
        `Environment variable OTEL_EXPORTER_OTLP_HEADERS: ignoring one header: header name "__proto__" cannot be used`,
        `Environment variable OTEL_RESOURCE_ATTRIBUTES: ignoring attribute "__proto__": the name cannot be used`
      ]))
    }))

  it.effect("an explicit endpoint is not made plaintext by an http:// endpoint in the environment", () =>
    Effect.gen(function*() {
      const { value: config } = yield* withEnv(
        { OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4317" },
        ConfigSource.resolve({ tracing: { endpoint: "otel.example.com:4317" } })
      )
      expect(config.tracing.endpoint).toBe("otel.example.com:4317")
      expect(config.tracing.insecure).toBe(false)
      expect(config.metrics.endpoint).toBe("localhost:4317")
      expect(config.metrics.insecure).toBe(true)
    }))

  it.effect("ignores an unparseable variable with one warning naming it, secrets redacted", () =>
    Effect.gen(function*() {
      const { lines, value: config } = yield* withEnv({
        OTEL_BSP_MAX_QUEUE_SIZE: "lots",
        OTEL_TRACES_SAMPLER_ARG: "abc",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "authorization=Bearer%20secret,broken",
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=a"
      }, ConfigSource.resolve({}))
      expect(config.tracing.maxQueueSize).toBe(131_072)
      expect(config.tracing.samplingRatio).toBe(1)
      // The per-signal variable was bad, so the general one applies.
      expect(config.tracing.headers).toEqual({ "x-tenant": "a" })
      const warnings = lines.filter((line) => line.level === "WARN").map((line) => line.message)
      expect(warnings).toHaveLength(3)
      expect(warnings[0]).toContain(`OTEL_EXPORTER_OTLP_TRACES_HEADERS=(value hidden: 36 chars)`)
      expect(warnings.join("\n")).not.toContain("secret")
      expect(warnings).toContain(`Ignoring environment variable OTEL_TRACES_SAMPLER_ARG="abc": expected a number between 0 and 1`)
      expect(warnings).toContain(`Ignoring environment variable OTEL_BSP_MAX_QUEUE_SIZE="lots": expected a positive integer up to 2147483647`)
    }))

  it.effect("OTEL_SDK_DISABLED switches both signals off; OTEL_TRACES_EXPORTER=console selects stdout", () =>
    Effect.gen(function*() {
      const { value: off } = yield* withEnv({ OTEL_SDK_DISABLED: "true" }, ConfigSource.resolve({}))
      expect(off.tracing.enabled).toBe(false)
      expect(off.metrics.enabled).toBe(false)
      const { value: console } = yield* withEnv({ OTEL_TRACES_EXPORTER: "console" }, ConfigSource.resolve({}))
      expect(console.tracing.exporter).toBe("stdout")
      expect(console.metrics.exporter).toBe("otlp_grpc")
    }))

  it.effect("reads YAML and JSON files, bare or with an observability: section, under explicit values", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "lingo-obs-config-")))
      const yamlFile = Path.join(dir, "service.yaml")
      const jsonFile = Path.join(dir, "bare.json")
      yield* Effect.promise(() =>
        Fs.writeFile(
          yamlFile,
          "server:\n  port: 8080\nobservability:\n  tracing:\n    samplingRatio: 0.2\n    endpoint: otel:4317\n"
        )
      )
      yield* Effect.promise(() => Fs.writeFile(jsonFile, JSON.stringify({ metrics: { interval: "10s" } })))
      const { value: fromYaml } = yield* withEnv(
        {},
        ConfigSource.load({ file: yamlFile, config: { tracing: { endpoint: "explicit:4317" } } })
      )
      expect(fromYaml.tracing.samplingRatio).toBe(0.2)
      expect(fromYaml.tracing.endpoint).toBe("explicit:4317")
      const { value: fromJson } = yield* withEnv({ OBSERVABILITY_CONFIG_FILE: jsonFile }, ConfigSource.load())
      expect(Duration.toMillis(fromJson.metrics.interval)).toBe(10_000)
      const missing = yield* Effect.exit(withEnv({}, ConfigSource.load({ file: Path.join(dir, "missing.yaml") })))
      expect(failureMessage(missing)).toContain("missing.yaml")
      yield* Effect.promise(() => Fs.rm(dir, { recursive: true }))
    }))

  it("the Schema round-trips its defaults", () => {
    const encoded = Schema.encodeSync(Config.ObservabilityConfig)(Config.defaults)
    expect(encoded.tracing?.batchTimeout).toBe("5s")
    expect(Schema.decodeSync(Config.ObservabilityConfig)(encoded)).toEqual(Config.defaults)
  })
})
