/**
 * The configuration model on Effect 4's Schema: one `ObservabilityConfig`, decoded from plain data
 * (an object in code, a YAML/JSON file, or the protobuf-JSON form of a config message). The same
 * fields, defaults and error paths as the Effect 3 line (`@lingo-obs/core`'s `Config`), and the
 * same committed JSON Schema (`schema/observability-config.schema.json`) describes both: the
 * conformance test decodes shared fixtures with each line.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Config } from "lingo-obs"
 *
 * const config = Schema.decodeUnknownSync(Config.ObservabilityConfig)({
 *   tracing: { endpoint: "otel.example.com:4317", samplingRatio: 0.1 }
 * })
 * ```
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaTransformation from "effect/SchemaTransformation"
import { headerProblem, MAX_TIMER_MILLIS } from "@lingo-obs/otlp/HeaderRules"

// ---------------------------------------------------------------------------------------------
// Field types
// ---------------------------------------------------------------------------------------------

const DURATION_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)$/
const UNIT_MILLIS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000
}

/** Parses `"5s"`, `"1.5s"`, `"250ms"`, `"1m"` into a Duration; `undefined` when it is not one. */
export const parseDuration = (input: string): Duration.Duration | undefined => {
  const match = DURATION_PATTERN.exec(input.trim())
  if (match === null) return undefined
  const millis = Number(match[1]) * UNIT_MILLIS[match[2]!]!
  return Number.isFinite(millis) ? Duration.millis(millis) : undefined
}

/** Formats a Duration the way the config writes it (`"5s"`, `"250ms"`), so it decodes back. */
export const formatDuration = (duration: Duration.Duration): string => {
  const millis = Duration.toMillis(duration)
  return millis >= 1_000 && millis % 1_000 === 0 ? `${millis / 1_000}s` : `${millis}ms`
}

/**
 * A transformation that fails with "Expected `expected`": the input is never part of the message
 * (reportInput stays off), so a bad value, perhaps a secret pasted in the wrong field, is not echoed.
 */
const parseOrExpect = <T, E>(expected: string, parse: (input: E) => T | undefined, encode: (value: T) => E) =>
  SchemaTransformation.transformEffect<T, E>({
    decode: (input) => {
      const value = parse(input)
      return value === undefined ? Effect.fail(new SchemaIssue.InvalidValue({ expected }, input)) : Effect.succeed(value)
    },
    encode: (value) => Effect.succeed(encode(value))
  })

const DURATION_EXPECTATION =
  `a non-negative duration such as "5s", "1.5s", "250ms" or "1m", at most ${MAX_TIMER_MILLIS}ms (24.8 days)`

/** A duration written as a string with a unit: `"5s"`, `"1.5s"`, `"250ms"`, `"1m"`. */
export const DurationString = Schema.String.pipe(
  Schema.decodeTo(
    Schema.Duration,
    parseOrExpect(DURATION_EXPECTATION, (input: string) => {
      const duration = parseDuration(input)
      // Node's timers fire after 1 ms for longer delays: a 30-day interval would export in a loop.
      return duration === undefined || Duration.toMillis(duration) > MAX_TIMER_MILLIS ? undefined : duration
    }, formatDuration)
  )
).annotate({ identifier: "DurationString", description: DURATION_EXPECTATION })

const numberFrom = (input: number | string): number | undefined => {
  const value = typeof input === "string" && input.trim() !== "" ? Number(input) : input
  return typeof value === "number" ? value : undefined
}

const COUNT_EXPECTATION = `a positive integer up to ${MAX_TIMER_MILLIS}`

/** A positive integer; the protobuf-JSON form writes 64-bit integers as strings, so `"2048"` counts too. */
export const Count = Schema.Union([Schema.Number, Schema.String]).pipe(
  Schema.decodeTo(
    Schema.Int,
    parseOrExpect(COUNT_EXPECTATION, (input: number | string) => {
      const value = numberFrom(input)
      return value !== undefined && Number.isSafeInteger(value) && value > 0 && value <= MAX_TIMER_MILLIS ? value : undefined
    }, (value: number): number | string => value)
  )
).annotate({ identifier: "Count", description: COUNT_EXPECTATION })

/**
 * A case-insensitive choice among `values`: protobuf-JSON writes enums in upper case
 * (`OTLP_GRPC`), YAML files usually in lower case.
 */
const Choice = <const Values extends ReadonlyArray<string>>(identifier: string, values: Values) => {
  const expectation = `one of ${values.map((value) => JSON.stringify(value)).join(", ")}`
  return Schema.String.pipe(
    Schema.decodeTo(
      Schema.Literals(values),
      parseOrExpect(expectation, (input: string) => {
        const lower = input.toLowerCase()
        return values.includes(lower) ? lower as Values[number] : undefined
      }, (value: Values[number]): string => value)
    )
  ).annotate({ identifier, description: expectation })
}

/** Where a signal's data goes: OTLP (gRPC or HTTP, see `protocol`), one JSON object per item on stdout, or nowhere. */
export const ExporterKind = Choice("ExporterKind", ["otlp_grpc", "stdout", "none"])
export type ExporterKind = typeof ExporterKind.Type

