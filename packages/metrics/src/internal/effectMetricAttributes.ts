import type { MetricCollectOptions, MetricProducer } from "@opentelemetry/sdk-metrics"

/**
 * Effect metric tags are strings and carry the unit as a `unit` / `time_unit` tag, which the
 * `@effect/opentelemetry` producer also copies into every point's attributes. The unit belongs
 * to the metric, and a status code or port is a number in the semantic conventions, so the
 * points are corrected after each collection.
 */
const UNIT_TAGS = ["unit", "time_unit"]
const INTEGER_ATTRIBUTES = new Set(["http.response.status_code", "rpc.grpc.status_code", "server.port"])

export const correctAttributes = (producer: MetricProducer): MetricProducer => ({
  collect: async (options?: MetricCollectOptions) => {
    const result = await producer.collect(options)
    for (const scope of result.resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints) {
          const attributes = point.attributes as Record<string, unknown>
          for (const tag of UNIT_TAGS) delete attributes[tag]
          for (const key of INTEGER_ATTRIBUTES) {
            const value = attributes[key]
            if (typeof value === "string" && /^\d+$/.test(value)) attributes[key] = Number(value)
          }
        }
      }
    }
    return result
  }
})
