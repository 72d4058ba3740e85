import { type Config, OtlpGrpc, type Required } from "@lingo-obs/core"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc"
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import { StdoutSpanExporter } from "./stdoutSpanExporter.js"

/** The span exporter the config names. */
export const makeExporter = (config: Config.TracingConfig): Effect.Effect<SpanExporter, Required.PipelineStartError> =>
  config.exporter === "stdout"
    ? Effect.sync(() => new StdoutSpanExporter())
    // The exporter types `compression` as its own string enum with the same two values.
    : OtlpGrpc.exporter("traces", config, (options) =>
      new OTLPTraceExporter(options as ConstructorParameters<typeof OTLPTraceExporter>[0]))
