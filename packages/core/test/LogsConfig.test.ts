/** The `logs` section: defaults that change nothing for existing configs, and the OTEL_* variables. */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { ConfigSource } from "../src/index.js"
import { withEnv } from "./support.js"


describe("logs config", () => {
  it.effect("off by default, with the batch log processor's defaults and the program's logger untouched", () =>
    Effect.gen(function*() {
      const { value: config } = yield* withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317" }, ConfigSource.resolve({}))
      expect(config.logs).toMatchObject({
        enabled: false,
        exporter: "otlp_grpc",
        endpoint: "collector:4317",
        insecure: true,
        maxQueueSize: 8_192,
        maxExportBatchSize: 512,
        format: "effect",
        required: false
      })
      expect(config.logs.level).toBeUndefined()
      expect(Duration.toMillis(config.logs.batchTimeout)).toBe(1_000)
      expect(Duration.toMillis(config.logs.exportTimeout)).toBe(10_000)
    }))

  it.effect("the logs variables fill the section; the per-signal ones win over the general ones", () =>
    Effect.gen(function*() {
      const { value: config, lines } = yield* withEnv({
        OTEL_LOGS_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://general:4317",
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "http://logs-collector:4317",
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=general",
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: "x-tenant=logs,authorization=Bearer%20t",
        OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: "gzip",
        OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: "7000",
        OTEL_BLRP_SCHEDULE_DELAY: "250",
        OTEL_BLRP_EXPORT_TIMEOUT: "2000",
        OTEL_BLRP_MAX_QUEUE_SIZE: "1000",
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: "100",
        OBSERVABILITY_LOG_FORMAT: "json",
        OBSERVABILITY_LOG_LEVEL: "warn"
      }, ConfigSource.resolve({}))
      expect(config.logs).toMatchObject({
        enabled: true,
        exporter: "otlp_grpc",
        endpoint: "logs-collector:4317",
        insecure: true,
        headers: { "x-tenant": "logs", authorization: "Bearer t" },
        compression: "gzip",
        maxQueueSize: 1_000,
        maxExportBatchSize: 100,
        format: "json",
        level: "warning"
      })
      expect(Duration.toMillis(config.logs.batchTimeout)).toBe(250)
      // OTEL_BLRP_EXPORT_TIMEOUT is the processor's own, tried before the OTLP ones.
      expect(Duration.toMillis(config.logs.exportTimeout)).toBe(2_000)
      // The general endpoint still serves the other signals.
      expect(config.tracing.endpoint).toBe("general:4317")
      expect(lines.filter((line) => line.level === "WARN")).toEqual([])
    }))

  it.effect("OTEL_LOGS_EXPORTER names the exporter and switches the export on; none and OTEL_SDK_DISABLED switch it off", () =>
    Effect.gen(function*() {
      const logs = (env: Record<string, string>, input: unknown = {}) =>
        Effect.map(withEnv(env, ConfigSource.resolve(input)), ({ value }) => value.logs)
      expect(yield* logs({ OTEL_LOGS_EXPORTER: "console" })).toMatchObject({ enabled: true, exporter: "stdout" })
      expect(yield* logs({ OTEL_LOGS_EXPORTER: "none" })).toMatchObject({ enabled: false, exporter: "none" })
      expect(yield* logs({ OTEL_LOGS_EXPORTER: "otlp", OTEL_SDK_DISABLED: "true" })).toMatchObject({ enabled: false })
      // Explicit config wins over the environment, field by field.
      expect(yield* logs({ OTEL_LOGS_EXPORTER: "otlp" }, { logs: { enabled: false } })).toMatchObject({
        enabled: false,
        exporter: "otlp_grpc"
      })
      expect(yield* logs({ OBSERVABILITY_LOG_FORMAT: "json" }, { logs: { format: "pretty" } })).toMatchObject({
        format: "pretty"
      })
    }))

  it.effect("an unparseable logs variable is ignored with one warning naming it", () =>
    Effect.gen(function*() {
      const { value: config, lines } = yield* withEnv(
        { OTEL_BLRP_MAX_QUEUE_SIZE: "lots", OBSERVABILITY_LOG_FORMAT: "xml" },
        ConfigSource.resolve({})
      )
      expect(config.logs.maxQueueSize).toBe(8_192)
      expect(config.logs.format).toBe("effect")
      const warnings = lines.filter((line) => line.level === "WARN").map((line) => line.message)
      expect(warnings).toEqual([
        expect.stringContaining(`OTEL_BLRP_MAX_QUEUE_SIZE="lots"`),
        expect.stringContaining(`OBSERVABILITY_LOG_FORMAT="xml"`)
      ])
    }))

  it.effect("a config file's logs section: snake_case, an http:// endpoint, a malformed field named by path", () =>
    Effect.gen(function*() {
      const config = yield* ConfigSource.decode({
        observability: { logs: { enabled: true, endpoint: "http://otel:4317", max_queue_size: "64", format: "JSON" } }
      })
      expect(config.logs).toMatchObject({ enabled: true, endpoint: "otel:4317", insecure: true, maxQueueSize: 64, format: "json" })
      // A batch larger than the queue is lowered, as for traces.
      expect(config.logs.maxExportBatchSize).toBe(64)
      const error = yield* Effect.flip(ConfigSource.decode({ logs: { level: "loud" } }))
      expect(error.message).toContain("logs.level")
    }))
})
