import { describe, expect, it } from "@effect/vitest"
import * as FsSync from "node:fs"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Schema } from "effect"
import * as AST from "effect/SchemaAST"
import * as Yaml from "yaml"
import * as ConfigSchema from "../src/config/ConfigSchema.js"
import { Config, ConfigSource } from "../src/index.js"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")

type Node = { readonly [keyword: string]: unknown }

const schema = ConfigSchema.jsonSchema()
const definitions = schema["$defs"] as Record<string, Node>

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `$ref` and `allOf: [{ $ref }]` followed to the definition. */
const resolve = (node: Node): Node => {
  const allOf = node["allOf"]
  const reference = node["$ref"] ?? (Array.isArray(allOf) && allOf.length === 1 ? (allOf[0] as Node)["$ref"] : undefined)
  if (typeof reference !== "string") return node
  const target = definitions[reference.replace("#/$defs/", "")]
  if (target === undefined) throw new Error(`dangling reference ${reference}`)
  return resolve(target)
}

const configNode = resolve(schema["else"] as Node)

/** Every field the schema gives a default, as `[path, default, field node]`. */
const fieldsWithDefaults = (node: Node, path: ReadonlyArray<string> = []): Array<[ReadonlyArray<string>, unknown, Node]> =>
  Object.entries((resolve(node)["properties"] ?? {}) as Record<string, Node>).flatMap(([key, property]) => {
    const target = resolve(property)
    if (target["type"] === "object" && Object.keys((target["properties"] ?? {}) as object).length > 0) {
      return fieldsWithDefaults(target, [...path, key])
    }
    return "default" in property ? [[[...path, key], property["default"], property] as [ReadonlyArray<string>, unknown, Node]] : []
  })

const setAt = (target: Record<string, unknown>, path: ReadonlyArray<string>, value: unknown): void => {
  const [head, ...rest] = path
  if (rest.length === 0) {
    target[head!] = value
    return
  }
  target[head!] ??= {}
  setAt(target[head!] as Record<string, unknown>, rest, value)
}

/** The keys of `value` that the schema's property tree does not know, as dotted paths. */
const unknownKeys = (value: unknown, node: Node, path = ""): Array<string> => {
  const target = resolve(node)
  if (!isObject(value) || target["type"] !== "object") return []
  const properties = (target["properties"] ?? {}) as Record<string, Node>
  return Object.entries(value).flatMap(([key, item]) => {
    const property = properties[key]
    const here = path === "" ? key : `${path}.${key}`
    if (property !== undefined) return unknownKeys(item, property, here)
    return target["additionalProperties"] === false ? [here] : []
  })
}

/** The files under `dir` ending with one of `extensions`, relative to the repository root (none if `dir` is absent). */
const filesUnder = (dir: string, extensions: ReadonlyArray<string>): Array<string> => {
  if (!FsSync.existsSync(dir)) return []
  return FsSync.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : filesUnder(path, extensions)
    return extensions.some((extension) => entry.name.endsWith(extension)) ? [Path.relative(ROOT, path)] : []
  })
}

const readText = (file: string): string => FsSync.readFileSync(Path.join(ROOT, file), "utf8")

