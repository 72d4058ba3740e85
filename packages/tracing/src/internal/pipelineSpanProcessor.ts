import type { Control, ExportPipeline } from "@lingo-obs/core"
import { TraceFlags } from "@opentelemetry/api"
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base"

/** Hands every sampled span to the export pipeline as it ends, while exporting is switched on. */
export class PipelineSpanProcessor implements SpanProcessor {
  constructor(
    private readonly pipeline: ExportPipeline.ExportPipeline<ReadableSpan, unknown>,
    private readonly shutdownTimeoutMillis: number,
    private readonly exporting: Control.Switch
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.exporting.on && (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED) {
      this.pipeline.offer(span)
    }
  }

  forceFlush(): Promise<void> {
    return this.pipeline.flush()
  }

  shutdown(): Promise<void> {
    return this.pipeline.shutdown(this.shutdownTimeoutMillis)
  }
}
