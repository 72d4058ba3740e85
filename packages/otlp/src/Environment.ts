/**
 * The `OTEL_*` environment overlay: reads the standard OpenTelemetry variables through a lookup
 * function and turns them into config input (the encoded form each line's config schema
 * decodes). A value that cannot be parsed is ignored with one warning naming the variable and
 * the value (never a header's, never a password), as the OpenTelemetry specification asks; it
 * never stops startup. Each line reads the variables its own way (Effect's `ConfigProvider`,
 * `process.env`) and logs the warnings through its own logger.
 *
 * @example
 * ```ts
 * const { input, warnings } = Environment.read((name) => process.env[name])
 * for (const { variable, message } of warnings) console.warn(message, { variable })
 * ```
 */
import { isPlainObject, setField, splitEndpoint } from "./ConfigInput.js"
import { headerProblem, MAX_TIMER_MILLIS } from "./HeaderRules.js"
import * as Propagators from "./Propagators.js"
import * as Redact from "./Redact.js"

/** The value of a variable, `undefined` when unset. */
export type Lookup = (name: string) => string | undefined

/** One warning about a variable that was ignored, in whole or in part. */
export interface Warning {
  readonly variable: string
  readonly message: string
}

/** The environment as config input (sparse: only what is set), and the warnings reading it gave. */
export interface Reading {
  readonly input: Record<string, unknown>
  readonly warnings: ReadonlyArray<Warning>
}

/** A duration the way the config writes it (`"5s"`, `"250ms"`), so that it decodes back. */
export const formatMillis = (millis: number): string =>
  millis >= 1_000 && millis % 1_000 === 0 ? `${millis / 1_000}s` : `${millis}ms`

/** `decodeURIComponent`, keeping text that is not valid percent-encoding as written. */
export const decodeURIComponentSafe = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * A parsed value, or what was expected. `notes` are problems with a part of the value that was
 * dropped while the rest applies (one bad header among several).
 */
type Parsed<A> =
  | { readonly ok: true; readonly value: A; readonly notes?: ReadonlyArray<string> }
  | { readonly ok: false; readonly expected: string }
type Parser<A> = (raw: string) => Parsed<A>

const ok = <A>(value: A, notes?: ReadonlyArray<string>): Parsed<A> =>
  notes === undefined || notes.length === 0 ? { ok: true, value } : { ok: true, value, notes }
const bad = (expected: string): Parsed<never> => ({ ok: false, expected })


/**
 * A reader of variables for one pass over the environment. It parses (and warns about) each
 * variable once, however many fields read it: `OTEL_EXPORTER_OTLP_HEADERS` feeds three signals
 * and is reported once. Warnings print values through `Redact.environmentValue`: header lists
 * never, endpoints without user-info.
 */
const makeReader = (lookup: Lookup, warnings: Array<Warning>) => {
  const parsed = new Map<string, Parsed<unknown> | undefined>()
  const parseOnce = <A>(name: string, parse: Parser<A>): Parsed<A> | undefined => {
    if (parsed.has(name)) return parsed.get(name) as Parsed<A> | undefined
    const raw = lookup(name)
    // The OpenTelemetry specification treats an empty value as unset.
    const set = raw !== undefined && raw.trim() !== ""
    const result = set ? parse(raw.trim()) : undefined
    parsed.set(name, result)
    if (result === undefined || !set) return result
    const shown = Redact.environmentValue(name, raw)
    if (!result.ok) {
      warnings.push({ variable: name, message: `Ignoring environment variable ${name}=${shown}: expected ${result.expected}` })
    }
    for (const note of result.ok ? result.notes ?? [] : []) {
      warnings.push({ variable: name, message: `Environment variable ${name}: ${note}` })
    }
    return result
  }
  /**
   * The first of `names` that is set and parses. An unparseable one is reported and skipped, so a
   * less specific variable (`OTEL_EXPORTER_OTLP_ENDPOINT` after `..._TRACES_ENDPOINT`) still applies.
   */
  return <A>(names: ReadonlyArray<string>, parse: Parser<A>): A | undefined => {
    for (const name of names) {
      const result = parseOnce(name, parse)
      if (result !== undefined && result.ok) return result.value
    }
    return undefined
  }
}

