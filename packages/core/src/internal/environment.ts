/**
 * The `OTEL_*` environment overlay: reads the standard OpenTelemetry variables through Effect's
 * `Config` and turns them into config input (the encoded form the Schema decodes). A value that
 * cannot be parsed is ignored with one warning naming the variable and the value, as the
 * OpenTelemetry specification asks; it never stops startup.
 */
import * as EffectConfig from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { formatDuration } from "../config/Config.js"
import * as Diagnostics from "../Diagnostics.js"
import { isPlainObject, splitEndpoint } from "./input.js"
import * as Duration from "effect/Duration"

type Parsed<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly expected: string }
type Parser<A> = (raw: string) => Parsed<A>

const ok = <A>(value: A): Parsed<A> => ({ ok: true, value })
const bad = (expected: string): Parsed<never> => ({ ok: false, expected })

const readVariable = (name: string): Effect.Effect<Option.Option<string>> =>
  EffectConfig.option(EffectConfig.string(name)).pipe(
    Effect.orElseSucceed(() => Option.none<string>()),
    // The OpenTelemetry specification treats an empty value as unset.
    Effect.map(Option.filter((value) => value.trim() !== ""))
  )

/**
 * The first of `names` that is set and parses. An unparseable one is reported and skipped, so a
 * less specific variable (`OTEL_EXPORTER_OTLP_ENDPOINT` after `..._TRACES_ENDPOINT`) still applies.
 */
const first = <A>(names: ReadonlyArray<string>, parse: Parser<A>, printable: (raw: string) => string = (raw) => raw) =>
  Effect.gen(function*() {
    for (const name of names) {
      const raw = yield* readVariable(name)
      if (Option.isNone(raw)) continue
      const parsed = parse(raw.value.trim())
      if (parsed.ok) return parsed.value
      yield* Effect.logWarning(
        `Ignoring environment variable ${name}=${JSON.stringify(printable(raw.value))}: expected ${parsed.expected}`
      ).pipe(Diagnostics.annotate({ variable: name }))
    }
    return undefined
  })

const booleanValue: Parser<boolean> = (raw) => {
  const lower = raw.toLowerCase()
  return lower === "true" ? ok(true) : lower === "false" ? ok(false) : bad(`"true" or "false"`)
}

/** Durations in the OpenTelemetry variables are integer milliseconds. */
const millisValue: Parser<string> = (raw) => {
  const millis = Number(raw)
  return /^\d+$/.test(raw) && Number.isSafeInteger(millis)
    ? ok(formatDuration(Duration.millis(millis)))
    : bad("a non-negative integer number of milliseconds")
}

const countValue: Parser<number> = (raw) => {
  const count = Number(raw)
  return /^\d+$/.test(raw) && Number.isSafeInteger(count) && count > 0 ? ok(count) : bad("a positive integer")
}

const ratioValue: Parser<number> = (raw) => {
  const ratio = Number(raw)
  return raw !== "" && Number.isFinite(ratio) ? ok(ratio) : bad("a number between 0 and 1")
}

const choiceValue = <const V extends string>(values: ReadonlyArray<V>, aliases: Record<string, V> = {}): Parser<V> =>
(raw) => {
  const lower = raw.toLowerCase()
  const value = aliases[lower] ?? (values.includes(lower as V) ? lower as V : undefined)
  return value === undefined ? bad(`one of ${[...values, ...Object.keys(aliases)].join(", ")}`) : ok(value)
}

/** `key=value,key2=value2` with percent-encoded keys and values (W3C Baggage octets). */
const keyValueList: Parser<Record<string, string>> = (raw) => {
  const result: Record<string, string> = {}
  for (const pair of raw.split(",")) {
    if (pair.trim() === "") continue
    const at = pair.indexOf("=")
    if (at <= 0) return bad(`a comma-separated list of key=value pairs`)
    const key = Diagnostics.decodeURIComponentSafe(pair.slice(0, at).trim())
    result[key] = Diagnostics.decodeURIComponentSafe(pair.slice(at + 1).trim())
  }
  return ok(result)
}