/** The OpenTelemetry sampler names of `OTEL_TRACES_SAMPLER`. */
export const SamplerKind = Choice("SamplerKind", [
  "parentbased_traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "traceidratio",
  "always_on",
  "always_off"
])
export type SamplerKind = typeof SamplerKind.Type

/** The propagator names of `OTEL_PROPAGATORS`. */
export const PropagatorName = Choice("PropagatorName", ["tracecontext", "baggage", "b3", "b3multi", "jaeger", "none"])
export type PropagatorName = typeof PropagatorName.Type

/** The OTLP wire of a signal (`OTEL_EXPORTER_OTLP_PROTOCOL`): gRPC, or HTTP with protobuf or JSON bodies. */
export const Protocol = Choice("Protocol", ["grpc", "http/protobuf", "http/json"])
export type Protocol = typeof Protocol.Type

export const Compression = Choice("Compression", ["none", "gzip"])
export type Compression = typeof Compression.Type

/** How the `stdout` exporter shows the resource: `once` at start, or on `each` record. */
export const StdoutResource = Choice("StdoutResource", ["once", "each"])
export type StdoutResource = typeof StdoutResource.Type

const RATIO_EXPECTATION = "a number between 0 and 1"

/** A sampling ratio. Values outside [0, 1] decode; the config source clamps them with a warning. */
export const SamplingRatio = Schema.Union([Schema.Number, Schema.String]).pipe(
  Schema.decodeTo(
    Schema.Number,
    parseOrExpect(RATIO_EXPECTATION, (input: number | string) => {
      const value = numberFrom(input)
      return value !== undefined && Number.isFinite(value) ? value : undefined
    }, (value: number): number | string => value)
  )
).annotate({ identifier: "SamplingRatio", description: RATIO_EXPECTATION })

/** A map of string to string, such as headers or resource attributes. */
export const StringMap = Schema.Record(Schema.String, Schema.String)

/**
 * Headers to send: names and values gRPC and HTTP both accept. A bad one is a config error naming
 * the header; its value is never echoed.
 */
export const HeaderMap = StringMap.check(
  Schema.makeFilter((headers: { readonly [name: string]: string }) =>
    Object.keys(headers).flatMap((name) => {
      const problem = headerProblem(name, headers[name]!)
      return problem === undefined ? [] : [{ path: [name], issue: problem }]
    })
  )
).annotate({ identifier: "HeaderMap" })

// The Effect 3 line's wording for an empty value, so both lines name the problem alike.
const NonEmptyTrimmedString = Schema.Trimmed.check(Schema.isNonEmpty({ expected: "a non empty string" }))

/**
 * An endpoint without user-info: a password in `http://user:pw@host` would be printed wherever the
 * endpoint is (start-up line, export warnings), and OTLP sends credentials as headers anyway.
 */
export const Endpoint = NonEmptyTrimmedString.check(
  Schema.makeFilter((endpoint: string) =>
    /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i.test(endpoint)
      ? "Expected an endpoint without a user name or password (send credentials as headers)"
      : undefined
  )
).annotate({ identifier: "Endpoint" })

/** A field that may be absent from the input and then takes `encoded` (the value as written in a config). */
const withDefault = <S extends Schema.Top>(schema: S, encoded: S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(encoded)))

/**
 * A section that may be absent and then has every default. Decoded field by field whatever the
 * default (`withDecodingDefaultTypeKey`): with an encoded default, Effect 4 checks the whole
 * section's encoded shape first and, on one wrong type, never reports the other fields' problems.
 */
const sectionWithDefault = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) =>
  schema.pipe(Schema.withDecodingDefaultTypeKey(Effect.succeed(Schema.decodeUnknownSync(schema)({}))))

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

/**
 * How a failed export is retried: exponential back-off with jitter from `initialBackoff` up to
 * `maxBackoff`, for at most `maxElapsedTime` per batch; a server's RetryInfo delay wins.
 */
export const RetryConfig = Schema.Struct({
  enabled: withDefault(Schema.Boolean, true),
  initialBackoff: withDefault(DurationString, "5s"),
  maxBackoff: withDefault(DurationString, "30s"),
  maxElapsedTime: withDefault(DurationString, "1m")
}).annotate({ identifier: "RetryConfig" })
export type RetryConfig = typeof RetryConfig.Type

/** The OTLP exporter specification's default endpoints, used when `endpoint` is absent. */
export const DEFAULT_ENDPOINTS = { grpc: "http://localhost:4317", http: "http://localhost:4318" } as const

