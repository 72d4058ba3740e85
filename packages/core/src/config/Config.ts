/**
 * The configuration model of the toolkit: one `ObservabilityConfig`, decoded by an Effect Schema
 * from plain data (an object in code, a YAML/JSON file, or the protobuf-JSON form of a config
 * message). Every field is optional in the input and has a documented default.
 *
 * @example
 * ```ts
 * import { Config } from "@lingo-obs/core"
 * import { Schema } from "effect"
 *
 * const config = Schema.decodeUnknownSync(Config.ObservabilityConfig)({
 *   tracing: { endpoint: "otel.example.com:4317", samplingRatio: 0.1 }
 * })
 * ```
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { headerProblem, MAX_TIMER_MILLIS } from "@lingo-obs/otlp/HeaderRules"
import { kindOf } from "@lingo-obs/otlp/ConfigInput"
import { formatMillis } from "@lingo-obs/otlp/Environment"
import * as Propagators from "@lingo-obs/otlp/Propagators"
import * as Sampler from "@lingo-obs/otlp/Sampler"

// ---------------------------------------------------------------------------------------------
// Field types
// ---------------------------------------------------------------------------------------------

const DURATION_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)$/
const UNIT_MILLIS: Record<string, number> = {
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
export const formatDuration = (duration: Duration.Duration): string => formatMillis(Duration.toMillis(duration))

const DURATION_EXPECTATION =
  `a non-negative duration such as "5s", "1.5s", "250ms" or "1m", at most ${MAX_TIMER_MILLIS}ms (24.8 days)`

/** A duration written as a string with a unit: `"5s"`, `"1.5s"`, `"250ms"`, `"1m"`. */
export const DurationString = Schema.transformOrFail(Schema.String, Schema.DurationFromSelf, {
  strict: true,
  decode: (input, _, ast) => {
    const duration = parseDuration(input)
    // Node's timers fire after 1 ms for longer delays: a 30-day interval would export in a loop.
    return duration === undefined || Duration.toMillis(duration) > MAX_TIMER_MILLIS
      ? ParseResult.fail(new ParseResult.Type(ast, input, `Expected ${DURATION_EXPECTATION}, got ${kindOf(input)}`))
      : ParseResult.succeed(duration)
  },
  encode: (duration) => ParseResult.succeed(formatDuration(duration))
}).annotations({
  identifier: "DurationString",
  description: DURATION_EXPECTATION,
  jsonSchema: { type: "string", pattern: DURATION_PATTERN.source }
})

const COUNT_EXPECTATION = `a positive integer up to ${MAX_TIMER_MILLIS}`

/** A positive integer; the protobuf-JSON form writes 64-bit integers as strings, so `"2048"` counts too. */
export const Count = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Int, {
  strict: true,
  decode: (input, _, ast) => {
    const value = typeof input === "string" && input.trim() !== "" ? Number(input) : input
    return typeof value === "number" && Number.isSafeInteger(value) && value > 0 && value <= MAX_TIMER_MILLIS
      ? ParseResult.succeed(value)
      : ParseResult.fail(new ParseResult.Type(ast, input, `Expected ${COUNT_EXPECTATION}, got ${kindOf(input)}`))
  },
  encode: ParseResult.succeed
}).annotations({
  identifier: "Count",
  description: COUNT_EXPECTATION,
  jsonSchema: {
    anyOf: [{ type: "integer", minimum: 1, maximum: MAX_TIMER_MILLIS }, { type: "string", pattern: "^[1-9][0-9]*$" }]
  }
})

/**
 * A case-insensitive choice among `values`: protobuf-JSON writes enums in upper case
 * (`OTLP_GRPC`), YAML files usually in lower case.
 */
const Choice = <const Values extends ReadonlyArray<string>>(identifier: string, values: Values) => {
  const Target = Schema.Literal(...values)
  const expectation = `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`
  return Schema.transformOrFail(Schema.String, Target, {
    strict: true,
    decode: (input, _, ast) => {
      const lower = input.toLowerCase()
      return values.includes(lower)
        ? ParseResult.succeed(lower as Values[number])
        : ParseResult.fail(new ParseResult.Type(ast, input, `Expected ${expectation}, got ${kindOf(input)}`))
    },
    encode: ParseResult.succeed
  }).annotations({ identifier, description: expectation, jsonSchema: { enum: values } })
}

/** Where a signal's data goes: OTLP over gRPC, one JSON object per item on stdout, or nowhere. */
export const ExporterKind = Choice("ExporterKind", ["otlp_grpc", "stdout", "none"])
export type ExporterKind = typeof ExporterKind.Type

/** The OpenTelemetry sampler names of `OTEL_TRACES_SAMPLER`. */
export const SamplerKind = Choice("SamplerKind", Sampler.KINDS)
export type SamplerKind = typeof SamplerKind.Type

