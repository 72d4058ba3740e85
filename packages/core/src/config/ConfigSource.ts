/**
 * Where the configuration comes from and in what order: an explicit object or file (YAML or JSON,
 * with an `observability:` section or bare; protobuf-JSON too), the standard `OTEL_*` environment
 * variables where the explicit config is silent, and the built-in defaults for the rest.
 *
 * The environment is read through Effect's `Config`, so tests supply their own with
 * `Effect.withConfigProvider(ConfigProvider.fromMap(...))`.
 *
 * @example
 * ```ts
 * import { ConfigSource } from "@lingo-obs/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const config = yield* ConfigSource.resolve({ tracing: { samplingRatio: 0.1 } })
 *   // config.tracing.endpoint comes from OTEL_EXPORTER_OTLP_ENDPOINT when it is set
 * })
 * ```
 */
import * as FileSystem from "node:fs/promises"
import * as EffectConfig from "effect/Config"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as Config from "./Config.js"
import * as Redact from "@lingo-obs/otlp/Redact"
import { requireModule } from "../internal/lazy.js"
import * as Diagnostics from "../Diagnostics.js"
import { readEnvironment } from "../internal/environment.js"
import { expectationWithoutValue, isPlainObject, setField, valueAt } from "@lingo-obs/otlp/ConfigInput"
import { sectionFields } from "../internal/schemaShape.js"
import * as ConfigMerge from "@lingo-obs/otlp/ConfigMerge"

/** One problem in a config: the field's dotted path and what was expected there. */
export interface ConfigIssue {
  readonly path: string
  readonly message: string
}

/** A config that cannot be used. The message names each bad field's path and what it expected. */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly source: string
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  override get message(): string {
    const lines = this.issues.map((issue) => `  - ${issue.path === "" ? "(root)" : issue.path}: ${issue.message}`)
    return `Invalid observability config (${this.source}):\n${lines.join("\n")}`
  }
}

const SECTIONS_WITH_FIELDS = new Set(["", "service", "tracing", "metrics", "logs"])

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

/**
 * The largest config file read: 1 MiB. A config is a few kilobytes; a file near this size is a
 * mistake (or hostile), and YAML parsing time grows with it.
 */
export const MAX_FILE_BYTES = 1_048_576
/** How deep a config may nest (maps and lists): a service's config needs a handful of levels. */
export const MAX_NESTING = 64
/** YAML aliases expanded at most, so a "billion laughs" document cannot exhaust memory. */
export const MAX_ALIASES = 100
/** Problems listed at most in one `ConfigError`; the rest are counted. */
const MAX_ISSUES = 20

const syntaxError = (source: string, message: string) => new ConfigError({ source, issues: [{ path: "", message }] })

/**
 * Parses the text of a config file; YAML is a superset of JSON, so one parser reads both (JSON
 * text takes `JSON.parse`'s fast path). Bounded before any parsing: at most `MAX_FILE_BYTES`, nested
 * at most `MAX_NESTING` deep, `MAX_ALIASES` aliases. A syntax error names the line and column and
 * what is wrong, never the text of the line (it may hold a header value); the YAML library's own
 * warnings (an unknown tag such as `!secret`) are logged the same way instead of printed to stderr.
 */
export const parseText = (text: string, source = "inline text"): Effect.Effect<unknown, ConfigError> =>
  Effect.suspend(() => {
    const bytes = Buffer.byteLength(text, "utf8")
    if (bytes > MAX_FILE_BYTES) {
      return Effect.fail(syntaxError(source, `the file is ${bytes} bytes; a config file may be at most 1 MiB (${MAX_FILE_BYTES} bytes)`))
    }
    const nesting = textNesting(text)
    if (nesting.depth > MAX_NESTING) {
      return Effect.fail(syntaxError(source, `nested more than ${MAX_NESTING} levels deep (at line ${nesting.line})`))
    }
    const json = parseJson(text)
    if (json !== undefined) return Effect.succeed(json.value)
    // Loaded on first use: most programs configure in code or through the environment.
    const YAML = requireModule("yaml") as typeof import("yaml")
    const lines = new YAML.LineCounter()
    // `uniqueKeys` off: the library's check is quadratic in the keys of a map; ours below is linear.
    const document = YAML.parseDocument(text, { logLevel: "silent", prettyErrors: false, uniqueKeys: false, lineCounter: lines })
    const describe = (problem: { readonly code: string; readonly message: string; readonly pos: readonly [number, number] }) =>
      `${at(lines.linePos(problem.pos[0]))}: ${problem.message.split(":")[0]!.trim()} (${problem.code})`
    const error = document.errors[0]
    if (error !== undefined) return Effect.fail(syntaxError(source, `not valid YAML or JSON ${describe(error)}`))
    const duplicate = duplicateKey(YAML, document)
    if (duplicate !== undefined) {
      return Effect.fail(
        syntaxError(source, `duplicate key ${JSON.stringify(duplicate.key)} ${at(lines.linePos(duplicate.offset))}`)
      )
    }
    return Effect.forEach(document.warnings, (warning) =>
      Effect.logWarning(`${source}: YAML ${describe(warning)}`).pipe(Diagnostics.annotate({ source })), { discard: true }).pipe(
        Effect.zipRight(Effect.try({
          try: () => document.toJS({ maxAliasCount: MAX_ALIASES }) as unknown,
          catch: (cause) =>
            syntaxError(source, `cannot be read: ${cause instanceof Error ? cause.message.split(":")[0] : "unknown error"}`)
        }))
      )
  }).pipe(Effect.map((parsed) => parsed ?? {}))

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

