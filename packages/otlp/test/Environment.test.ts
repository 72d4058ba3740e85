/** The `OTEL_*` parsers and merge rules on their own, with no Effect: a plain lookup in, config input out. */
import { describe, expect, it } from "vitest"
import { ConfigMerge, Environment } from "../src/index.js"

const read = (variables: Record<string, string>) => Environment.read((name) => variables[name])

describe("Environment.read", () => {
  it("turns the standard variables into sparse config input, the most specific variable first", () => {
    const { input, warnings } = read({
      OTEL_SERVICE_NAME: "checkout",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://gateway:4318/otlp",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=acme,authorization=Bearer%20t0k",
      OTEL_BSP_EXPORT_TIMEOUT: "2500",
      OTEL_EXPORTER_OTLP_TIMEOUT: "9000",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
      OTEL_PROPAGATORS: "tracecontext,b3multi",
      OTEL_RESOURCE_ATTRIBUTES: "service.version=1.2.3,deployment.environment.name=prod"
    })
    expect(warnings).toEqual([])
    expect(input["service"]).toEqual({ name: "checkout", version: "1.2.3", environment: "prod" })
    expect(input["tracing"]).toMatchObject({
      endpoint: "http://gateway:4318/otlp",
      endpointBase: "http://gateway:4318/otlp",
      protocol: "http/protobuf",
      headers: { "x-tenant": "acme", authorization: "Bearer t0k" },
      exportTimeout: "2500ms",
      samplingRatio: 0.25,
      propagators: ["tracecontext", "b3multi"]
    })
    expect(input["metrics"]).toMatchObject({ exportTimeout: "9s" })
  })

  it("ignores a value it cannot parse with one warning naming the variable, and never shows a header value", () => {
    const { input, warnings } = read({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp:/broken",
      OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317",
      OTEL_EXPORTER_OTLP_HEADERS: "x-key=s3cret-canary,bad header=also-s3cret-canary,novalue",
      OTEL_BSP_SCHEDULE_DELAY: "soon",
      OTEL_SDK_DISABLED: "   "
    })
    // The general endpoint still applies when the specific one cannot be used.
    expect(input["tracing"]).toMatchObject({ endpoint: "collector:4317" })
    expect(input["tracing"]).not.toHaveProperty("enabled")
    expect(input["tracing"]).not.toHaveProperty("headers")
    expect(input["tracing"]).not.toHaveProperty("batchTimeout")
    expect(warnings.map(({ variable }) => variable)).toEqual([
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      "OTEL_EXPORTER_OTLP_HEADERS",
      "OTEL_BSP_SCHEDULE_DELAY"
    ])
    expect(warnings[2]!.message).toBe(
      `Ignoring environment variable OTEL_BSP_SCHEDULE_DELAY="soon": expected a non-negative integer number of milliseconds, at most 2147483647`
    )
    expect(JSON.stringify(warnings)).not.toContain("s3cret-canary")
  })

  it("lists every variable it reads, so a line with an asynchronous lookup can fetch them first", () => {
    const looked = new Set<string>()
    read(new Proxy({}, { get: (_, name) => (looked.add(String(name)), undefined) }))
    expect(new Set(Environment.VARIABLES)).toEqual(looked)
    expect(Environment.VARIABLES).toContain("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE")
  })
})

describe("ConfigMerge", () => {
  const environment = read({
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://gateway:4318/otlp",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_EXPORTER_OTLP_INSECURE: "false",
    OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=from-env"
  }).input

  it("appends the signal path to the general endpoint for OTLP/HTTP, its own path kept", () => {
    const merged = ConfigMerge.overlay({}, environment) as Record<string, Record<string, unknown>>
    expect(merged["tracing"]).toMatchObject({ endpoint: "http://gateway:4318/otlp/v1/traces" })
    expect(merged["logs"]).toMatchObject({ endpoint: "http://gateway:4318/otlp/v1/logs" })
    expect(merged["tracing"]).not.toHaveProperty("endpointBase")
  })

  it("lets an endpoint's http:// scheme mean plaintext over OTEL_EXPORTER_OTLP_INSECURE", () => {
    const bare = read({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://gateway:4318", OTEL_EXPORTER_OTLP_INSECURE: "false" }).input
    const merged = ConfigMerge.overlay({}, bare) as Record<string, Record<string, unknown>>
    expect(merged["tracing"]).toEqual({ endpoint: "gateway:4318", insecure: true })
  })

  it("lets explicit values win field by field, a header map whole", () => {
    const explicit = ConfigMerge.applyEndpointSchemes({ tracing: { endpoint: "https://collector:4318", headers: { "x-tenant": "mine" } } })
    const merged = ConfigMerge.overlay(explicit, environment) as Record<string, Record<string, unknown>>
    expect(merged["tracing"]).toMatchObject({
      endpoint: "collector:4318",
      insecure: false,
      protocol: "http/protobuf",
      headers: { "x-tenant": "mine" }
    })
  })

  it("deep-merges a file under an object in code, the second winning per field", () => {
    expect(ConfigMerge.mergeExplicit(
      { tracing: { endpoint: "a:1", headers: { x: "1" } }, service: { name: "file" } },
      { tracing: { headers: { y: "2" } }, service: { name: undefined, version: "2" } }
    )).toEqual({ tracing: { endpoint: "a:1", headers: { y: "2" } }, service: { name: "file", version: "2" } })
  })
})
