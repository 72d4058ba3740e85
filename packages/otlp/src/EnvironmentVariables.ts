/**
 * Which environment variables can set each config field, in the order `readEnvironment` tries
 * them (the first one that is set and parses wins). Tools read this table to name the variable
 * behind a value (`pnpm config:check`) and to document it (the JSON Schema's descriptions).
 *
 * `readEnvironment` stays the one reader; this table only describes it, and a test checks it
 * against the variables `readEnvironment` really looks up, so the two cannot drift apart.
 */

/** The batch processor's own export timeout variable of each signal, tried before the OTLP ones. */
const BATCH_EXPORT_TIMEOUT = {
  TRACES: "OTEL_BSP_EXPORT_TIMEOUT",
  METRICS: "OTEL_METRIC_EXPORT_TIMEOUT",
  LOGS: "OTEL_BLRP_EXPORT_TIMEOUT"
} as const

const exporterVariables = (section: string, signal: keyof typeof BATCH_EXPORT_TIMEOUT) => {
  const names = (suffix: string) => [`OTEL_EXPORTER_OTLP_${signal}_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]
  return {
    [`${section}.enabled`]: ["OTEL_SDK_DISABLED"],
    [`${section}.exporter`]: [`OTEL_${signal}_EXPORTER`],
    [`${section}.protocol`]: names("PROTOCOL"),
    [`${section}.endpoint`]: names("ENDPOINT"),
    // An `http://` / `https://` endpoint decides `insecure`, whatever an INSECURE variable says.
    [`${section}.insecure`]: [...names("ENDPOINT"), ...names("INSECURE")],
    [`${section}.headers`]: names("HEADERS"),
    [`${section}.compression`]: names("COMPRESSION"),
    [`${section}.certificate`]: names("CERTIFICATE"),
    [`${section}.clientKey`]: names("CLIENT_KEY"),
    [`${section}.clientCertificate`]: names("CLIENT_CERTIFICATE"),
    [`${section}.exportTimeout`]: [BATCH_EXPORT_TIMEOUT[signal], ...names("TIMEOUT")]
  }
}

/** Field path (dotted; a map field covers all its keys) → variables, most specific first. */
export const VARIABLES: Readonly<Record<string, ReadonlyArray<string>>> = {
  "service.name": ["OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"],
  "service.version": ["OTEL_RESOURCE_ATTRIBUTES"],
  "service.environment": ["APP_ENV", "OTEL_RESOURCE_ATTRIBUTES"],
  ...exporterVariables("tracing", "TRACES"),
  "tracing.sampler": ["OTEL_TRACES_SAMPLER"],
  "tracing.samplingRatio": ["OTEL_TRACES_SAMPLER_ARG"],
  "tracing.propagators": ["OTEL_PROPAGATORS"],
  "tracing.batchTimeout": ["OTEL_BSP_SCHEDULE_DELAY"],
  "tracing.maxQueueSize": ["OTEL_BSP_MAX_QUEUE_SIZE"],
  "tracing.maxExportBatchSize": ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"],
  ...exporterVariables("metrics", "METRICS"),
  "metrics.interval": ["OTEL_METRIC_EXPORT_INTERVAL"],
  ...exporterVariables("logs", "LOGS"),
  // Naming a logs exporter switches the (default off) logs export on.
  "logs.enabled": ["OTEL_SDK_DISABLED", "OTEL_LOGS_EXPORTER"],
  "logs.batchTimeout": ["OTEL_BLRP_SCHEDULE_DELAY"],
  "logs.maxQueueSize": ["OTEL_BLRP_MAX_QUEUE_SIZE"],
  "logs.maxExportBatchSize": ["OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"],
  "logs.format": ["OBSERVABILITY_LOG_FORMAT"],
  "logs.level": ["OBSERVABILITY_LOG_LEVEL"],
  globalAttributes: ["OTEL_RESOURCE_ATTRIBUTES"],
  "limits.attributeCountLimit": ["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"],
  "limits.attributeValueLengthLimit": ["OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"],
  "limits.eventCountLimit": ["OTEL_SPAN_EVENT_COUNT_LIMIT"],
  "limits.linkCountLimit": ["OTEL_SPAN_LINK_COUNT_LIMIT"],
  "limits.eventAttributeCountLimit": ["OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"],
  "limits.linkAttributeCountLimit": ["OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"]
}

/** Variables whose values are milliseconds, unlike the config's `"5s"` durations. */
export const MILLISECOND_VARIABLES: ReadonlySet<string> = new Set(
  Object.values(VARIABLES).flat().filter((name) => /TIMEOUT|DELAY|INTERVAL/.test(name))
)

/**
 * The variables that can set the field at `path`, most specific first; for a key of a map
 * field (`tracing.headers.x-tenant`) those of the map. Empty when no variable sets it.
 */
export const variablesFor = (path: ReadonlyArray<string>): ReadonlyArray<string> => {
  for (let length = path.length; length > 0; length--) {
    const names = VARIABLES[path.slice(0, length).join(".")]
    if (names !== undefined) return names
  }
  return []
}
