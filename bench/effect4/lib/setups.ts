/**
 * The Effect 4 set-ups the Effect 4 scenarios compare, loaded on demand so that each variant's
 * process imports only its own:
 *
 * - `lingo-obs`: `Observability.layer` exporting traces over OTLP/gRPC (its default protocol);
 * - `lingo-obs-http`: the same over OTLP/HTTP with protobuf, the native exporter's protocol;
 * - `otlp`: Effect 4's own `Otlp.layerProtobuf` from `effect/observability` (OTLP/HTTP, protobuf,
 *   through `FetchHttpClient`), at its defaults (5 s interval, 1,000 per batch, 3 retries);
 * - `nodesdk`: `@effect/opentelemetry` 4's `NodeSdk.layer` with a `BatchSpanProcessor` and the stock
 *   OTLP/gRPC exporter (the peer of the Effect 3 bench);
 * - `none`: no tracer layer (Effect's own tracer: the floor).
 */
import * as Layer from "effect/Layer"

export type Variant = "lingo-obs" | "lingo-obs-http" | "otlp" | "nodesdk" | "none"

/** The service name every set-up reports. */
export const SERVICE = "lingo-obs-bench"

/** Any set-up's layer: the programs measured here need none of its services, only its tracer. */
export type AnyLayer = Layer.Layer<never, unknown>

/** Where each set-up sends: the receiver's OTLP/gRPC `host:port` and its OTLP/HTTP base URL. */
export interface Endpoints {
  readonly grpc: string
  readonly http: string
}

/** The SDK batch processor's settings (`sdk-default`: 2,048 queued, 512 per batch, 5 s delay). */
export type Batch = "sdk-default" | {
  readonly maxQueueSize: number
  readonly maxExportBatchSize: number
  readonly scheduledDelayMillis: number
  readonly exportTimeoutMillis: number
}

export interface SetupOptions {
  readonly batch?: Batch | undefined
  /** lingo-obs: export metrics too (the HTTP middleware's request metrics), to the same receiver. */
  readonly metrics?: boolean | undefined
  /** lingo-obs: `shutdownTimeout` as the config's string (e.g. "5s"). */
  readonly shutdownTimeout?: string | undefined
}

export const layerOf = async (variant: Variant, endpoints: Endpoints, options: SetupOptions = {}): Promise<AnyLayer> => {
  switch (variant) {
    case "lingo-obs":
    case "lingo-obs-http": {
      const { Observability } = await import("lingo-obs")
      const target = variant === "lingo-obs"
        ? { endpoint: endpoints.grpc, insecure: true }
        : { protocol: "http/protobuf" as const, endpoint: endpoints.http }
      return Observability.layer({
        service: { name: SERVICE },
        config: {
          tracing: { ...target, samplingRatio: 1 },
          metrics: options.metrics === true ? target : { enabled: false },
          ...(options.shutdownTimeout === undefined ? {} : { shutdownTimeout: options.shutdownTimeout })
        }
      }) as AnyLayer
    }
    case "otlp": {
      const { Otlp } = await import("effect/observability")
      const { FetchHttpClient } = await import("effect/http")
      return Otlp.layerProtobuf({ baseUrl: endpoints.http, resource: { serviceName: SERVICE } }).pipe(
        Layer.provide(FetchHttpClient.layer)
      ) as AnyLayer
    }
    case "nodesdk": {
      const NodeSdk = await import("@effect/opentelemetry/NodeSdk")
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-grpc")
      const { BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base")
      const batch = options.batch ?? "sdk-default"
      return NodeSdk.layer(() => ({
        resource: { serviceName: SERVICE },
        spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://${endpoints.grpc}` }), batch === "sdk-default" ? {} : { ...batch }),
        shutdownTimeout: 5_000
      })) as AnyLayer
    }
    case "none":
      return Layer.empty
  }
}
