import { type Config, ServiceResource } from "@lingo-obs/core"
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics"
import { flatten } from "@lingo-obs/otlp/MetricData"

/** The `stdout` exporter's encoding: one JSON object per metric and line. */
export const encodeJsonLines = (
  collections: ReadonlyArray<ResourceMetrics>,
  mode: Config.StdoutResource = "once"
): string =>
  collections.flatMap((metrics) => {
    const resource = ServiceResource.forStdout(metrics.resource.attributes, mode)
    return flatten(metrics).map((metric) => JSON.stringify({ ...metric, resource }) + "\n")
  }).join("")
