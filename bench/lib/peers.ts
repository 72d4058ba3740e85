/**
 * The peers' set-ups, built the same way in every child process: `@effect/opentelemetry`'s
 * `NodeSdk.layer` with the stock OTLP/gRPC exporter, and the plain OpenTelemetry SDK. This module
 * never imports the toolkit, so a peer's process loads none of its code.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BatchSpanProcessor, type BufferConfig } from "@opentelemetry/sdk-trace-base"
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node"
import { type AnyLayer, SERVICE } from "./spans.js"

/**
 * The batch processor's settings: `toolkit` means the toolkit's own defaults (queue size, batch
 * size, batch timeout, export timeout), read by the orchestrator from `Config.defaults` and passed
 * in as numbers; `sdk-default` means the SDK's own (2,048 queued, 512 per batch, 5 s delay).
 */
export type Batch = "sdk-default" | {
  readonly maxQueueSize: number
  readonly maxExportBatchSize: number
  readonly scheduledDelayMillis: number
  readonly exportTimeoutMillis: number
}

const batchConfig = (batch: Batch): BufferConfig => (batch === "sdk-default" ? {} : { ...batch })

/** `NodeSdk.layer` with a `BatchSpanProcessor` and the stock OTLP/gRPC exporter. */
export const nodeSdkLayer = (endpoint: string, batch: Batch, shutdownTimeoutMillis = 5_000): AnyLayer =>
  NodeSdk.layer(() => ({
    resource: { serviceName: SERVICE },
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://${endpoint}` }), batchConfig(batch)),
    shutdownTimeout: shutdownTimeoutMillis
  }))

/** The plain SDK, registered globally (AsyncLocalStorage context manager), as a Node service would. */
export const sdkProvider = (endpoint: string, batch: Batch): NodeTracerProvider => {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": SERVICE }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://${endpoint}` }), batchConfig(batch))]
  })
  provider.register()
  return provider
}
