/**
 * The Effect 4 line's config model against the committed JSON Schema (the one artifact both lines
 * share), its error messages, and the environment seam.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Schema from "effect/Schema"
import * as Config from "../src/config/Config.js"
import * as ConfigSource from "../src/config/ConfigSource.js"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")
const jsonSchema = JSON.parse(Fs.readFileSync(Path.join(ROOT, "schema/observability-config.schema.json"), "utf8")) as {
  readonly $defs: { readonly ObservabilityConfig: JsonNode }
}
interface JsonNode {
  readonly properties?: Readonly<Record<string, JsonNode>>
  readonly default?: unknown
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The JSON Schema's sections (objects with named fields) and its fields, with their defaults. */
const jsonFields = (node: JsonNode, path = ""): { sections: Set<string>; fields: Map<string, JsonNode> } => {
  const sections = new Set<string>()
  const fields = new Map<string, JsonNode>()
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const childPath = path === "" ? name : `${path}.${name}`
    if (child.properties !== undefined && Object.keys(child.properties).length > 0) {
      sections.add(childPath)
      const nested = jsonFields(child, childPath)
      nested.sections.forEach((section) => sections.add(section))
      nested.fields.forEach((field, fieldPath) => fields.set(fieldPath, field))
    } else {
      fields.set(childPath, child)
    }
  }
  return { sections, fields }
}

/** Leaf values of an encoded config by dotted path (maps such as `headers: {}` are leaves). */
const leaves = (value: Record<string, unknown>, path = ""): Map<string, unknown> => {
  const result = new Map<string, unknown>()
  for (const [key, item] of Object.entries(value)) {
    const itemPath = path === "" ? key : `${path}.${key}`
    if (isObject(item) && Object.keys(item).length > 0) leaves(item, itemPath).forEach((v, k) => result.set(k, v))
    else result.set(itemPath, item)
  }
  return result
}

/** A value no field of the Schema accepts, so decoding it names the field's problem. */
const NOTHING_FITS = [[[]]]

const inputAt = (path: string, value: unknown): Record<string, unknown> =>
  path.split(".").reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>

describe("Config (Effect 4) and the committed JSON Schema", () => {
  const { fields, sections } = jsonFields(jsonSchema.$defs.ObservabilityConfig)

  it("knows every field the JSON Schema lists (none would be reported as unknown)", () =>
    Effect.gen(function*() {
      expect(fields.size).toBeGreaterThan(60)
      for (const path of fields.keys()) {
        const error = yield* Effect.flip(ConfigSource.decode(inputAt(path, NOTHING_FITS)))
        expect(error.issues.length, path).toBeGreaterThan(0)
        for (const issue of error.issues) {
          expect(issue.message, path).not.toBe(ConfigSource.UNKNOWN_FIELD)
          expect(issue.path.startsWith(path), `${issue.path} for ${path}`).toBe(true)
        }
      }
    }).pipe(Effect.runSync))

  it("has the JSON Schema's default for every field, and no field with a default the JSON Schema lacks", () => {
    const encoded = leaves(Schema.encodeSync(Config.ObservabilityConfig)(Config.defaults) as Record<string, unknown>)
    for (const section of sections) encoded.delete(section)
    const documented = new Map([...fields].flatMap(([path, node]) => ("default" in node ? [[path, node.default]] : [])))
    expect(documented.size).toBeGreaterThan(60)
    expect(Object.fromEntries(encoded)).toEqual(Object.fromEntries(documented))
  })

  it("decodes defaults to Durations and numbers, and encodes them back to what a config file says", () => {
    expect(Duration.toMillis(Config.defaults.tracing.batchTimeout)).toBe(5_000)
    expect(Duration.toMillis(Config.defaults.metrics.retry.maxElapsedTime)).toBe(60_000)
    expect(Config.defaults.tracing.maxQueueSize).toBe(131_072)
    expect(Config.defaults.logs.enabled).toBe(false)
    const config = Schema.decodeUnknownSync(Config.ObservabilityConfig)({ tracing: { batchTimeout: "1.5s", exportTimeout: "250ms" } })
    expect(Schema.encodeSync(Config.ObservabilityConfig)(config).tracing).toMatchObject({ batchTimeout: "1500ms", exportTimeout: "250ms" })
  })
})

describe("ConfigSource (Effect 4)", () => {
  it.effect("a ConfigError names the source and each field's path, one line each", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigSource.decode({ tracing: { samplingRatio: "abc" }, tracnig: {} }, "observability.yaml"))
      expect(error._tag).toBe("ConfigError")
      expect(error.message.split("\n")).toEqual([
        "Invalid observability config (observability.yaml):",
        "  - tracnig: unknown field (check its spelling; fields are lowerCamelCase or snake_case)",
        "  - tracing.samplingRatio: Expected a number between 0 and 1, got a string"
      ])
    }))

  it.effect("never prints a value: a canary in every bad field is absent from the error", () =>
    Effect.gen(function*() {
      const canary = "CANARY-41c7"
      const error = yield* Effect.flip(ConfigSource.decode({
        service: { name: ` ${canary} ` },
        tracing: {
          endpoint: `user:${canary}@collector:4317`,
          headers: { "x-token": `${canary}\n`, [`grpc-${canary.toLowerCase()}`]: canary },
          samplingRatio: canary,
          exporter: canary,
          batchTimeout: canary,
          maxQueueSize: canary,
          propagators: [canary],
          enabled: canary
        },
        globalAttributes: { region: [canary] }
      }))
      expect(error.issues.length).toBeGreaterThanOrEqual(10)
      const printed = error.message + JSON.stringify(error.issues)
      // The header's name is the user's own text and is named; its value never is.
      expect(printed.replaceAll(`grpc-${canary.toLowerCase()}`, "")).not.toContain(canary)
      expect(printed.toLowerCase().replaceAll(`grpc-${canary.toLowerCase()}`, "")).not.toContain(canary.toLowerCase())
    }))

  it.effect("at most 20 problems are listed, the rest counted", () =>
    Effect.gen(function*() {
      const input = { globalAttributes: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])) }
      const error = yield* Effect.flip(ConfigSource.decode(input))
      expect(error.issues).toHaveLength(21)
      expect(error.issues[20]).toEqual({ path: "", message: "and 10 more problems" })
    }))

  it.effect("resolve: the environment overlay's input is decoded and each of its warnings logged once", () =>
    Effect.gen(function*() {
      const logged: Array<string> = []
      const overlay: ConfigSource.EnvironmentOverlay = {
        overlay: (explicit, variables) => ({
          input: { ...(explicit as object), tracing: { samplingRatio: variables["RATIO"] } },
          warnings: ["Ignoring environment variable OTEL_BSP_MAX_QUEUE_SIZE: expected a positive integer up to 2147483647"]
        })
      }
      const config = yield* ConfigSource.resolve({ metrics: { interval: "5s" } }, { environment: overlay, variables: { RATIO: "0.5" } }).pipe(
        Effect.provide(Logger.layer([Logger.make(({ message }) => logged.push(String(message)))]))
      )
      expect(config.tracing.samplingRatio).toBe(0.5)
      expect(Duration.toMillis(config.metrics.interval)).toBe(5_000)
      expect(logged).toEqual(["Ignoring environment variable OTEL_BSP_MAX_QUEUE_SIZE: expected a positive integer up to 2147483647"])
    }))
})
