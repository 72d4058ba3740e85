import type { Attributes } from "@opentelemetry/api"
import type * as MetricLabel from "effect/MetricLabel"

/**
 * Effect metric tags are strings and carry the unit as a `unit` / `time_unit` tag. The unit
 * belongs to the metric, not to its points, and a status code or port is a number in the
 * semantic conventions: so points get the other tags, with those numbers as numbers.
 */
const UNIT_TAGS = new Set(["unit", "time_unit"])
const INTEGER_ATTRIBUTES = new Set(["http.response.status_code", "rpc.grpc.status_code", "server.port"])

/** The attributes of a metric's points, from its tags. */
export const pointAttributes = (tags: ReadonlyArray<MetricLabel.MetricLabel>): Attributes => {
  const attributes: Attributes = {}
  for (const { key, value } of tags) {
    if (UNIT_TAGS.has(key)) continue
    attributes[key] = INTEGER_ATTRIBUTES.has(key) && /^\d+$/.test(value) ? Number(value) : value
  }
  return attributes
}

/** The metric's unit: its `unit` tag, else its `time_unit` tag, else `1` (dimensionless). */
export const unitOf = (tags: ReadonlyArray<MetricLabel.MetricLabel>): string => {
  // As with any tag, the last of a repeated key wins.
  const byKey = new Map(tags.map((tag) => [tag.key, tag.value]))
  return byKey.get("unit") ?? byKey.get("time_unit") ?? "1"
}