const endpointValue: Parser<{ endpoint: string; insecure?: boolean; raw: string }> = (raw) => {
  const split = splitEndpoint(raw)
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

const propagatorList = choiceValue(["tracecontext", "baggage", "b3", "b3multi", "jaeger", "none"])
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
const exporterSection = (signal: "TRACES" | "METRICS" | "LOGS") =>
  Effect.gen(function*() {
    const names = (suffix: string) => [`OTEL_EXPORTER_OTLP_${signal}_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]
    // Read apart: OTLP/HTTP appends the signal path to the general variable only (see ConfigSource).
    const [specificEndpoint, generalEndpoint] = names("ENDPOINT")
    const specific = yield* first([specificEndpoint!], endpointValue)
    const general = specific === undefined ? yield* first([generalEndpoint!], endpointValue) : undefined
    const endpoint = specific ?? general
    const exporter = yield* first([`OTEL_${signal}_EXPORTER`], exporterValue)
    const section: Record<string, unknown> = {
      endpoint: endpoint?.endpoint,
      endpointBase: general?.raw.trim(),
      protocol: yield* first(names("PROTOCOL"), protocolValue),
      insecureFromScheme: endpoint?.insecure,
      insecure: yield* first(names("INSECURE"), booleanValue),
      headers: yield* first(names("HEADERS"), keyValueList, Diagnostics.redactHeaderList),
      compression: yield* first(names("COMPRESSION"), choiceValue(["gzip", "none"])),
      certificate: yield* first(names("CERTIFICATE"), pathValue),
      clientKey: yield* first(names("CLIENT_KEY"), pathValue),
      clientCertificate: yield* first(names("CLIENT_CERTIFICATE"), pathValue),
      exporter: exporter === undefined ? undefined : EXPORTER_KIND[exporter]
    }
    const timeoutNames = [BATCH_EXPORT_TIMEOUT[signal], ...names("TIMEOUT")]
    section["exportTimeout"] = yield* first(timeoutNames, millisValue)
    return section
  })

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

/** Reads every supported variable; the result has the shape of the config input, sparse. */
export const readEnvironment: Effect.Effect<Record<string, unknown>> = Effect.gen(function*() {
  const disabled = (yield* first(["OTEL_SDK_DISABLED"], booleanValue)) === true ? false : undefined

  const tracing = yield* exporterSection("TRACES")
  tracing["enabled"] = disabled
  tracing["sampler"] = yield* first(["OTEL_TRACES_SAMPLER"], samplerValue)
  tracing["samplingRatio"] = yield* first(["OTEL_TRACES_SAMPLER_ARG"], ratioValue)
  tracing["propagators"] = yield* first(["OTEL_PROPAGATORS"], propagatorsValue)
  tracing["batchTimeout"] = yield* first(["OTEL_BSP_SCHEDULE_DELAY"], millisValue)
  tracing["maxQueueSize"] = yield* first(["OTEL_BSP_MAX_QUEUE_SIZE"], countValue)
  tracing["maxExportBatchSize"] = yield* first(["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"], countValue)

  const metrics = yield* exporterSection("METRICS")
  metrics["enabled"] = disabled
  metrics["interval"] = yield* first(["OTEL_METRIC_EXPORT_INTERVAL"], millisValue)

  const logs = yield* exporterSection("LOGS")
  // Naming an exporter in OTEL_LOGS_EXPORTER asks for logs; the section is off by default.
  const logsExporter = logs["exporter"]
  logs["enabled"] = disabled ?? (logsExporter === undefined ? undefined : logsExporter !== "none")
  logs["batchTimeout"] = yield* first(["OTEL_BLRP_SCHEDULE_DELAY"], millisValue)
  logs["maxQueueSize"] = yield* first(["OTEL_BLRP_MAX_QUEUE_SIZE"], countValue)
  logs["maxExportBatchSize"] = yield* first(["OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"], countValue)
  logs["format"] = yield* first([LOG_FORMAT_VARIABLE], logFormatValue)
  logs["level"] = yield* first([LOG_LEVEL_VARIABLE], logLevelValue)

  const resourceAttributes = (yield* first(["OTEL_RESOURCE_ATTRIBUTES"], keyValueList)) ?? {}
  const service = {
    name: (yield* first(["OTEL_SERVICE_NAME"], pathValue)) ?? resourceAttributes["service.name"],
    version: resourceAttributes["service.version"],
    environment: (yield* first(["APP_ENV"], pathValue)) ??
      resourceAttributes["deployment.environment.name"] ?? resourceAttributes["deployment.environment"]
  }

  return compact({
    service: compact(service),
    tracing: compact(tracing),
    metrics: compact(metrics),
    logs: compact(logs),
    globalAttributes: compact(resourceAttributes)
  }) ?? {}
})