/** Reads and parses a YAML or JSON config file, refusing one larger than `MAX_FILE_BYTES` before reading it. */
export const readFile = (path: string): Effect.Effect<unknown, ConfigError> =>
  Effect.tryPromise({
    try: async () => {
      const { size } = await FileSystem.stat(path)
      return size > MAX_FILE_BYTES ? size : await FileSystem.readFile(path, "utf8")
    },
    catch: (error) =>
      new ConfigError({ source: path, issues: [{ path: "", message: `cannot read the file: ${String(error)}` }] })
  }).pipe(
    Effect.flatMap((text) =>
      typeof text === "number"
        ? Effect.fail(syntaxError(path, `the file is ${text} bytes; a config file may be at most 1 MiB (${MAX_FILE_BYTES} bytes)`))
        : parseText(text, path)
    )
  )

/**
 * Decodes a config without looking at the environment: explicit values, then defaults.
 * Fails with a `ConfigError` naming each malformed field.
 */
export const decode = (input: unknown, source = "config"): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Effect.suspend(() => {
    // Before anything recursive looks at it: a value nested 10,000 deep is a config error, not a stack overflow.
    const tooDeep = deeperThan(input, MAX_NESTING)
    if (tooDeep !== undefined) {
      return Effect.fail(
        new ConfigError({ source, issues: [{ path: tooDeep, message: `nested more than ${MAX_NESTING} levels deep` }] })
      )
    }
    const { known, unknown } = splitUnknownFields(ConfigMerge.applyEndpointSchemes(normalize(input)))
    const secrets = Redact.secretsIn(input)
    return Schema.decodeUnknown(Config.ObservabilityConfig, { onExcessProperty: "error", errors: "all" })(known).pipe(
      Effect.either,
      Effect.flatMap((result) => {
        const issues = [...(Either.isLeft(result) ? toIssues(result.left, known, secrets) : []), ...unknown, ...prototypeKeys(known)]
        return Either.isRight(result) && issues.length === 0
          ? Effect.succeed(result.right)
          : Effect.fail(new ConfigError({ source, issues: capped(issues) }))
      }),
      Effect.flatMap(clampRanges)
    )
  })

/**
 * The effective config: explicit values (an object or a file's content) first, then the
 * `OTEL_*` environment where the explicit config is silent, then the defaults.
 * Unparseable environment values are ignored with one warning each; a malformed explicit config
 * fails with a `ConfigError`.
 */
export const resolve = (
  input: unknown = {},
  source = "config"
): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Effect.gen(function*() {
    const explicit = ConfigMerge.applyEndpointSchemes(normalize(input))
    const environment = yield* readEnvironment
    return yield* decode(ConfigMerge.overlay(explicit, environment), source)
  })

/**
 * Loads the config of a program: the file named by `file` (or by `OBSERVABILITY_CONFIG_FILE`),
 * deep-merged under the explicit `config` object, then resolved against the environment.
 */
export const load = (options: {
  readonly config?: unknown
  readonly file?: string | undefined
} = {}): Effect.Effect<Config.ObservabilityConfig, ConfigError> =>
  Effect.gen(function*() {
    const file = options.file ?? Option.getOrUndefined(yield* configFileFromEnv)
    const fromFile = file === undefined ? {} : normalize(yield* readFile(file))
    const merged = ConfigMerge.mergeExplicit(fromFile, normalize(options.config ?? {}))
    return yield* resolve(merged, file ?? "config")
  })

/** `OBSERVABILITY_CONFIG_FILE`: the path of a YAML or JSON config file for `ObservabilityLive`. */
export const CONFIG_FILE_VARIABLE = "OBSERVABILITY_CONFIG_FILE"

/** The config file named by `OBSERVABILITY_CONFIG_FILE`, if any. */
export const configFileFromEnv: Effect.Effect<Option.Option<string>> = EffectConfig.option(
  EffectConfig.string(CONFIG_FILE_VARIABLE)
).pipe(
  Effect.orElseSucceed(() => Option.none<string>()),
  Effect.map(Option.filter((path) => path.trim() !== ""))
)

// ---------------------------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------------------------

// The merge rules (explicit over environment, endpoint schemes, signal paths) are the engine's:
// `ConfigMerge`, which the Effect 4 line shares.

// ---------------------------------------------------------------------------------------------
// Ranges that are adjusted, not rejected
// ---------------------------------------------------------------------------------------------

