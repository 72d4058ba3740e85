/**
 * Config files, for both Effect lines: reading one (YAML or JSON, with an `observability:` section
 * or bare; protobuf-JSON too) within bounds, and renaming its `snake_case` keys to the Schema's
 * `lowerCamelCase`. Plain results, no Effect: each line wraps a problem in its own `ConfigError`
 * (the file as its source, the root as its path) and logs the warnings through its logger.
 *
 * Bounded before any parsing: at most `MAX_FILE_BYTES`, nested at most `MAX_NESTING` deep, at most
 * `MAX_ALIASES` YAML aliases expanded. A problem names the line and column and what is wrong, never
 * the text of the line (it may hold a header value).
 *
 * @example
 * ```ts
 * const read = await ConfigFile.readFile("observability.yaml")
 * if (read._tag === "Parsed") use(ConfigFile.normalize(read.value))
 * else fail(read.message)
 * ```
 */
import * as Fs from "node:fs/promises"
import { isPlainObject } from "./ConfigInput.js"
import { requireModule } from "./internal/lazy.js"

/**
 * The largest config file read: 1 MiB. A config is a few kilobytes; a file near this size is a
 * mistake (or hostile), and YAML parsing time grows with it.
 */
export const MAX_FILE_BYTES = 1_048_576
/** How deep a config may nest (maps and lists): a service's config needs a handful of levels. */
export const MAX_NESTING = 64
/** YAML aliases expanded at most, so a "billion laughs" document cannot exhaust memory. */
export const MAX_ALIASES = 100

/** A file's content, and the YAML library's warnings (an unknown tag such as `!secret`), safe to print. */
export interface Parsed {
  readonly _tag: "Parsed"
  readonly value: unknown
  readonly warnings: ReadonlyArray<string>
}

/** Why the file cannot be used, safe to print: the line and column, never the line's text. */
export interface Invalid {
  readonly _tag: "Invalid"
  readonly message: string
  /** The system's error code when the file could not be read (`ENOENT`, `EACCES`). */
  readonly code?: string | undefined
}

export type ParseResult = Parsed | Invalid

const invalid = (message: string): Invalid => ({ _tag: "Invalid", message })

const tooLarge = (bytes: number): Invalid =>
  invalid(`the file is ${bytes} bytes; a config file may be at most 1 MiB (${MAX_FILE_BYTES} bytes)`)

/**
 * Parses the text of a config file; YAML is a superset of JSON, so one parser reads both (JSON
 * text takes `JSON.parse`'s fast path). An empty document is an empty config.
 */
export const parseText = (text: string): ParseResult => {
  const bytes = Buffer.byteLength(text, "utf8")
  if (bytes > MAX_FILE_BYTES) return tooLarge(bytes)
  const nesting = textNesting(text)
  if (nesting.depth > MAX_NESTING) return invalid(`nested more than ${MAX_NESTING} levels deep (at line ${nesting.line})`)
  const json = parseJson(text)
  if (json !== undefined) return { _tag: "Parsed", value: json.value ?? {}, warnings: [] }
  // Loaded on first use: most programs configure in code or through the environment.
  const YAML = requireModule("yaml") as typeof import("yaml")
  const lines = new YAML.LineCounter()
  // `uniqueKeys` off: the library's check is quadratic in the keys of a map; ours below is linear.
  const document = YAML.parseDocument(text, { logLevel: "silent", prettyErrors: false, uniqueKeys: false, lineCounter: lines })
  const describe = (problem: { readonly code: string; readonly message: string; readonly pos: readonly [number, number] }) =>
    `${at(lines.linePos(problem.pos[0]))}: ${problem.message.split(":")[0]!.trim()} (${problem.code})`
  const error = document.errors[0]
  if (error !== undefined) return invalid(`not valid YAML or JSON ${describe(error)}`)
  const duplicate = duplicateKey(YAML, document)
  if (duplicate !== undefined) return invalid(`duplicate key ${JSON.stringify(duplicate.key)} ${at(lines.linePos(duplicate.offset))}`)
  const warnings = document.warnings.map((warning) => `YAML ${describe(warning)}`)
  try {
    const value = document.toJS({ maxAliasCount: MAX_ALIASES }) as unknown
    return { _tag: "Parsed", value: value ?? {}, warnings }
  } catch (cause) {
    return invalid(`cannot be read: ${cause instanceof Error ? cause.message.split(":")[0] : "unknown error"}`)
  }
}

/** The file's text; one larger than `MAX_FILE_BYTES` is refused before it is read. */
export const readText = async (path: string): Promise<{ readonly _tag: "Text"; readonly text: string } | Invalid> => {
  try {
    const { size } = await Fs.stat(path)
    if (size > MAX_FILE_BYTES) return tooLarge(size)
    return { _tag: "Text", text: await Fs.readFile(path, "utf8") }
  } catch (error) {
    return { ...invalid(`cannot read the file: ${String(error)}`), code: (error as NodeJS.ErrnoException).code }
  }
}

