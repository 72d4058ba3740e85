/**
 * A JSON Schema of the config file, generated from the `ObservabilityConfig` Effect Schema (never
 * written by hand), so editors validate and complete YAML/JSON configs. It describes what a file
 * contains (durations as `"5s"`, enums in lower case, lowerCamelCase keys) and accepts the config
 * bare or as the `observability:` section of a service's larger config file.
 *
 * `pnpm config:schema` writes it to `schema/observability-config.schema.json`; a test fails when
 * the committed file differs from what the Schema generates.
 *
 * @example
 * ```yaml
 * # yaml-language-server: $schema=../schema/observability-config.schema.json
 * observability:
 *   tracing:
 *     endpoint: otel-collector:4317
 * ```
 */
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as Config from "./Config.js"
import { MILLISECOND_VARIABLES, variablesFor } from "@lingo-obs/otlp/EnvironmentVariables"
import { isPlainObject } from "@lingo-obs/otlp/ConfigInput"

/** Where `pnpm config:schema` writes the schema, relative to the repository root. */
export const FILE = "schema/observability-config.schema.json"

/** A JSON Schema node; the generator only reads and copies them. */
type Node = { readonly [keyword: string]: unknown }

/**
 * The JSON Schema (draft-07) of a config file: the `ObservabilityConfig` fields with their
 * types, patterns, enums, defaults (the encoded `Config.defaults`) and the environment variables
 * that can set them; unknown fields rejected, as the decoder does.
 *
 * @example
 * ```ts
 * // A tool's module, not re-exported by the package index: scripts import it by path.
 * import * as ConfigSchema from "./ConfigSchema.js"
 *
 * const schema = ConfigSchema.jsonSchema()
 * // schema.$defs.ObservabilityConfig.properties.tracing.properties.batchTimeout
 * // { allOf: [{ $ref: "#/$defs/DurationString" }], description: "...", default: "5s" }
 * ```
 */
export const jsonSchema = (): Node => {
  const generated = JSONSchema.make(Config.ObservabilityConfig) as unknown as Node
  const definitions = withTypeDescriptions(generated["$defs"] as Record<string, Node>)
  const rootName = refName(generated["$ref"])
  const defaults = Schema.encodeSync(Config.ObservabilityConfig)(Config.defaults)
  const config = section(definitions[rootName]!, defaults, [], definitions)
  const reference = { $ref: `#/$defs/${rootName}` }

  const document: Node = {
    $schema: generated["$schema"],
    title: "lingo-obs observability config",
    description: "The observability config of a service: bare, or as the `observability` section of a larger " +
      "config file (whose other sections are left alone). Generated from the ObservabilityConfig Effect Schema " +
      "by `pnpm config:schema`; do not edit.",
    type: "object",
    properties: {
      observability: { ...reference, description: "The observability config (the other top-level keys are not read)." }
    },
    // With an `observability` key the file is a service config and only that section is read;
    // without one the whole file is the config, so its unknown keys are errors.
    if: { required: ["observability"] },
    else: reference,
    $defs: {}
  }
  return { ...document, $defs: reachableDefinitions({ ...definitions, [rootName]: config }, document) }
}

/** The schema as the committed file holds it: 2-space JSON with a trailing newline. */
export const text = (): string => `${JSON.stringify(jsonSchema(), null, 2)}\n`

// ---------------------------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------------------------

type Definitions = Readonly<Record<string, Node>>

/**
 * A section (a struct), inlined so that each field gets the default of its own path: `tracing`
 * and `metrics` share their exporter fields' types, not always their defaults.
 */
const section = (node: Node, defaults: unknown, path: ReadonlyArray<string>, definitions: Definitions): Node => {
  const properties = node["properties"] as Record<string, Node>
  return {
    ...node,
    properties: Object.fromEntries(Object.entries(properties).map(([key, property]) => {
      const target = resolve(property, definitions)
      const fieldDefault = isPlainObject(defaults) ? defaults[key] : undefined
      if (!isSection(target)) return [key, field(property, target, fieldDefault, [...path, key])]
      const inlined = section(target, fieldDefault, [...path, key], definitions)
      const description = property["description"]
      return [key, typeof description === "string" ? { ...inlined, description } : inlined]
    }))
  }
}