type Reader = ReturnType<typeof makeReader>

const booleanValue: Parser<boolean> = (raw) => {
  const lower = raw.toLowerCase()
  return lower === "true" ? ok(true) : lower === "false" ? ok(false) : bad(`"true" or "false"`)
}

/** Durations in the OpenTelemetry variables are integer milliseconds, at most what a timer takes. */
const millisValue: Parser<string> = (raw) => {
  const millis = Number(raw)
  return /^\d+$/.test(raw) && millis <= MAX_TIMER_MILLIS
    ? ok(formatMillis(millis))
    : bad(`a non-negative integer number of milliseconds, at most ${MAX_TIMER_MILLIS}`)
}

const countValue: Parser<number> = (raw) => {
  const count = Number(raw)
  return /^\d+$/.test(raw) && count > 0 && count <= MAX_TIMER_MILLIS
    ? ok(count)
    : bad(`a positive integer up to ${MAX_TIMER_MILLIS}`)
}

const ratioValue: Parser<number> = (raw) => {
  const ratio = Number(raw)
  return raw !== "" && Number.isFinite(ratio) ? ok(ratio) : bad("a number between 0 and 1")
}

const choiceValue = <const V extends string>(values: ReadonlyArray<V>, aliases: Record<string, V> = {}): Parser<V> =>
(raw) => {
  const lower = raw.toLowerCase()
  // Own properties only: `constructor` or `__proto__` must not find Object.prototype's.
  const value = Object.hasOwn(aliases, lower) ? aliases[lower] : values.includes(lower as V) ? lower as V : undefined
  return value === undefined ? bad(`one of ${[...values, ...Object.keys(aliases)].join(", ")}`) : ok(value)
}

/**
 * `key=value,key2=value2` with percent-encoded keys and values (W3C Baggage octets). A pair without
 * `=` or with an empty key makes the whole list unusable (the specification's rule); `check` may
 * drop single entries with a note.
 */
const keyValueList = (
  check: (key: string, value: string) => string | undefined = () => undefined
): Parser<Record<string, string>> =>
(raw) => {
  const result: Record<string, string> = {}
  const notes: Array<string> = []
  for (const pair of raw.split(",")) {
    if (pair.trim() === "") continue
    const at = pair.indexOf("=")
    if (at <= 0 || pair.slice(0, at).trim() === "") return bad(`a comma-separated list of key=value pairs`)
    const key = decodeURIComponentSafe(pair.slice(0, at).trim())
    const value = decodeURIComponentSafe(pair.slice(at + 1).trim())
    const problem = check(key, value)
    if (problem === undefined) setField(result, key, value)
    else notes.push(problem)
  }
  return ok(result, notes)
}

/** Headers: each one gRPC or HTTP would refuse is dropped with a note naming it (never its value). */
const headerList = keyValueList((name, value) => {
  const problem = headerProblem(name, value)
  return problem === undefined ? undefined : `ignoring one header: ${problem}`
})

/**
 * Resource attributes: an empty value says nothing (and an empty `service.name` is no name), and
 * `__proto__` would make the config refuse the whole map; dropped with a note.
 */
const attributeList = keyValueList((key, value) =>
  value === ""
    ? `ignoring attribute ${JSON.stringify(key)}: its value is empty`
    : key === "__proto__"
    ? `ignoring attribute "__proto__": the name cannot be used`
    : undefined
)

