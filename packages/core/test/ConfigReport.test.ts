import { describe, expect, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Exit, HashSet } from "effect"
import * as PathPatch from "effect/ConfigProviderPathPatch"
import { ConfigReport } from "../src/index.js"
import { readEnvironment } from "../src/internal/environment.js"
import { MILLISECOND_VARIABLES, VARIABLES } from "@lingo-obs/otlp/EnvironmentVariables"

/** The report of `input` against `env` as the whole environment. */
const report = (input: unknown, env: Record<string, string> = {}) =>
  ConfigReport.make(input, "test").pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

const entry = (result: ConfigReport.Report, path: string) => {
  const found = result.entries.find((item) => item.path === path)
  if (found === undefined) throw new Error(`no entry ${path} in ${result.entries.map((item) => item.path).join(", ")}`)
  return found
}

/** The entries of a field, or of the keys of a map field. */
const entriesOf = (result: ConfigReport.Report, field: string) =>
  result.entries.filter((item) =>
    item.path === field || item.path.startsWith(`${field}.`) || item.path.startsWith(`${field}[`)
  )

/** A value each variable accepts; distinct per `index`, so the variable that won can be told. */
const sample = (name: string, index: number): string => {
  if (name.endsWith("_ENDPOINT")) return `http://collector-${index}.test:4317`
  if (name.endsWith("_INSECURE") || name === "OTEL_SDK_DISABLED") return index % 2 === 0 ? "true" : "false"
  if (name.endsWith("_HEADERS")) return `x-sample=${index}`
  if (name.endsWith("_COMPRESSION")) return "gzip"
  if (name.endsWith("_PROTOCOL")) return index % 2 === 0 ? "http/json" : "http/protobuf"
  if (/_CERTIFICATE$|_CLIENT_KEY$/.test(name)) return `/etc/tls/${index}.pem`
  if (MILLISECOND_VARIABLES.has(name)) return String(1_000 + index)
  if (name.endsWith("_SIZE") || name.endsWith("_LIMIT")) return String(100 + index)
  if (name === "OTEL_TRACES_SAMPLER_ARG") return "0.25"
  if (name === "OTEL_TRACES_SAMPLER") return "always_off"
  if (name === "OTEL_PROPAGATORS") return "b3"
  if (name.endsWith("_EXPORTER")) return "console"
  if (name === "OTEL_SERVICE_NAME") return `service-${index}`
  if (name === "APP_ENV") return `env-${index}`
  if (name === "OBSERVABILITY_LOG_FORMAT") return "json"
  if (name === "OBSERVABILITY_LOG_LEVEL") return "debug"
  if (name === "OTEL_RESOURCE_ATTRIBUTES") {
    return `service.name=service-${index},service.version=1.${index}.0,deployment.environment.name=env-${index},team=t${index}`
  }
  throw new Error(`no sample value for ${name}: add one to sample() in this test`)
}