/** The propagator names of `OTEL_PROPAGATORS`. */
export const PropagatorName = Choice("PropagatorName", Propagators.NAMES)
export type PropagatorName = typeof PropagatorName.Type

/**
 * The OTLP wire of a signal (`OTEL_EXPORTER_OTLP_PROTOCOL`): gRPC, or HTTP with protobuf or JSON
 * bodies. Both go through the same export pipeline, retry classification and self-metrics.
 */
export const Protocol = Choice("Protocol", ["grpc", "http/protobuf", "http/json"])
export type Protocol = typeof Protocol.Type

export const Compression = Choice("Compression", ["none", "gzip"])
export type Compression = typeof Compression.Type

/**
 * How the `stdout` exporter shows the resource: `once` (the full resource on one line at start,
 * then `service.name` on each record) or `each` (the full resource on every record).
 */
export const StdoutResource = Choice("StdoutResource", ["once", "each"])
export type StdoutResource = typeof StdoutResource.Type

const RATIO_EXPECTATION = "a number between 0 and 1"

/** A sampling ratio. Values outside [0, 1] decode; `ConfigSource` clamps them with a warning. */
export const SamplingRatio = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Number, {
  strict: true,
  decode: (input, _, ast) => {
    const value = typeof input === "string" && input.trim() !== "" ? Number(input) : input
    return typeof value === "number" && Number.isFinite(value)
      ? ParseResult.succeed(value)
      : ParseResult.fail(new ParseResult.Type(ast, input, `Expected ${RATIO_EXPECTATION}, got ${kindOf(input)}`))
  },
  encode: ParseResult.succeed
}).annotations({ identifier: "SamplingRatio", description: RATIO_EXPECTATION, jsonSchema: { type: "number" } })

/** A map of string to string, such as headers or resource attributes. */
export const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

/**
 * Headers to send: names and values gRPC and HTTP both accept (ASCII letters, digits, `-_.` in
 * names, no `-bin` or `grpc-` names; printable ASCII values). A bad one is a config error naming
 * the header; its value is never echoed.
 */
export const HeaderMap = StringMap.pipe(
  Schema.filter((headers) =>
    Object.keys(headers).flatMap((name) => {
      const problem = headerProblem(name, headers[name]!)
      return problem === undefined ? [] : [{ path: [name], message: problem }]
    })
  )
).annotations({ identifier: "HeaderMap", jsonSchema: { type: "object", additionalProperties: { type: "string" } } })

const withDefault = <S extends Schema.Schema.Any>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: value as any, exact: true }) as Schema.optionalWith<
    S,
    { default: () => Schema.Schema.Type<S>; exact: true }
  >

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

/**
 * How a failed export is retried: exponential back-off with jitter from `initialBackoff` up to
 * `maxBackoff`, for at most `maxElapsedTime` per batch; a server's RetryInfo delay wins.
 * Only transient gRPC codes are retried (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED).
 */
export const RetryConfig = Schema.Struct({
  enabled: withDefault(Schema.Boolean, () => true),
  initialBackoff: withDefault(DurationString, () => Duration.seconds(5)),
  maxBackoff: withDefault(DurationString, () => Duration.seconds(30)),
  maxElapsedTime: withDefault(DurationString, () => Duration.minutes(1))
}).annotations({ identifier: "RetryConfig" })
export type RetryConfig = typeof RetryConfig.Type

/**
 * The OTLP exporter specification's defaults, used when `endpoint` is absent: a plaintext
 * collector on the same host, on the port of the signal's `protocol`.
 */
export { DEFAULT_ENDPOINTS } from "@lingo-obs/otlp/Endpoint"

/**
 * An endpoint without user-info: a password in `http://user:pw@host` would be printed wherever the
 * endpoint is (start-up line, export warnings), and OTLP sends credentials as headers anyway.
 */
export const Endpoint = Schema.NonEmptyTrimmedString.pipe(
  Schema.filter((endpoint) =>
    /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i.test(endpoint)
      ? "Expected an endpoint without a user name or password (send credentials as headers)"
      : undefined
  )
).annotations({ identifier: "Endpoint", jsonSchema: { type: "string", minLength: 1, pattern: "^[^@]*$" } })