/** Reads and parses a YAML or JSON config file. */
export const readFile = async (path: string): Promise<ParseResult> => {
  const read = await readText(path)
  return read._tag === "Text" ? parseText(read.text) : read
}

/** The Schema's objects with named fields (maps such as `headers` are not among them). */
const SECTIONS_WITH_FIELDS = new Set(["", "service", "tracing", "metrics", "logs", "limits", "tracing.retry", "metrics.retry", "logs.retry"])

/**
 * Turns what a file or a protobuf-JSON encoder produced into the shape of the Schema input:
 * takes the `observability:` section when there is one and renames `snake_case` keys of the
 * known sections to `lowerCamelCase` (protobuf's original field names). Map-valued fields such
 * as `headers` and `globalAttributes` keep their keys as they are.
 */
export const normalize = (input: unknown): unknown => {
  const section = isPlainObject(input) && "observability" in input ? input["observability"] : input
  return renameKeys(section, "")
}

const renameKeys = (value: unknown, path: string): unknown => {
  if (!SECTIONS_WITH_FIELDS.has(path) || !isPlainObject(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => {
      const name = key.replace(/(?<=[a-z0-9])_([a-z])/g, (_, letter: string) => letter.toUpperCase())
      return [name, renameKeys(field, path === "" ? name : `${path}.${name}`)]
    })
  )
}

const at = (position: { readonly line: number; readonly col: number }) => `at line ${position.line}, column ${position.col}`

/** The text as JSON when it is JSON; `undefined` otherwise (and YAML tells what is wrong). */
const parseJson = (text: string): { readonly value: unknown } | undefined => {
  const start = text.trimStart()[0]
  if (start !== "{" && start !== "[") return undefined
  try {
    return { value: JSON.parse(text) as unknown }
  } catch {
    return undefined
  }
}

/** The first key that a YAML map repeats, in one pass over each map. */
const duplicateKey = (
  YAML: typeof import("yaml"),
  document: import("yaml").Document
): { readonly key: string; readonly offset: number } | undefined => {
  let found: { readonly key: string; readonly offset: number } | undefined
  YAML.visit(document, {
    Map(_, map) {
      const seen = new Set<string>()
      for (const pair of map.items) {
        if (!YAML.isScalar(pair.key)) continue
        const key = String(pair.key.value)
        if (seen.has(key)) {
          found = { key, offset: pair.key.range?.[0] ?? 0 }
          return YAML.visit.BREAK
        }
        seen.add(key)
      }
      return undefined
    }
  })
  return found
}

/**
 * How deep the text nests, estimated in one pass before parsing: flow brackets (`[`, `{`) outside
 * quotes and comments, plus block levels (each deeper indentation, each `- ` / `? ` on a line).
 * An over-estimate for odd plain scalars, never an under-estimate for real nesting.
 */
const textNesting = (text: string): { readonly depth: number; readonly line: number } => {
  const indents: Array<number> = []
  let flow = 0
  let line = 0
  for (const content of text.split("\n")) {
    line++
    let index = 0
    let depth: number
    if (flow === 0) {
      const block = /^( *)((?:[-?][ \t]+)*)/.exec(content)!
      if (content.trim() === "" || content.trimStart().startsWith("#")) continue
      const indent = block[1]!.length
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop()
      indents.push(indent)
      index = block[0].length
      depth = indents.length + (block[2]!.match(/[-?]/g)?.length ?? 0)
    } else {
      depth = indents.length
    }
    let quote: string | undefined
    for (; index < content.length; index++) {
      const char = content[index]!
      if (quote !== undefined) {
        if (char === "\\" && quote === '"') index++
        else if (char === quote) quote = undefined
      } else if (char === '"' || char === "'") quote = char
      else if (char === "#" && (index === 0 || /\s/.test(content[index - 1]!))) break
      else if (char === "[" || char === "{") flow++
      else if ((char === "]" || char === "}") && flow > 0) flow--
      if (depth + flow > MAX_NESTING) return { depth: depth + flow, line }
    }
    if (depth + flow > MAX_NESTING) return { depth: depth + flow, line }
  }
  return { depth: 0, line: 0 }
}

/** The dotted path of the first value nested deeper than `limit` (default `MAX_NESTING`), found without recursion. */
export const deeperThan = (input: unknown, limit = MAX_NESTING): string | undefined => {
  const stack: Array<{ readonly value: unknown; readonly path: ReadonlyArray<string> }> = [{ value: input, path: [] }]
  while (stack.length > 0) {
    const { path, value } = stack.pop()!
    if (typeof value !== "object" || value === null) continue
    if (path.length >= limit) return path.slice(0, 8).join(".") + (path.length > 8 ? "..." : "")
    const keys = Array.isArray(value) ? value.map((_, index) => String(index)) : Object.keys(value)
    for (const key of keys) stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] })
  }
  return undefined
}
