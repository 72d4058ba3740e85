import type { ResourceMetrics } from "@opentelemetry/sdk-metrics"
import { flatten } from "./metricData.js"

/** The `stdout` exporter's encoding: one JSON object per metric and line. */
export const encodeJsonLines = (collections: ReadonlyArray<ResourceMetrics>): string =>
  collections.flatMap((metrics) => {
    const service = metrics.resource.attributes["service.name"]
    return flatten(metrics).map((metric) => JSON.stringify({ ...metric, resource: { "service.name": service } }) + "\n")
  }).join("")
