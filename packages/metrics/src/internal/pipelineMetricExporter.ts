import type { ExportPipeline } from "@lingo-obs/core"
import { type ExportResult, ExportResultCode } from "@opentelemetry/core"
import { AggregationTemporality, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics"

/**
 * Hands each collection to the export pipeline and answers the reader at once: retries happen
 * in the pipeline, so a slow or dead collector never makes the reader time out and report the
 * same failure a second time.
 */
export class PipelineMetricExporter implements PushMetricExporter {
  constructor(
    private readonly pipeline: ExportPipeline.ExportPipeline<ResourceMetrics, unknown>,
    private readonly shutdownTimeoutMillis: number
  ) {}

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    // A full queue is counted and logged by the pipeline; failing here would log it twice.
    this.pipeline.offer(metrics)
    done({ code: ExportResultCode.SUCCESS })
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE
  }

  forceFlush(): Promise<void> {
    return this.pipeline.flush()
  }

  shutdown(): Promise<void> {
    return this.pipeline.shutdown(this.shutdownTimeoutMillis)
  }
}

/** The number of data points in a collection, for the self-metrics. */
export const countPoints = (metrics: ResourceMetrics): number =>
  metrics.scopeMetrics.reduce(
    (sum, scope) => sum + scope.metrics.reduce((inner, metric) => inner + metric.dataPoints.length, 0),
    0
  )
