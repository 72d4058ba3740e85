/**
 * One JSON Schema describes both lines' config files: the document generated from the Effect 3
 * line's Schema (schema/observability-config.schema.json), which `lingo-obs config schema` prints
 * and `config check` walks. Here the Effect 4 Schema is held to it: every field of the document is a
 * field the Effect 4 decoder knows, every field the Effect 4 Schema defaults is in the document, and
 * each default is the document's.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as Config from "../src/config/Config.js"
import * as ConfigSource from "../src/config/ConfigSource.js"

type Node = { readonly [keyword: string]: unknown }

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")
const document = JSON.parse(Fs.readFileSync(Path.join(ROOT, "schema/observability-config.schema.json"), "utf8")) as Node
const definitions = document["$defs"] as Record<string, Node>

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const resolve = (node: Node): Node => {
  const allOf = node["allOf"]
  const reference = node["$ref"] ?? (Array.isArray(allOf) && allOf.length === 1 ? (allOf[0] as Node)["$ref"] : undefined)
  return typeof reference === "string" ? resolve(definitions[reference.replace("#/$defs/", "")]!) : node
}

interface Field {
  readonly path: ReadonlyArray<string>
  readonly node: Node
}

/** The document's fields (sections walked into), with the node that declares each (and its `default`). */
const fields = (node: Node, path: ReadonlyArray<string> = []): ReadonlyArray<Field> => {
  const properties = resolve(node)["properties"]
  if (!isObject(properties) || Object.keys(properties).length === 0) return [{ path, node }]
  return Object.entries(properties).flatMap(([key, property]) => fields(property as Node, [...path, key]))
}

/** The leaves of an encoded config: a scalar, a list or a map (an object the document has no properties for). */
const encodedLeaves = (value: unknown, known: ReadonlySet<string>, path: ReadonlyArray<string> = []): ReadonlyArray<string> =>
  isObject(value) && !known.has(path.join("."))
    ? Object.entries(value).flatMap(([key, item]) => encodedLeaves(item, known, [...path, key]))
    : [path.join(".")]

const documentFields = fields(document["else"] as Node)
const documentPaths = new Set(documentFields.map((field) => field.path.join(".")))
const encodedDefaults = Schema.encodeSync(Config.ObservabilityConfig)(Config.defaults)

const valueAt = (value: unknown, path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((current, key) => (isObject(current) ? current[key] : undefined), value)

const withValue = (path: ReadonlyArray<string>, value: unknown): unknown =>
  path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value)

describe("the config file's JSON Schema and the Effect 4 Schema", () => {
  it("has the sections and a field count worth comparing", () => {
    expect(documentFields.length).toBeGreaterThan(80)
    expect([...new Set(documentFields.map((field) => field.path[0]))]).toEqual(
      expect.arrayContaining(["service", "tracing", "metrics", "logs", "globalAttributes", "shutdownTimeout", "limits"])
    )
  })

  it("gives every field the Effect 4 Schema defaults the document's default", () => {
    const defaulted = encodedLeaves(encodedDefaults, documentPaths)
    expect(defaulted.filter((path) => !documentPaths.has(path))).toEqual([])
    for (const field of documentFields.filter((field) => "default" in field.node)) {
      expect(valueAt(encodedDefaults, field.path), field.path.join(".")).toEqual(field.node["default"])
    }
    // Both directions: what the document defaults, the Effect 4 Schema defaults too.
    expect([...defaulted].sort()).toEqual(documentFields.filter((field) => "default" in field.node).map((f) => f.path.join(".")).sort())
  })

  it.effect("knows every field of the document (none is an unknown field to the Effect 4 decoder)", () =>
    Effect.gen(function*() {
      for (const field of documentFields) {
        const exit = yield* Effect.exit(ConfigSource.decode(withValue(field.path, "x")))
        if (Exit.isSuccess(exit)) continue
        const error = exit.cause.reasons[0]
        if (error?._tag !== "Fail") throw new Error("decode died")
        const unknown = error.error.issues.filter((issue) => issue.message === ConfigSource.UNKNOWN_FIELD)
        expect(unknown, field.path.join(".")).toEqual([])
      }
      // The check can fail: a field the document does not have is an unknown field.
      const misspelt = yield* Effect.flip(ConfigSource.decode({ tracing: { samplingRate: "x" } }))
      expect(misspelt.issues).toEqual([{ path: "tracing.samplingRate", message: ConfigSource.UNKNOWN_FIELD }])
    }))
})