describe("ConfigReport", () => {
  it.effect("a file value wins over the environment, the environment over the default", () =>
    Effect.gen(function*() {
      const result = yield* report(
        { observability: { tracing: { samplingRatio: 0.1 } } },
        { OTEL_TRACES_SAMPLER_ARG: "0.5", OTEL_EXPORTER_OTLP_ENDPOINT: "collector.internal:4317" }
      )
      expect(entry(result, "tracing.samplingRatio")).toEqual({ path: "tracing.samplingRatio", value: 0.1, source: "file" })
      expect(entry(result, "tracing.endpoint")).toMatchObject({
        value: "collector.internal:4317",
        source: "env:OTEL_EXPORTER_OTLP_ENDPOINT"
      })
      expect(entry(result, "tracing.batchTimeout")).toMatchObject({ value: "5s", source: "default" })
      expect(entry(result, "tracing.certificate")).toMatchObject({ value: undefined, source: "default" })
      expect(result.config.tracing.samplingRatio).toBe(0.1)
    }))

  it.effect("names the most specific variable that is set", () =>
    Effect.gen(function*() {
      const result = yield* report({}, {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "traces.test:4317",
        OTEL_EXPORTER_OTLP_ENDPOINT: "all.test:4317",
        OTEL_METRIC_EXPORT_INTERVAL: "15000"
      })
      expect(entry(result, "tracing.endpoint")).toMatchObject({
        value: "traces.test:4317",
        source: "env:OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
      })
      expect(entry(result, "metrics.endpoint")).toMatchObject({
        value: "all.test:4317",
        source: "env:OTEL_EXPORTER_OTLP_ENDPOINT"
      })
      expect(entry(result, "metrics.interval")).toMatchObject({ value: "15s", source: "env:OTEL_METRIC_EXPORT_INTERVAL" })
    }))

  it.effect("an unparseable variable is skipped with a warning; the next one is named", () =>
    Effect.gen(function*() {
      const result = yield* report({}, {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url",
        OTEL_EXPORTER_OTLP_ENDPOINT: "all.test:4317",
        OTEL_BSP_SCHEDULE_DELAY: "soon"
      })
      expect(entry(result, "tracing.endpoint")).toMatchObject({
        value: "all.test:4317",
        source: "env:OTEL_EXPORTER_OTLP_ENDPOINT"
      })
      expect(entry(result, "tracing.batchTimeout")).toMatchObject({ value: "5s", source: "default" })
      expect(result.warnings).toHaveLength(2)
      expect(result.warnings.join("\n")).toContain("OTEL_BSP_SCHEDULE_DELAY")
    }))

  it.effect("tells where insecure comes from: the file, an endpoint's scheme, or the default", () =>
    Effect.gen(function*() {
      const fromScheme = yield* report({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.test:4317" })
      expect(entry(fromScheme, "tracing.insecure")).toMatchObject({
        value: true,
        source: "env:OTEL_EXPORTER_OTLP_ENDPOINT"
      })
      // An explicit endpoint is not made plaintext by the environment's `http://`.
      const explicitEndpoint = yield* report(
        { tracing: { endpoint: "otel.example.com:4317" } },
        { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.test:4317" }
      )
      expect(entry(explicitEndpoint, "tracing.insecure")).toMatchObject({ value: false, source: "default" })
      expect(entry(explicitEndpoint, "metrics.insecure")).toMatchObject({
        value: true,
        source: "env:OTEL_EXPORTER_OTLP_ENDPOINT"
      })
      const explicitScheme = yield* report({ tracing: { endpoint: "http://localhost:4317" } })
      expect(entry(explicitScheme, "tracing.insecure")).toMatchObject({ value: true, source: "file" })
      // The OTLP spec: a scheme wins over INSECURE, which applies to scheme-less endpoints only.
      const explicitVariable = yield* report({}, {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.test:4317",
        OTEL_EXPORTER_OTLP_INSECURE: "false"
      })
      expect(entry(explicitVariable, "tracing.insecure")).toMatchObject({
        value: true,
        source: "env:OTEL_EXPORTER_OTLP_ENDPOINT"
      })
      const schemeless = yield* report({}, {
        OTEL_EXPORTER_OTLP_ENDPOINT: "collector.test:4317",
        OTEL_EXPORTER_OTLP_INSECURE: "true"
      })
      expect(entry(schemeless, "tracing.insecure")).toMatchObject({
        value: true,
        source: "env:OTEL_EXPORTER_OTLP_INSECURE"
      })
    }))

  it.effect("redacts every header value whatever its name and source: name, *** and the length", () =>
    Effect.gen(function*() {
      const result = yield* report(
        {
          tracing: {
            headers: {
              authorization: "Bearer file-secret",
              "x-honeycomb-team": "hc-secret",
              "content-type": "application/x-protobuf"
            }
          }
        },
        { OTEL_EXPORTER_OTLP_METRICS_HEADERS: "api-key=env-secret,x-tenant=b" }
      )
      expect(entry(result, `tracing.headers["authorization"]`)).toMatchObject({ value: "***(18 chars)", source: "file" })
      expect(entry(result, `tracing.headers["x-honeycomb-team"]`)).toMatchObject({ value: "***(9 chars)", source: "file" })
      // The documented allow-list: standard headers that carry no credential.
      expect(entry(result, `tracing.headers["content-type"]`)).toMatchObject({ value: "application/x-protobuf" })
      expect(entry(result, `metrics.headers["api-key"]`)).toMatchObject({
        value: "***(10 chars)",
        source: "env:OTEL_EXPORTER_OTLP_METRICS_HEADERS"
      })
      expect(entry(result, `metrics.headers["x-tenant"]`)).toMatchObject({ value: "***(1 chars)" })
      const printed = ConfigReport.format(result)
      expect(printed).not.toContain("secret")
      expect(printed).toContain("***(9 chars)")
    }))

  it.effect("resource attributes merge key by key, the file's keys first", () =>
    Effect.gen(function*() {
      const result = yield* report(
        { globalAttributes: { region: "eu", team: "file-team" } },
        { OTEL_RESOURCE_ATTRIBUTES: "team=env-team,tier=gold", OTEL_SERVICE_NAME: "checkout", APP_ENV: "staging" }
      )
      expect(entry(result, `globalAttributes["region"]`)).toMatchObject({ value: "eu", source: "file" })
      expect(entry(result, `globalAttributes["team"]`)).toMatchObject({ value: "file-team", source: "file" })
      expect(entry(result, `globalAttributes["tier"]`)).toMatchObject({
        value: "gold",
        source: "env:OTEL_RESOURCE_ATTRIBUTES"
      })
      expect(entry(result, "service.name")).toMatchObject({ value: "checkout", source: "env:OTEL_SERVICE_NAME" })
      expect(entry(result, "service.environment")).toMatchObject({ value: "staging", source: "env:APP_ENV" })
    }))

  it.effect("fails with the ConfigError naming each bad field", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(report({ tracing: { samplingRatio: "abc", exporterr: "otlp" } }))
      expect(Exit.isFailure(exit)).toBe(true)
      const message = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error.message : ""
      expect(message).toContain("tracing.samplingRatio")
      expect(message).toContain("tracing.exporterr")
    }))

  it.effect("formats an aligned table, one row per field", () =>
    Effect.gen(function*() {
      const result = yield* report({ tracing: { samplingRatio: 1.5 } })
      const lines = ConfigReport.format(result).split("\n")
      const header = lines.find((line) => line.startsWith("FIELD"))!
      const row = lines.find((line) => line.startsWith("tracing.samplingRatio "))!
      expect(row.indexOf("1")).toBe(header.indexOf("VALUE"))
      expect(row.indexOf("file")).toBe(header.indexOf("SOURCE"))
      expect(lines).toContain("  - tracing.samplingRatio 1.5 is outside [0, 1]; using 1")
    }))
})

describe("ConfigReport's table of environment variables", () => {
  it.effect("lists exactly the variables readEnvironment reads", () =>
    Effect.gen(function*() {
      const read = new Set<string>()
      const recording = ConfigProvider.fromFlat(ConfigProvider.makeFlat({
        load: (path) => {
          read.add(path[path.length - 1]!)
          return Effect.fail(ConfigError.MissingData([...path], "recording"))
        },
        enumerateChildren: () => Effect.succeed(HashSet.empty()),
        patch: PathPatch.empty
      }))
      yield* readEnvironment.pipe(Effect.withConfigProvider(recording))
      const listed = new Set(Object.values(VARIABLES).flat())
      const missing = [...read].filter((name) => !listed.has(name))
      const stale = [...listed].filter((name) => !read.has(name))
      expect({ missing, stale }, "update VARIABLES in src/internal/environmentVariables.ts").toEqual({ missing: [], stale: [] })
    }))

  it.effect("each variable, set alone, is named as the source of its field", () =>
    Effect.gen(function*() {
      for (const [field, names] of Object.entries(VARIABLES)) {
        for (const [index, name] of names.entries()) {
          const result = yield* report({}, { [name]: sample(name, index) })
          const sources = entriesOf(result, field).map((item) => item.source)
          expect(sources, `${name} → ${field}`).toContain(`env:${name}`)
        }
      }
    }))

  it.effect("when several are set, the first listed wins, as in readEnvironment", () =>
    Effect.gen(function*() {
      for (const [field, names] of Object.entries(VARIABLES)) {
        if (names.length < 2) continue
        const all = yield* report({}, Object.fromEntries(names.map((name, index) => [name, sample(name, index)])))
        const first = yield* report({}, { [names[0]!]: sample(names[0]!, 0) })
        const values = (result: ConfigReport.Report) => entriesOf(result, field).map(({ path, value }) => ({ path, value }))
        expect(values(all), `${field}: ${names.join(" > ")}`).toEqual(values(first))
        expect(new Set(entriesOf(all, field).map((item) => item.source)), field).toEqual(new Set([`env:${names[0]}`]))
      }
    }))
})