/** The fields every exporting signal shares. */
const exporterFields = {
  /** `false` switches the signal off entirely: nothing is recorded or exported. */
  enabled: withDefault(Schema.Boolean, () => true),
  exporter: withDefault(ExporterKind, () => "otlp_grpc" as const),
  /** The OTLP wire for `otlp_grpc` (the OTLP exporter): `grpc`, `http/protobuf` or `http/json`. */
  protocol: withDefault(Protocol, () => "grpc" as const),
  /**
   * Where OTLP goes: a URL (`http://` plaintext, `https://` TLS) or a bare `host:port` (TLS unless
   * `insecure`). For HTTP a URL with a path is used as-is, one without gets `/v1/traces` etc.
   * Absent: `http://localhost:4317` (gRPC) or `http://localhost:4318` (HTTP).
   */
  endpoint: Schema.optionalWith(Endpoint, { exact: true }),
  /** Plaintext instead of TLS for a bare `host:port` endpoint (a URL's scheme decides for itself). Never in production. */
  insecure: withDefault(Schema.Boolean, () => false),
  /** Sent as gRPC metadata on every export (API keys, tenant ids). Values are redacted in logs. */
  headers: withDefault(HeaderMap, () => ({})),
  compression: withDefault(Compression, () => "none" as const),
  /** PEM file with the CA certificate(s) that sign the collector's TLS certificate. */
  certificate: Schema.optionalWith(Schema.NonEmptyTrimmedString, { exact: true }),
  /** PEM files of the client's key and certificate, for mutual TLS. */
  clientKey: Schema.optionalWith(Schema.NonEmptyTrimmedString, { exact: true }),
  clientCertificate: Schema.optionalWith(Schema.NonEmptyTrimmedString, { exact: true }),
  exportTimeout: withDefault(DurationString, () => Duration.seconds(10)),
  /**
   * The largest export request sent, in bytes (a collector's default receive limit is 4 MiB):
   * larger batches are split, a single record above it is dropped alone and logged.
   */
  maxMessageSize: withDefault(Count, () => 4 * 1024 * 1024),
  retry: withDefault(RetryConfig, () => decodeDefaults(RetryConfig)),
  /**
   * How long startup waits for the endpoint to accept a connection (and the TLS handshake).
   * With `required: true` a failed probe stops startup; otherwise it logs one warning.
   */
  startupProbeTimeout: withDefault(DurationString, () => Duration.seconds(3)),
  /** `true`: a pipeline that cannot start stops the program. `false`: one warning, then a no-op. */
  required: withDefault(Schema.Boolean, () => false),
  /** With `exporter: stdout`: the full resource once at start, or on each record. */
  stdoutResource: withDefault(StdoutResource, () => "once" as const)
}

/** The settings every exporting signal has. */
export type ExporterConfig = Pick<Schema.Struct.Type<typeof exporterFields>, keyof typeof exporterFields>

export const TracingConfig = Schema.Struct({
  ...exporterFields,
  sampler: withDefault(SamplerKind, () => "parentbased_traceidratio" as const),
  samplingRatio: withDefault(SamplingRatio, () => 1),
  propagators: withDefault(Schema.Array(PropagatorName), () => ["tracecontext", "baggage"] as const),
  batchTimeout: withDefault(DurationString, () => Duration.seconds(5)),
  /**
   * Spans held at most: waiting for a batch, encoded and waiting (or retrying), and in flight.
   * Above SPEC's 2048 so that a burst of 100k spans (one a synchronous loop makes while no export
   * can run) or a short outage loses nothing; held batches are encoded (about 80 bytes for a span
   * without attributes), so the default bounds an outage's queue to roughly 10-30 MB.
   */
  maxQueueSize: withDefault(Count, () => 131_072),
  maxExportBatchSize: withDefault(Count, () => 512),
  /** Exports in flight at once while the collector is healthy (one at a time while it fails). */
  maxConcurrentExports: withDefault(Count, () => 4)
}).annotations({ identifier: "TracingConfig" })
export type TracingConfig = typeof TracingConfig.Type

export const MetricsConfig = Schema.Struct({
  ...exporterFields,
  interval: withDefault(DurationString, () => Duration.seconds(60)),
  disableRuntimeStats: withDefault(Schema.Boolean, () => false),
  grpcEnabled: withDefault(Schema.Boolean, () => true),
  grpcIncludeHealth: withDefault(Schema.Boolean, () => false),
  /**
   * Also record the RPC metrics under their names of semantic conventions 1.37 and earlier
   * (`rpc.server.duration`, `rpc.client.duration`, in ms, with `rpc.system`/`rpc.service`/
   * `rpc.grpc.status_code`) beside the current `rpc.{server,client}.call.duration` (in s), for
   * dashboards during a migration.
   */
  legacyRpcMetrics: withDefault(Schema.Boolean, () => false)
}).annotations({ identifier: "MetricsConfig" })
export type MetricsConfig = typeof MetricsConfig.Type

/**
 * How the program's log lines are written on stdout. `effect` leaves the program's own Effect
 * logger alone; `json` (one object per line), `logfmt` and `pretty` (for a terminal) replace
 * Effect's default logger with one that adds `trace_id`, `span_id` and `trace_flags` inside a span.
 */
