import type { Pipeline } from "./Pipeline.js"
import type { LogRecordProcessor, SdkLogRecord } from "@opentelemetry/sdk-logs"

/**
 * Hands every emitted record to the export pipeline. The SDK makes a record read-only once
 * `onEmit` returns, so the pipeline may hold it until its batch is encoded.
 */
export class PipelineLogRecordProcessor implements LogRecordProcessor {
  constructor(
    private readonly pipeline: Pipeline<SdkLogRecord, unknown>,
    private readonly shutdownTimeoutMillis: number
  ) {}

  onEmit(record: SdkLogRecord): void {
    this.pipeline.offer(record)
  }

  forceFlush(): Promise<void> {
    return this.pipeline.flush()
  }

  shutdown(): Promise<void> {
    return this.pipeline.shutdown(this.shutdownTimeoutMillis)
  }
}
