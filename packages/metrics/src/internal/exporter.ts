import { type Config, OtlpGrpc, type Required } from "@lingo-obs/core"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc"
import type { PushMetricExporter } from "@opentelemetry/sdk-metrics"
import * as Effect from "effect/Effect"
import { StdoutMetricExporter } from "./stdoutMetricExporter.js"

/** The metric exporter the config names. */
export const makeExporter = (
  config: Config.MetricsConfig
): Effect.Effect<PushMetricExporter, Required.PipelineStartError> =>
  config.exporter === "stdout"
    ? Effect.sync(() => new StdoutMetricExporter())
    // The exporter types `compression` as its own string enum with the same two values.
    : OtlpGrpc.exporter("metrics", config, (options) =>
      new OTLPMetricExporter(options as ConstructorParameters<typeof OTLPMetricExporter>[0]))
