import type { Pipeline } from "./Pipeline.js"
import type { Switch } from "./Switch.js"
import { type ExportResult, ExportResultCode } from "@opentelemetry/core"
import { AggregationTemporality, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics"

/**
 * Hands each collection to the engine's export pipeline and answers the reader at once: retries
 * happen in the pipeline, so a slow or dead collector never makes the reader time out and report
 * the same failure a second time. Both Effect lines' metrics layers use it.
 */
export class PipelineMetricExporter implements PushMetricExporter {
  /** Set when the layer starts closing: the reader's final flush and the shutdown share one deadline. */
  private deadline: number | undefined

  constructor(
    private readonly pipeline: Pipeline<ResourceMetrics, unknown>,
    private readonly shutdownTimeoutMillis: number,
    private readonly exporting: Switch
  ) {}

  /** Bounds everything the reader's shutdown does next (final collection, flush, shutdown) by the timeout. */
  beginShutdown(): void {
    this.deadline = Date.now() + this.shutdownTimeoutMillis
    // The final collection's export retries within the same deadline, never at full back-off.
    this.pipeline.beginShutdown(this.shutdownTimeoutMillis)
  }

  private remaining(): number {
    return this.deadline === undefined ? this.shutdownTimeoutMillis : Math.max(0, this.deadline - Date.now())
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    // A full queue is counted and logged by the pipeline; failing here would log it twice.
    if (this.exporting.on) this.pipeline.offer(metrics)
    done({ code: ExportResultCode.SUCCESS })
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE
  }

  forceFlush(): Promise<void> {
    if (this.deadline === undefined) return this.pipeline.flush()
    // Closing: waiting past the deadline here would leave nothing for the shutdown.
    let timer: NodeJS.Timeout | undefined
    return Promise.race([
      this.pipeline.flush(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.remaining()).unref()))
    ]).finally(() => clearTimeout(timer))
  }

  shutdown(): Promise<void> {
    return this.pipeline.shutdown(this.remaining())
  }
}

/** The number of data points in a collection, for the self-metrics. */
export const countPoints = (metrics: ResourceMetrics): number =>
  metrics.scopeMetrics.reduce(
    (sum, scope) => sum + scope.metrics.reduce((inner, metric) => inner + metric.dataPoints.length, 0),
    0
  )