/** The fields every exporting signal shares (see the Effect 3 line's `Config` for each one's meaning). */
const exporterFields = {
  enabled: withDefault(Schema.Boolean, true),
  exporter: withDefault(ExporterKind, "otlp_grpc"),
  protocol: withDefault(Protocol, "grpc"),
  endpoint: Schema.optionalKey(Endpoint),
  insecure: withDefault(Schema.Boolean, false),
  headers: withDefault(HeaderMap, {}),
  compression: withDefault(Compression, "none"),
  certificate: Schema.optionalKey(NonEmptyTrimmedString),
  clientKey: Schema.optionalKey(NonEmptyTrimmedString),
  clientCertificate: Schema.optionalKey(NonEmptyTrimmedString),
  exportTimeout: withDefault(DurationString, "10s"),
  maxMessageSize: withDefault(Count, 4 * 1024 * 1024),
  retry: sectionWithDefault(RetryConfig),
  startupProbeTimeout: withDefault(DurationString, "3s"),
  required: withDefault(Schema.Boolean, false),
  stdoutResource: withDefault(StdoutResource, "once")
}

export const TracingConfig = Schema.Struct({
  ...exporterFields,
  sampler: withDefault(SamplerKind, "parentbased_traceidratio"),
  samplingRatio: withDefault(SamplingRatio, 1),
  propagators: withDefault(Schema.Array(PropagatorName), ["tracecontext", "baggage"]),
  batchTimeout: withDefault(DurationString, "5s"),
  maxQueueSize: withDefault(Count, 131_072),
  maxExportBatchSize: withDefault(Count, 512),
  maxConcurrentExports: withDefault(Count, 4)
}).annotate({ identifier: "TracingConfig" })
export type TracingConfig = typeof TracingConfig.Type

export const MetricsConfig = Schema.Struct({
  ...exporterFields,
  interval: withDefault(DurationString, "60s"),
  disableRuntimeStats: withDefault(Schema.Boolean, false),
  grpcEnabled: withDefault(Schema.Boolean, true),
  grpcIncludeHealth: withDefault(Schema.Boolean, false),
  legacyRpcMetrics: withDefault(Schema.Boolean, false)
}).annotate({ identifier: "MetricsConfig" })
export type MetricsConfig = typeof MetricsConfig.Type

/** How the program's log lines are written on stdout. */
export const LogFormat = Choice("LogFormat", ["effect", "json", "logfmt", "pretty"])
export type LogFormat = typeof LogFormat.Type

/** A minimum log level, by the Effect 3 line's names (`warning`, not `warn`): one config for both lines. */
export const LogLevelName = Choice("LogLevelName", ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"])
export type LogLevelName = typeof LogLevelName.Type

export const LogsConfig = Schema.Struct({
  ...exporterFields,
  /** Export log records. Off by default, as on the Effect 3 line. */
  enabled: withDefault(Schema.Boolean, false),
  batchTimeout: withDefault(DurationString, "1s"),
  maxQueueSize: withDefault(Count, 8_192),
  maxExportBatchSize: withDefault(Count, 512),
  maxConcurrentExports: withDefault(Count, 4),
  format: withDefault(LogFormat, "effect"),
  level: Schema.optionalKey(LogLevelName)
}).annotate({ identifier: "LogsConfig" })
export type LogsConfig = typeof LogsConfig.Type

/** Span limits, the OpenTelemetry specification's, with the toolkit's 8,192-character value limit. */
export const SpanLimitsConfig = Schema.Struct({
  attributeCountLimit: withDefault(Count, 128),
  attributeValueLengthLimit: withDefault(Count, 8_192),
  eventCountLimit: withDefault(Count, 128),
  linkCountLimit: withDefault(Count, 128),
  eventAttributeCountLimit: withDefault(Count, 128),
  linkAttributeCountLimit: withDefault(Count, 128)
}).annotate({ identifier: "SpanLimitsConfig" })
export type SpanLimitsConfig = typeof SpanLimitsConfig.Type

/** Who the telemetry is about. The entry (`Observability.layer({ service })`) overrides these. */
export const ServiceConfig = Schema.Struct({
  name: Schema.optionalKey(NonEmptyTrimmedString),
  version: Schema.optionalKey(NonEmptyTrimmedString),
  environment: Schema.optionalKey(NonEmptyTrimmedString)
}).annotate({ identifier: "ServiceConfig" })
export type ServiceConfig = typeof ServiceConfig.Type

export const ObservabilityConfig = Schema.Struct({
  service: sectionWithDefault(ServiceConfig),
  tracing: sectionWithDefault(TracingConfig),
  metrics: sectionWithDefault(MetricsConfig),
  logs: sectionWithDefault(LogsConfig),
  /** Resource attributes shared by every signal (`service.group`, `region`, ...). */
  globalAttributes: withDefault(StringMap, {}),
  /** How long scope close may take to flush and shut down all signals. */
  shutdownTimeout: withDefault(DurationString, "5s"),
  limits: sectionWithDefault(SpanLimitsConfig)
}).annotate({ identifier: "ObservabilityConfig" })

/** The decoded configuration, every default filled in. */
export type ObservabilityConfig = typeof ObservabilityConfig.Type
/** What a config file or object may contain: every field optional. */
export type ObservabilityConfigInput = typeof ObservabilityConfig.Encoded

/** The configuration with nothing set: every default. */
export const defaults: ObservabilityConfig = Schema.decodeUnknownSync(ObservabilityConfig)({})

/** The config sections whose fields are exporter settings, by signal name. */
export type Signal = "traces" | "metrics" | "logs"
