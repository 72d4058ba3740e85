/**
 * Property tests (issue 13.9) for what a hostile config or environment can throw at the decoder:
 * any JSON value or YAML text gives a config or a `ConfigError` naming a path, never a throw, a
 * defect or a hang; any environment gives a config and warnings; header validation agrees with
 * what gRPC itself accepts.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Grpc from "@grpc/grpc-js"
import { Cause, ConfigProvider, Effect, Exit, Logger } from "effect"
import fc from "fast-check"
import { ConfigSource, OtlpGrpc } from "../src/index.js"

/** A run is fine when it succeeds or fails with a ConfigError whose issues each name a path or the root. */
const decodesOrNamesAPath = <A>(exit: Exit.Exit<A, ConfigSource.ConfigError>): boolean => {
  if (Exit.isSuccess(exit)) return true
  if (!Cause.isFailType(exit.cause)) throw new Error(`not a ConfigError: ${Cause.pretty(exit.cause)}`)
  const error = exit.cause.error
  expect(error._tag).toBe("ConfigError")
  expect(error.issues.length).toBeGreaterThan(0)
  for (const issue of error.issues) expect(typeof issue.path).toBe("string")
  expect(error.message).toMatch(/^Invalid observability config/)
  return true
}

const quiet = <A, E>(self: Effect.Effect<A, E>) =>
  self.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map())),
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.none))
  )

const run = <A>(self: Effect.Effect<A, ConfigSource.ConfigError>) => Effect.runSyncExit(quiet(self))

const sectionKeys = ["tracing", "metrics", "logs", "service", "globalAttributes", "observability", "headers", "endpoint"]
/** JSON values, biased toward the config's own keys so decoding gets past the first level. */
const configLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.jsonValue({ maxDepth: 3 }),
    tie("object"),
    fc.constantFrom("5s", "1.5s", "-1s", "30d", "otlp_grpc", "STDOUT", "constructor", "__proto__", "http://u:p@h:1")
  ),
  object: fc.dictionary(
    fc.oneof(fc.constantFrom(...sectionKeys, "samplingRatio", "batchTimeout", "exporter", "__proto__", "constructor"), fc.string()),
    tie("value"),
    { maxKeys: 6 }
  )
})).value

describe("config decoder properties", () => {
  it("any JSON value decodes to a config or a ConfigError naming paths", () => {
    fc.assert(
      fc.property(configLike, (input) => decodesOrNamesAPath(run(ConfigSource.resolve(input)))),
      { numRuns: 400 }
    )
  })

  it("any JSON value, nested anywhere, is bounded: deep values are config errors", () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 3_000 }), fc.constantFrom("object", "array"), (depth, kind) => {
        let value: unknown = 1
        for (let i = 0; i < depth; i++) value = kind === "object" ? { tracing: value } : [value]
        return decodesOrNamesAPath(run(ConfigSource.resolve({ globalAttributes: value })))
      }),
      { numRuns: 30 }
    )
  })

  it("any text parses to a config or a ConfigError (YAML and JSON alike), quickly", () => {
    const yamlish = fc.array(
      fc.oneof(
        fc.string(),
        fc.constantFrom(
          "tracing:",
          "  headers:",
          "    x: !secret y",
          "- a",
          "&a [1, 2]",
          "*a",
          "{",
          "}",
          "[",
          "]",
          "key: value",
          "? complex",
          "  samplingRatio: 0.5",
          "\t",
          "---",
          "%YAML 1.2",
          "!!binary abc",
          "<<: *a"
        )
      ),
      { maxLength: 30 }
    ).map((lines) => lines.join("\n"))
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.json(), fc.string({ unit: "binary" })), (text) => {
        const started = Date.now()
        const ok = decodesOrNamesAPath(run(ConfigSource.parseText(text).pipe(Effect.flatMap((input) => ConfigSource.resolve(input)))))
        expect(Date.now() - started).toBeLessThan(5_000)
        return ok
      }),
      { numRuns: 400 }
    )
  })
})

describe("environment properties", () => {
  const variables = [
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_INSECURE",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SERVICE_NAME",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_PROPAGATORS",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_METRIC_EXPORT_INTERVAL",
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_LOGS_EXPORTER",
    "OBSERVABILITY_LOG_LEVEL",
    "OBSERVABILITY_LOG_FORMAT",
    "APP_ENV"
  ]
  const envValue = fc.oneof(
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.constantFrom("constructor", "__proto__", "service.name=", "=x", "a=b,,c", "2147483648", "-1", "1e3", "http://u:p@h:1", "a=%ZZ")
  )

  it("any environment resolves to a config (never a failure or a defect); each variable warned about at most once", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...variables), envValue), (env) => {
        const lines: Array<string> = []
        const exit = Effect.runSyncExit(ConfigSource.resolve({}).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message)))))
        ))
        expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
        for (const name of variables) {
          const ignored = lines.filter((line) => line.startsWith(`Ignoring environment variable ${name}=`))
          expect(ignored.length).toBeLessThanOrEqual(1)
        }
        // Whatever the environment held, the headers it produced can be sent.
        if (Exit.isSuccess(exit)) {
          for (const section of [exit.value.tracing, exit.value.metrics, exit.value.logs]) {
            expect(() => OtlpGrpc.metadata(section.headers)).not.toThrow()
          }
        }
        return true
      }),
      { numRuns: 300 }
    )
  })
})

describe("header validation properties", () => {
  it("a header the decoder accepts is one gRPC accepts, and one gRPC refuses is a ConfigError naming it", () => {
    const name = fc.oneof(fc.string({ minLength: 0, maxLength: 12 }), fc.constantFrom("x-bin", "grpc-x", "X-Tenant", "a b", "é"))
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom("a\nb", "tab\t", "ok"))
    fc.assert(
      fc.property(name, value, (key, text) => {
        const exit = run(ConfigSource.decode({ tracing: { headers: { [key]: text } } }))
        let grpcAccepts = true
        try {
          new Grpc.Metadata().set(key, text)
        } catch {
          grpcAccepts = false
        }
        if (Exit.isSuccess(exit)) {
          expect(grpcAccepts, JSON.stringify([key, text])).toBe(true)
          expect(key.toLowerCase().startsWith("grpc-")).toBe(false)
        } else {
          decodesOrNamesAPath(exit)
          const issues = Cause.isFailType(exit.cause) ? exit.cause.error.issues : []
          expect(issues.some((issue) => issue.path === `tracing.headers.${key}`)).toBe(true)
        }
        return true
      }),
      { numRuns: 500 }
    )
  })
})
