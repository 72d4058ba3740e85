import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ConfigSource, Endpoint } from "../src/index.js"
import { withEnv } from "./support.js"

const grpc = { protocol: "grpc", insecure: false } as const
const http = { protocol: "http/protobuf", insecure: false } as const

/** The target a fresh config resolves to for a signal, with these variables set. */
const resolved = (env: Record<string, string>, input: unknown = {}) =>
  withEnv(env, ConfigSource.resolve(input)).pipe(
    Effect.map(({ lines, value: config }) => ({
      lines,
      config,
      traces: Endpoint.resolve("traces", config.tracing),
      metrics: Endpoint.resolve("metrics", config.metrics),
      logs: Endpoint.resolve("logs", config.logs)
    }))
  )

describe("Endpoint.resolve", () => {
  it("defaults to the spec's plaintext localhost endpoints, per protocol", () => {
    expect(Endpoint.resolve("traces", grpc)).toMatchObject({
      tls: false,
      authority: "localhost:4317",
      url: "http://localhost:4317"
    })
    expect(Endpoint.resolve("traces", http)).toMatchObject({ tls: false, url: "http://localhost:4318/v1/traces" })
    expect(Endpoint.resolve("logs", { ...http, protocol: "http/json" }).url).toBe("http://localhost:4318/v1/logs")
  })

  it("lets the scheme decide TLS; insecure applies to a bare host:port only", () => {
    expect(Endpoint.resolve("traces", { ...grpc, endpoint: "https://otel.test:4317", insecure: true })).toMatchObject({
      tls: true,
      authority: "otel.test:4317"
    })
    expect(Endpoint.resolve("traces", { ...grpc, endpoint: "http://otel.test:4317", insecure: false }).tls).toBe(false)
    expect(Endpoint.resolve("traces", { ...grpc, endpoint: "otel.test:4317" }).tls).toBe(true)
    expect(Endpoint.resolve("traces", { ...grpc, endpoint: "otel.test:4317", insecure: true }).tls).toBe(false)
    expect(Endpoint.resolve("traces", { ...grpc, endpoint: "https://otel.test" }).authority).toBe("otel.test:443")
    expect(Endpoint.resolve("traces", { ...http, endpoint: "otel.test:4318", insecure: true }).url).toBe(
      "http://otel.test:4318/v1/traces"
    )
  })

  it("uses an HTTP endpoint with a path as-is, and gives one without a path the signal's path", () => {
    expect(Endpoint.resolve("traces", { ...http, endpoint: "https://gw.test/custom/ingest" }).url).toBe(
      "https://gw.test/custom/ingest"
    )
    expect(Endpoint.resolve("metrics", { ...http, endpoint: "https://gw.test:4318/" }).url).toBe(
      "https://gw.test:4318/v1/metrics"
    )
  })

  it("names a bad endpoint, and never shows a URL's password", () => {
    expect(() => Endpoint.resolve("traces", { ...grpc, endpoint: "ftp://otel.test" })).toThrow(/http:\/\/ or https:\/\//)
    expect(() => Endpoint.resolve("traces", { ...http, endpoint: "http://exa mple:99999" })).toThrow(/neither a URL/)
    const target = Endpoint.resolve("traces", { ...http, endpoint: "https://user:s3cret@gw.test/v1/traces" })
    expect(target.display).toBe("https://***@gw.test/v1/traces")
    expect(target.url).toContain("s3cret")
  })
})

describe("OTLP endpoint and protocol from the environment", () => {
  it.effect("with no configuration, every signal tries http://localhost:4317 in plaintext over gRPC", () =>
    Effect.gen(function*() {
      const { traces, metrics, logs, config } = yield* resolved({})
      for (const target of [traces, metrics, logs]) {
        expect(target).toMatchObject({ protocol: "grpc", tls: false, url: "http://localhost:4317" })
      }
      expect(config.tracing.protocol).toBe("grpc")
    }))

  it.effect("OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf: the general endpoint gets /v1/<signal>, even with a path", () =>
    Effect.gen(function*() {
      const { traces, metrics, logs } = yield* resolved({
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://gw.test/otlp/"
      })
      expect(traces).toMatchObject({ protocol: "http/protobuf", tls: true, url: "https://gw.test/otlp/v1/traces" })
      expect(metrics.url).toBe("https://gw.test/otlp/v1/metrics")
      expect(logs.url).toBe("https://gw.test/otlp/v1/logs")
    }))

  it.effect("a per-signal endpoint is used as-is; a per-signal protocol wins over the general one", () =>
    Effect.gen(function*() {
      const { traces, metrics } = yield* resolved({
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://gw.test:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces.test:9999/custom/path"
      })
      expect(traces).toMatchObject({ protocol: "http/protobuf", tls: false, url: "http://traces.test:9999/custom/path" })
      expect(metrics).toMatchObject({ protocol: "http/json", url: "http://gw.test:4318/v1/metrics" })
    }))

  it.effect("a protocol set in the config file applies the spec's rule to the general endpoint from the environment", () =>
    Effect.gen(function*() {
      const { traces, metrics } = yield* resolved(
        { OTEL_EXPORTER_OTLP_ENDPOINT: "http://gw.test:4318/base" },
        { tracing: { protocol: "http/protobuf" } }
      )
      expect(traces.url).toBe("http://gw.test:4318/base/v1/traces")
      // gRPC ignores the path: it dials host:port.
      expect(metrics).toMatchObject({ protocol: "grpc", authority: "gw.test:4318" })
    }))

  it.effect("a bad protocol is one warning naming the variable, and is ignored", () =>
    Effect.gen(function*() {
      const { lines, traces, config } = yield* resolved({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http" })
      expect(traces.protocol).toBe("grpc")
      expect(config.metrics.protocol).toBe("grpc")
      const warnings = lines.filter((line) => line.level === "WARN").map((line) => line.message)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
      expect(warnings[0]).toContain("grpc, http/protobuf, http/json")
    }))

  it.effect("a bad protocol in a config file is a config error naming the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigSource.decode({ logs: { protocol: "http" } }))
      expect(error.message).toContain("logs.protocol")
      expect(error.message).toContain(`"grpc", "http/protobuf", "http/json"`)
    }))
})