const clampRanges = (config: Config.ObservabilityConfig): Effect.Effect<Config.ObservabilityConfig> =>
  Effect.gen(function*() {
    let tracing = config.tracing
    if (tracing.samplingRatio < 0 || tracing.samplingRatio > 1) {
      const clamped = Math.min(1, Math.max(0, tracing.samplingRatio))
      yield* Effect.logWarning(
        `tracing.samplingRatio ${tracing.samplingRatio} is outside [0, 1]; using ${clamped}`
      ).pipe(Diagnostics.annotate({ field: "tracing.samplingRatio" }))
      tracing = { ...tracing, samplingRatio: clamped }
    }
    if (tracing.maxExportBatchSize > tracing.maxQueueSize) {
      yield* Effect.logWarning(
        `tracing.maxExportBatchSize ${tracing.maxExportBatchSize} is above tracing.maxQueueSize ${tracing.maxQueueSize}; using ${tracing.maxQueueSize}`
      ).pipe(Diagnostics.annotate({ field: "tracing.maxExportBatchSize" }))
      tracing = { ...tracing, maxExportBatchSize: tracing.maxQueueSize }
    }
    let logs = config.logs
    if (logs.maxExportBatchSize > logs.maxQueueSize) {
      yield* Effect.logWarning(
        `logs.maxExportBatchSize ${logs.maxExportBatchSize} is above logs.maxQueueSize ${logs.maxQueueSize}; using ${logs.maxQueueSize}`
      ).pipe(Diagnostics.annotate({ field: "logs.maxExportBatchSize" }))
      logs = { ...logs, maxExportBatchSize: logs.maxQueueSize }
    }
    return tracing === config.tracing && logs === config.logs ? config : { ...config, tracing, logs }
  })

// ---------------------------------------------------------------------------------------------
// Error formatting
// ---------------------------------------------------------------------------------------------

const UNKNOWN_FIELD = "unknown field (check its spelling; fields are lowerCamelCase or snake_case)"

/**
 * The decoder's problems as config issues, safe to print: each names what was expected and the
 * TYPE of what was found, never the value (a section written as a string, a token on the wrong
 * line, is no less secret for being misplaced), and every message is still scrubbed of the
 * input's secrets.
 */
const toIssues = (
  error: ParseResult.ParseError,
  input: unknown,
  secrets: ReadonlyArray<string>
): ReadonlyArray<ConfigIssue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const message = issue._tag === "Unexpected" ? UNKNOWN_FIELD : expectationWithoutValue(issue.message, valueAt(input, issue.path))
    return { path: issue.path.map(String).join("."), message: Redact.scrub(message, secrets) }
  })

/**
 * A header or attribute named `__proto__`: every object the decoder builds would lose it without a
 * word (assigning it sets the prototype), so it is refused by name instead.
 */
const prototypeKeys = (input: unknown): ReadonlyArray<ConfigIssue> => {
  if (!isPlainObject(input)) return []
  const maps = [
    ...ConfigMerge.EXPORTING_SECTIONS.map((section) => [`${section}.headers`, isPlainObject(input[section]) ? input[section]["headers"] : undefined]),
    ["globalAttributes", input["globalAttributes"]]
  ] as const
  return maps.flatMap(([path, map]) =>
    isPlainObject(map) && Object.hasOwn(map, "__proto__")
      ? [{ path: `${path}.__proto__`, message: `the name "__proto__" cannot be used` }]
      : []
  )
}

const capped = (issues: ReadonlyArray<ConfigIssue>): ReadonlyArray<ConfigIssue> =>
  issues.length <= MAX_ISSUES
    ? issues
    : [...issues.slice(0, MAX_ISSUES), { path: "", message: `and ${issues.length - MAX_ISSUES} more problems` }]

/** The dotted path of the first value nested deeper than `limit`, found without recursion. */
const deeperThan = (input: unknown, limit: number): string | undefined => {
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

/** Field names of each section of the Schema, by dotted path. */
let fieldsBySection: ReadonlyMap<string, ReadonlyMap<string, AST.AST>> | undefined

/**
 * The input without the fields the Schema does not know, and one issue per such field. Done here,
 * in one pass, because the decoder's own excess-property check grows quadratically with their number.
 */
const splitUnknownFields = (input: unknown): { readonly known: unknown; readonly unknown: ReadonlyArray<ConfigIssue> } => {
  fieldsBySection ??= sectionFields(AST.encodedAST(Config.ObservabilityConfig.ast))
  const unknown: Array<ConfigIssue> = []
  const visit = (value: unknown, path: string): unknown => {
    const fields = fieldsBySection!.get(path)
    if (fields === undefined || !isPlainObject(value)) return value
    const result: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      const fieldPath = path === "" ? key : `${path}.${key}`
      if (!fields.has(key)) unknown.push({ path: fieldPath, message: UNKNOWN_FIELD })
      else setField(result, key, visit(value[key], fieldPath))
    }
    return result
  }
  return { known: visit(input, ""), unknown }
}
