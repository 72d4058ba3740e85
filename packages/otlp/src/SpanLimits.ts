/**
 * Span limits, the OpenTelemetry specification's way: how many attributes a span keeps, how long
 * a string attribute value may be, how many events and links a span keeps and how many
 * attributes each of those keeps. What is cut is counted in the span's `dropped_*_count` fields.
 *
 * Defaults are the specification's (128 of each) and, for value lengths, the toolkit's own
 * {@link DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT} (the specification sets none): one runaway value
 * (a request body, a 5 MB string) then costs 8 KiB characters, not a rejected export.
 *
 * Plain TypeScript: the export engine's own code.
 */

export interface SpanLimits {
  /** Attributes a span keeps; later new keys are dropped (updates of kept keys still apply). */
  readonly attributeCountLimit: number
  /** Characters a string attribute value (or each string of an array value) keeps. */
  readonly attributeValueLengthLimit: number
  readonly eventCountLimit: number
  readonly linkCountLimit: number
  readonly eventAttributeCountLimit: number
  readonly linkAttributeCountLimit: number
}

/**
 * The toolkit's default for string attribute values, in UTF-16 code units (what `String#length`
 * counts): long enough for a stack trace or a SQL statement, short enough that 128 of them stay
 * far below a 4 MiB export request.
 */
export const DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT = 8_192

/** The specification's count limits (128) and the toolkit's value length limit. */
export const defaults: SpanLimits = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT,
  eventCountLimit: 128,
  linkCountLimit: 128,
  eventAttributeCountLimit: 128,
  linkAttributeCountLimit: 128
}

/** No limits at all (for resources and tests). */
export const unlimited: SpanLimits = {
  attributeCountLimit: Number.POSITIVE_INFINITY,
  attributeValueLengthLimit: Number.POSITIVE_INFINITY,
  eventCountLimit: Number.POSITIVE_INFINITY,
  linkCountLimit: Number.POSITIVE_INFINITY,
  eventAttributeCountLimit: Number.POSITIVE_INFINITY,
  linkAttributeCountLimit: Number.POSITIVE_INFINITY
}

/** A string cut to `limit` characters, as the OpenTelemetry SDK cuts it. */
export const truncate = (value: string, limit: number): string => (value.length > limit ? value.slice(0, limit) : value)

/** An attribute value with its strings (and the strings of an array) cut to `limit`. */
export const truncateValue = <A>(value: A, limit: number): A => {
  if (typeof value === "string") return truncate(value, limit) as A
  if (Array.isArray(value) && value.some((item) => typeof item === "string" && item.length > limit)) {
    return value.map((item: unknown) => (typeof item === "string" ? truncate(item, limit) : item)) as A
  }
  return value
}

/**
 * At most `limit` attributes of a plain record, values truncated to `valueLimit`, and how many
 * were left out; the record itself when nothing needs cutting.
 */
export const limitRecord = <V>(
  record: Readonly<Record<string, V>>,
  limit: number,
  valueLimit: number
): { readonly attributes: Record<string, V>; readonly dropped: number } => {
  const result: Record<string, V> = {}
  let kept = 0
  let dropped = 0
  for (const key in record) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) continue
    if (kept >= limit) {
      dropped++
      continue
    }
    result[key] = truncateValue(record[key]!, valueLimit)
    kept++
  }
  return { attributes: result, dropped }
}