export const LogFormat = Choice("LogFormat", ["effect", "json", "logfmt", "pretty"])
export type LogFormat = typeof LogFormat.Type

/** A minimum log level, by Effect's level names (`warning`, not `warn`; `none` logs nothing). */
export const LogLevelName = Choice("LogLevelName", ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"])
export type LogLevelName = typeof LogLevelName.Type

/**
 * The logs signal: Effect log records exported over OTLP (off unless `enabled`), and how the
 * program's log lines are written on stdout (`format`, `level`), which applies whatever `enabled` says.
 */
export const LogsConfig = Schema.Struct({
  ...exporterFields,
  /** Export log records (OTLP/gRPC or stdout). Off by default: configs written before logs behave as before. */
  enabled: withDefault(Schema.Boolean, () => false),
  batchTimeout: withDefault(DurationString, () => Duration.seconds(1)),
  /**
   * Log records held at most while waiting, retrying or in flight. Held batches are encoded
   * (a few hundred bytes a record), so the default bounds the queue to a few megabytes.
   */
  maxQueueSize: withDefault(Count, () => 8_192),
  maxExportBatchSize: withDefault(Count, () => 512),
  maxConcurrentExports: withDefault(Count, () => 4),
  format: withDefault(LogFormat, () => "effect" as const),
  /** The program's minimum log level, for stdout and export alike; absent: Effect's default (info). */
  level: Schema.optionalWith(LogLevelName, { exact: true })
}).annotations({ identifier: "LogsConfig" })
export type LogsConfig = typeof LogsConfig.Type

/**
 * Span limits, the OpenTelemetry specification's (`OTEL_SPAN_*_LIMIT`, `OTEL_ATTRIBUTE_*_LIMIT`,
 * `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`): what a span keeps, the rest
 * counted in its `dropped_*_count` fields. Counts default to the specification's 128; string
 * values are cut at 8,192 characters (the specification sets no default; the toolkit does, so that
 * one runaway value cannot make an export request too large to deliver).
 */
export const SpanLimitsConfig = Schema.Struct({
  attributeCountLimit: withDefault(Count, () => 128),
  attributeValueLengthLimit: withDefault(Count, () => 8_192),
  eventCountLimit: withDefault(Count, () => 128),
  linkCountLimit: withDefault(Count, () => 128),
  eventAttributeCountLimit: withDefault(Count, () => 128),
  linkAttributeCountLimit: withDefault(Count, () => 128)
}).annotations({ identifier: "SpanLimitsConfig" })
export type SpanLimitsConfig = typeof SpanLimitsConfig.Type

/** Who the telemetry is about. The entry (`Observability.layer({ service })`) overrides these. */
export const ServiceConfig = Schema.Struct({
  name: Schema.optionalWith(Schema.NonEmptyTrimmedString, { exact: true }),
  version: Schema.optionalWith(Schema.NonEmptyTrimmedString, { exact: true }),
  environment: Schema.optionalWith(Schema.NonEmptyTrimmedString, { exact: true })
}).annotations({ identifier: "ServiceConfig" })
export type ServiceConfig = typeof ServiceConfig.Type

export const ObservabilityConfig = Schema.Struct({
  service: withDefault(ServiceConfig, () => ({})),
  tracing: withDefault(TracingConfig, () => decodeDefaults(TracingConfig)),
  metrics: withDefault(MetricsConfig, () => decodeDefaults(MetricsConfig)),
  logs: withDefault(LogsConfig, () => decodeDefaults(LogsConfig)),
  /** Resource attributes shared by every signal (`service.group`, `region`, ...). */
  globalAttributes: withDefault(StringMap, () => ({})),
  /** How long scope close may take to flush and shut down all signals. */
  shutdownTimeout: withDefault(DurationString, () => Duration.seconds(5)),
  /** Span limits (attributes, events, links); see `SpanLimitsConfig`. */
  limits: withDefault(SpanLimitsConfig, () => decodeDefaults(SpanLimitsConfig))
}).annotations({ identifier: "ObservabilityConfig" })

/** The decoded configuration, every default filled in. */
export type ObservabilityConfig = typeof ObservabilityConfig.Type
/** What a config file or object may contain: every field optional. */
export type ObservabilityConfigInput = typeof ObservabilityConfig.Encoded

function decodeDefaults<A, I>(schema: Schema.Schema<A, I>): A {
  return Either.getOrThrow(Schema.decodeUnknownEither(schema)({}))
}

/** The configuration with nothing set: every default. */
export const defaults: ObservabilityConfig = decodeDefaults(ObservabilityConfig)

/** The config sections whose fields are exporter settings, by signal name. */
export type Signal = "traces" | "metrics" | "logs"
