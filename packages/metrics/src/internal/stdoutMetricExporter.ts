import { type ExportResult, ExportResultCode } from "@opentelemetry/core"
import { AggregationTemporality, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics"
import { flatten } from "./metricData.js"

/** Prints one JSON object per metric and line on stdout: the `stdout` exporter, for local debugging. */
export class StdoutMetricExporter implements PushMetricExporter {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line)) {}

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    try {
      const service = metrics.resource.attributes["service.name"]
      const lines = flatten(metrics).map((metric) =>
        JSON.stringify({ ...metric, resource: { "service.name": service } }) + "\n"
      )
      if (lines.length > 0) this.write(lines.join(""))
      done({ code: ExportResultCode.SUCCESS })
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) })
    }
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE
  }

  forceFlush(): Promise<void> {
    return Promise.resolve()
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