/** The ```yaml blocks of a Markdown file. */
const yamlBlocks = (markdown: string): Array<string> =>
  [...markdown.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((match) => match[1]!)

describe("ConfigSchema", () => {
  it("the committed schema file is what the Schema generates", async () => {
    const committed = await Fs.readFile(Path.join(ROOT, ConfigSchema.FILE), "utf8").catch(() => "(missing)\n")
    expect(
      committed,
      `${ConfigSchema.FILE} is out of date: run \`npx --yes pnpm@10 config:schema\` and commit the file`
    ).toBe(ConfigSchema.text())
  })

  it("describes every field of the Schema, optional ones as optional, and rejects unknown fields as the decoder does", () => {
    const check = (ast: AST.AST, node: Node, path: string): void => {
      const encoded = AST.encodedAST(ast)
      if (!AST.isTypeLiteral(encoded) || encoded.propertySignatures.length === 0) return
      const target = resolve(node)
      const properties = (target["properties"] ?? {}) as Record<string, Node>
      expect(target["additionalProperties"], path).toBe(false)
      expect(Object.keys(properties), path).toEqual(encoded.propertySignatures.map((p) => String(p.name)))
      const required = encoded.propertySignatures.filter((p) => !p.isOptional).map((p) => String(p.name))
      expect(target["required"] ?? [], path).toEqual(required)
      for (const property of encoded.propertySignatures) {
        check(property.type, properties[String(property.name)]!, `${path}.${String(property.name)}`)
      }
    }
    check(Config.ObservabilityConfig.ast, configNode, "(config)")
  })

  it("the defaults it gives rebuild Config.defaults", () => {
    const collected: Record<string, unknown> = {}
    for (const [path, value] of fieldsWithDefaults(configNode)) setAt(collected, path, value)
    const encode = Schema.encodeSync(Config.ObservabilityConfig)
    expect(encode(Schema.decodeUnknownSync(Config.ObservabilityConfig)(collected))).toEqual(encode(Config.defaults))
    expect(Object.fromEntries(fieldsWithDefaults(configNode).map(([path, value]) => [path.join("."), value])))
      .toMatchObject({ "tracing.batchTimeout": "5s", "tracing.exporter": "otlp_grpc", "metrics.interval": "60s" })
  })

  it("durations carry their pattern, choices their values, and every default fits its field", () => {
    const duration = new RegExp(definitions["DurationString"]!["pattern"] as string, "u")
    for (const good of ["5s", "1.5s", "250ms", "1m", "2h", ".5s"]) expect(good).toMatch(duration)
    for (const bad of ["5", "5 sec", "-1s", "1d"]) expect(bad).not.toMatch(duration)
    expect(definitions["ExporterKind"]!["enum"]).toEqual(["otlp_grpc", "stdout", "none"])

    for (const [path, value, property] of fieldsWithDefaults(configNode)) {
      const target = resolve(property)
      const where = path.join(".")
      if (Array.isArray(target["enum"])) expect(target["enum"], where).toContain(value)
      if (typeof target["pattern"] === "string") expect(String(value), where).toMatch(new RegExp(target["pattern"], "u"))
      if (target["type"] === "boolean") expect(typeof value, where).toBe("boolean")
    }
  })

  it("accepts a bare config, or an observability: section beside other sections", () => {
    expect(schema["$schema"]).toBe("http://json-schema.org/draft-07/schema#")
    expect(schema["if"]).toEqual({ required: ["observability"] })
    expect(resolve((schema["properties"] as Record<string, Node>)["observability"]!)).toBe(configNode)
    expect(schema["additionalProperties"]).toBeUndefined()
    expect(unknownKeys({ tracing: { endpoint: "x:4317", exporterr: "stdout" } }, configNode)).toEqual(["tracing.exporterr"])
    expect(unknownKeys({ globalAttributes: { "any.key": "v" }, tracing: { headers: { "x-any": "v" } } }, configNode))
      .toEqual([])
  })

  it.effect("the example configs (README, docs, examples/) decode, with only fields the schema knows", () =>
    Effect.gen(function*() {
      const markdown = ["README.md", ...filesUnder(Path.join(ROOT, "docs"), [".md"])]
      const configFiles = filesUnder(Path.join(ROOT, "examples"), [".yaml", ".yml"])
      const sources = [
        ...markdown.flatMap((file) => yamlBlocks(readText(file)).map((text) => ({ file, text }))),
        ...configFiles.map((file) => ({ file, text: readText(file) }))
      ]
      let examples = 0
      for (const { file, text } of sources) {
        const parsed: unknown = Yaml.parse(text)
        // Other YAML (a collector config, a manifest) is not an observability config.
        if (!isObject(parsed) || !isObject(parsed["observability"])) continue
        examples++
        yield* ConfigSource.decode(parsed, file)
        expect(unknownKeys(parsed["observability"], configNode), file).toEqual([])
      }
      expect(examples).toBeGreaterThan(0)
    }))
})