const field = (property: Node, target: Node, fieldDefault: unknown, path: ReadonlyArray<string>): Node => {
  const reference = referenceOf(property)
  const { description: ownDescription, ...rest } = property
  // Draft-07 ignores keywords beside a `$ref`, so a referenced type is wrapped in `allOf`. Beside
  // such a wrapper Effect may put the decoded type's title and description ("int", "an integer"),
  // which say nothing about the file; a description without a title is the field's own.
  const { $ref: _ref, allOf: _allOf, title, ...constraints } = rest
  const base: Node = reference === undefined ? rest : { allOf: [{ $ref: reference }], ...constraints }
  const fieldDescription = reference === undefined || title === undefined ? ownDescription : undefined
  const description = [fieldDescription ?? target["description"], environmentNote(path)]
    .filter((part): part is string => typeof part === "string" && part !== "")
    .map(capitalize)
    .join(". ")
  return {
    ...base,
    ...(description === "" ? {} : { description: `${description}.` }),
    ...(fieldDefault === undefined ? {} : { default: fieldDefault })
  }
}

const environmentNote = (path: ReadonlyArray<string>): string | undefined => {
  const names = variablesFor(path)
  if (names.length === 0) return undefined
  const listed = names.map((name) => MILLISECOND_VARIABLES.has(name) ? `${name} (milliseconds)` : name)
  return `Environment: ${listed.join(", else ")}`
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

const isSection = (node: Node): boolean =>
  node["type"] === "object" && isPlainObject(node["properties"]) && Object.keys(node["properties"]).length > 0

/** The `$ref` of `{ $ref }` or of `{ allOf: [{ $ref }] }`. */
const referenceOf = (node: Node): string | undefined => {
  if (typeof node["$ref"] === "string") return node["$ref"]
  const allOf = node["allOf"]
  if (Array.isArray(allOf) && allOf.length === 1 && isPlainObject(allOf[0]) && typeof allOf[0]["$ref"] === "string") {
    return allOf[0]["$ref"]
  }
  return undefined
}

const resolve = (node: Node, definitions: Definitions): Node => {
  const reference = referenceOf(node)
  if (reference === undefined) return node
  const target = definitions[refName(reference)]
  if (target === undefined) throw new Error(`JSON Schema reference ${reference} has no definition`)
  return resolve(target, definitions)
}

const refName = (reference: unknown): string => String(reference).replace(/^#\/\$defs\//, "")

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

/**
 * Effect drops a type's `description` when a `jsonSchema` annotation replaces the generated
 * schema; put it back from the Schema's annotations, by identifier.
 */
const withTypeDescriptions = (definitions: Record<string, Node>): Record<string, Node> => {
  const descriptions = new Map<string, string>()
  collectDescriptions(Config.ObservabilityConfig.ast, descriptions, new Set())
  return Object.fromEntries(Object.entries(definitions).map(([name, node]) => {
    const description = descriptions.get(name)
    return [name, node["description"] === undefined && description !== undefined ? { ...node, description } : node]
  }))
}

const collectDescriptions = (ast: AST.AST, into: Map<string, string>, seen: Set<AST.AST>): void => {
  if (seen.has(ast)) return
  seen.add(ast)
  const identifier = AST.getIdentifierAnnotation(ast)
  const description = AST.getDescriptionAnnotation(ast)
  if (Option.isSome(identifier) && Option.isSome(description) && !into.has(identifier.value)) {
    into.set(identifier.value, description.value)
  }
  for (const child of children(ast)) collectDescriptions(child, into, seen)
}

const children = (ast: AST.AST): ReadonlyArray<AST.AST> => {
  switch (ast._tag) {
    case "TypeLiteral":
      return [...ast.propertySignatures.map((p) => p.type), ...ast.indexSignatures.map((s) => s.type)]
    case "Union":
      return ast.types
    case "TupleType":
      return [...ast.elements.map((e) => e.type), ...ast.rest.map((r) => r.type)]
    case "Refinement":
      return [ast.from]
    case "Transformation":
      return [ast.from, ast.to]
    case "Suspend":
      return [ast.f()]
    default:
      return []
  }
}

/** The definitions still referenced once the sections are inlined, sorted by name for stable output. */
const reachableDefinitions = (definitions: Record<string, Node>, root: Node): Record<string, Node> => {
  const names = new Set<string>()
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit)
    if (!isPlainObject(value)) return
    const reference = value["$ref"]
    if (typeof reference === "string" && !names.has(refName(reference))) {
      names.add(refName(reference))
      visit(definitions[refName(reference)])
    }
    Object.values(value).forEach(visit)
  }
  visit(root)
  return Object.fromEntries([...names].sort().map((name) => [name, definitions[name]!]))
}