const endpointValue: Parser<{ endpoint: string; insecure?: boolean; raw: string }> = (raw) => {
  const split = splitEndpoint(raw)
  if (split.endpoint.includes("@")) return bad("an endpoint without a user name or password (send credentials as headers)")
  return /^[^\s/:]+(:\d+)?$/.test(split.endpoint) || /^\[[0-9a-f:]+\](:\d+)?$/i.test(split.endpoint) ||
      isHttpUrl(split.endpoint)
    ? ok({ ...split, raw })
    : bad("a URL such as http://collector:4317 or a host:port")
}

/** An `http://` or `https://` URL with a host, such as an OTLP/HTTP endpoint with its path. */
const isHttpUrl = (value: string): boolean => {
  if (!/^https?:\/\//i.test(value)) return false
  try {
    const url = new URL(value)
    return url.hostname !== "" && url.search === "" && url.hash === ""
  } catch {
    return false
  }
}

const protocolValue = choiceValue(["grpc", "http/protobuf", "http/json"])

const pathValue: Parser<string> = (raw) => ok(raw)

const propagatorList = choiceValue(Propagators.NAMES)
const propagatorsValue: Parser<ReadonlyArray<string>> = (raw) => {
  const names: Array<string> = []
  for (const item of raw.split(",")) {
    const parsed = propagatorList(item.trim())
    if (!parsed.ok) return parsed
    names.push(parsed.value)
  }
  return ok(names)
}

const exporterValue = choiceValue(["otlp", "console", "none"] as const)
const EXPORTER_KIND = { otlp: "otlp_grpc", console: "stdout", none: "none" } as const

const samplerValue = choiceValue([
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio"
])

/** The processor's own export timeout variable of each signal, tried before the OTLP ones. */
const BATCH_EXPORT_TIMEOUT = {
  TRACES: "OTEL_BSP_EXPORT_TIMEOUT",
  METRICS: "OTEL_METRIC_EXPORT_TIMEOUT",
  LOGS: "OTEL_BLRP_EXPORT_TIMEOUT"
} as const

const logFormatValue = choiceValue(["effect", "json", "logfmt", "pretty"])
const logLevelValue = choiceValue(
  ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"],
  { warn: "warning" }
)

/** The per-signal exporter variables, most specific first. */
const exporterSection = (first: Reader, signal: "TRACES" | "METRICS" | "LOGS") => {
  const names = (suffix: string) => [`OTEL_EXPORTER_OTLP_${signal}_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]
  // Read apart: OTLP/HTTP appends the signal path to the general variable only (see ConfigMerge).
  const [specificEndpoint, generalEndpoint] = names("ENDPOINT")
  const specific = first([specificEndpoint!], endpointValue)
  const general = specific === undefined ? first([generalEndpoint!], endpointValue) : undefined
  const endpoint = specific ?? general
  const exporter = first([`OTEL_${signal}_EXPORTER`], exporterValue)
  const section: Record<string, unknown> = {
    endpoint: endpoint?.endpoint,
    endpointBase: general?.raw.trim(),
    protocol: first(names("PROTOCOL"), protocolValue),
    insecureFromScheme: endpoint?.insecure,
    insecure: first(names("INSECURE"), booleanValue),
    headers: first(names("HEADERS"), headerList),
    compression: first(names("COMPRESSION"), choiceValue(["gzip", "none"])),
    certificate: first(names("CERTIFICATE"), pathValue),
    clientKey: first(names("CLIENT_KEY"), pathValue),
    clientCertificate: first(names("CLIENT_CERTIFICATE"), pathValue),
    exporter: exporter === undefined ? undefined : EXPORTER_KIND[exporter]
  }
  const timeoutNames = [BATCH_EXPORT_TIMEOUT[signal], ...names("TIMEOUT")]
  section["exportTimeout"] = first(timeoutNames, millisValue)
  return section
}

const compact = (record: Record<string, unknown>): Record<string, unknown> | undefined => {
  const entries = Object.entries(record).filter(([, value]) =>
    value !== undefined && !(isPlainObject(value) && Object.keys(value).length === 0)
  )
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}

/** `logs.format` from the environment, e.g. `pretty` on a developer's machine. Not an OTel variable. */
export const LOG_FORMAT_VARIABLE = "OBSERVABILITY_LOG_FORMAT"
/** `logs.level` from the environment. Not `OTEL_LOG_LEVEL`, which is the SDK's own diagnostics level. */
export const LOG_LEVEL_VARIABLE = "OBSERVABILITY_LOG_LEVEL"

/** Reads every supported variable through `lookup`; the input has the shape of the config input, sparse. */
export const read = (lookup: Lookup): Reading => {
  const warnings: Array<Warning> = []
  const first = makeReader(lookup, warnings)
  const disabled = (first(["OTEL_SDK_DISABLED"], booleanValue)) === true ? false : undefined

  const tracing = exporterSection(first, "TRACES")
  tracing["enabled"] = disabled
  tracing["sampler"] = first(["OTEL_TRACES_SAMPLER"], samplerValue)
  tracing["samplingRatio"] = first(["OTEL_TRACES_SAMPLER_ARG"], ratioValue)
  tracing["propagators"] = first(["OTEL_PROPAGATORS"], propagatorsValue)
  tracing["batchTimeout"] = first(["OTEL_BSP_SCHEDULE_DELAY"], millisValue)
  tracing["maxQueueSize"] = first(["OTEL_BSP_MAX_QUEUE_SIZE"], countValue)
  tracing["maxExportBatchSize"] = first(["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"], countValue)

  const metrics = exporterSection(first, "METRICS")
  metrics["enabled"] = disabled
  metrics["interval"] = first(["OTEL_METRIC_EXPORT_INTERVAL"], millisValue)

  const logs = exporterSection(first, "LOGS")
  // Naming an exporter in OTEL_LOGS_EXPORTER asks for logs; the section is off by default.
  const logsExporter = logs["exporter"]
  logs["enabled"] = disabled ?? (logsExporter === undefined ? undefined : logsExporter !== "none")
  logs["batchTimeout"] = first(["OTEL_BLRP_SCHEDULE_DELAY"], millisValue)
  logs["maxQueueSize"] = first(["OTEL_BLRP_MAX_QUEUE_SIZE"], countValue)
  logs["maxExportBatchSize"] = first(["OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"], countValue)
  logs["format"] = first([LOG_FORMAT_VARIABLE], logFormatValue)
  logs["level"] = first([LOG_LEVEL_VARIABLE], logLevelValue)

  const resourceAttributes = (first(["OTEL_RESOURCE_ATTRIBUTES"], attributeList)) ?? {}
  const service = {
    name: (first(["OTEL_SERVICE_NAME"], pathValue)) ?? resourceAttributes["service.name"],
    version: resourceAttributes["service.version"],
    environment: (first(["APP_ENV"], pathValue)) ??
      resourceAttributes["deployment.environment.name"] ?? resourceAttributes["deployment.environment"]
  }

  const limits = {
    attributeCountLimit: first(["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"], countValue),
    attributeValueLengthLimit: first(
      ["OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"],
      countValue
    ),
    eventCountLimit: first(["OTEL_SPAN_EVENT_COUNT_LIMIT"], countValue),
    linkCountLimit: first(["OTEL_SPAN_LINK_COUNT_LIMIT"], countValue),
    eventAttributeCountLimit: first(["OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"], countValue),
    linkAttributeCountLimit: first(["OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"], countValue)
  }

  const input = compact({
    limits: compact(limits),
    service: compact(service),
    tracing: compact(tracing),
    metrics: compact(metrics),
    logs: compact(logs),
    globalAttributes: compact(resourceAttributes)
  }) ?? {}
  return { input, warnings }
}

/**
 * Every variable `read` looks up, in the order it does with none set: what a line that reads
 * variables asynchronously (Effect's `ConfigProvider`) fetches before calling `read`.
 */
export const VARIABLES: ReadonlyArray<string> = (() => {
  const names = new Set<string>()
  read((name) => {
    names.add(name)
    return undefined
  })
  return [...names]
})()
