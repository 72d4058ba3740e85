import type { Attributes } from "@opentelemetry/api"

/**
 * Effect metric attributes are strings and carry the unit as a `unit` / `time_unit` attribute
 * (`Metric.timer` sets `time_unit`). The unit belongs to the metric, not to its points, and a
 * status code or port is a number in the semantic conventions: so points get the other
 * attributes, with those numbers as numbers. The same rules as the Effect 3 line's producer.
 */
const UNIT_ATTRIBUTES = new Set(["unit", "time_unit"])
const INTEGER_ATTRIBUTES = new Set(["http.response.status_code", "rpc.grpc.status_code", "server.port"])

/** The attributes of a metric's points, from its Effect attributes. */
export const pointAttributes = (effectAttributes: Readonly<Record<string, string>> | undefined): Attributes => {
  const attributes: Attributes = {}
  for (const [key, value] of Object.entries(effectAttributes ?? {})) {
    if (UNIT_ATTRIBUTES.has(key)) continue
    attributes[key] = INTEGER_ATTRIBUTES.has(key) && /^\d+$/.test(value) ? Number(value) : value
  }
  return attributes
}

/** The metric's unit: its `unit` attribute, else its `time_unit` attribute, else `1` (dimensionless). */
export const unitOf = (effectAttributes: Readonly<Record<string, string>> | undefined): string =>
  effectAttributes?.["unit"] ?? effectAttributes?.["time_unit"] ?? "1"
