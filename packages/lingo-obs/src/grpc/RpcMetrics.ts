/**
 * The RPC metrics `GrpcServer` and `GrpcClient` record, as Effect `Metric`s with the names,
 * units, bucket boundaries and attributes of the semantic conventions (the engine's
 * `RpcSemConv`, shared with the Effect 3 line and the grpc-js interceptors):
 *
 * - `rpc.server.call.duration`, `rpc.client.call.duration`: histograms in seconds, with
 *   `rpc.system.name`, `rpc.method` (`package.Service/Method`), `rpc.status_code` (`OK`,
 *   `NOT_FOUND`, …), `server.address`, `server.port` and `error.type` on errors;
 * - with `metrics.legacyRpcMetrics: true`, also the names of semantic conventions 1.37 and
 *   earlier: `rpc.server.duration`, `rpc.client.duration` in milliseconds.
 *
 * Exported by the Metrics layer like any other Effect metric; the unit travels as a `unit`
 * attribute, which the toolkit's metric producer turns into the metric's unit.
 *
 * @example
 * ```ts
 * import { RpcMetrics } from "lingo-obs/grpc"
 *
 * const calls = yield* Metric.value(RpcMetrics.rpcServerCallDuration)
 * ```
 */
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Instrumentation from "../Instrumentation.js"

const histogram = (definition: RpcSemConv.HistogramDefinition) =>
  Metric.histogram(definition.name, {
    description: definition.description,
    boundaries: definition.boundaries,
    attributes: { unit: definition.unit }
  })

/** Duration of inbound RPCs, in seconds. */
export const rpcServerCallDuration = histogram(RpcSemConv.callDuration.server)
/** Duration of outbound RPCs, in seconds. */
export const rpcClientCallDuration = histogram(RpcSemConv.callDuration.client)
/** Duration of inbound RPCs in milliseconds, the pre-1.38 name (only with `metrics.legacyRpcMetrics`). */
export const rpcServerDuration = histogram(RpcSemConv.legacyDuration.server)
/** Duration of outbound RPCs in milliseconds, the pre-1.38 name (only with `metrics.legacyRpcMetrics`). */
export const rpcClientDuration = histogram(RpcSemConv.legacyDuration.client)

/** One RPC as the metrics describe it. */
export type RpcCall = RpcSemConv.RpcCall

/** Effect metric attributes are strings; undefined values are left out. */
const asAttributes = (attributes: RpcSemConv.MetricAttributes): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(RpcSemConv.defined(attributes))) out[key] = String(value)
  return out
}

/**
 * Records one RPC of `seconds` on the server or client side, unless request metrics or gRPC
 * metrics are off (`Instrumentation.Settings`).
 *
 * @example
 * ```ts
 * yield* RpcMetrics.record("server", { service: "users.v1.Users", method: "Get", code: 0, status: "OK" }, 0.012)
 * ```
 */
export const record = (side: RpcSemConv.Side, call: RpcCall, seconds: number): Effect.Effect<void> =>
  Effect.flatMap(Instrumentation.Settings, (settings) => {
    if (!settings.requestMetrics || !settings.grpcMetrics) return Effect.void
    const current = Metric.update(
      Metric.withAttributes(side === "server" ? rpcServerCallDuration : rpcClientCallDuration, asAttributes(RpcSemConv.metricAttributes(call))),
      seconds
    )
    if (settings.legacyRpcMetrics !== true) return current
    const legacy = Metric.withAttributes(
      side === "server" ? rpcServerDuration : rpcClientDuration,
      asAttributes(RpcSemConv.legacyMetricAttributes(call, side))
    )
    return Effect.andThen(current, Metric.update(legacy, seconds * 1000))
  })
