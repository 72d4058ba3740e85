/**
 * The RPC metrics `GrpcServer` and `GrpcClient` record, with the names, units and bucket
 * boundaries of the OpenTelemetry semantic conventions:
 *
 * - `rpc.server.call.duration`, `rpc.client.call.duration`: histograms in seconds, with
 *   `rpc.system.name`, `rpc.method` (`package.Service/Method`), `rpc.status_code` (`OK`,
 *   `NOT_FOUND`, …), `server.address`, `server.port` and `error.type` on errors;
 * - with `metrics.legacyRpcMetrics: true`, also the names of semantic conventions 1.37 and
 *   earlier: `rpc.server.duration`, `rpc.client.duration` in milliseconds.
 *
 * They are Effect `Metric`s, exported by the Metrics layer like any other; the unit travels as a
 * `unit` attribute, which the toolkit's metric producer turns into the metric's unit.
 *
 * @example
 * ```ts
 * import { RpcMetrics } from "lingo-obs/grpc"
 *
 * const calls = yield* Metric.value(RpcMetrics.rpcServerCallDuration)
 * ```
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Instrumentation from "../Instrumentation.js"

// TODO(e3grpc RpcSemConv): names, boundaries and attribute sets from the engine.
const SECONDS_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
const MILLIS_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]

const histogram = (name: string, description: string, boundaries: ReadonlyArray<number>, unit: string) =>
  Metric.histogram(name, { description, boundaries, attributes: { unit } })

/** Duration of inbound RPCs, in seconds. */
export const rpcServerCallDuration = histogram(
  "rpc.server.call.duration",
  "Measures the duration of an incoming Remote Procedure Call (RPC).",
  SECONDS_BOUNDARIES,
  "s"
)
/** Duration of outbound RPCs, in seconds. */
export const rpcClientCallDuration = histogram(
  "rpc.client.call.duration",
  "Measures the duration of an outgoing Remote Procedure Call (RPC).",
  SECONDS_BOUNDARIES,
  "s"
)
/** Duration of inbound RPCs in milliseconds, the pre-1.38 name (only with `metrics.legacyRpcMetrics`). */
export const rpcServerDuration = histogram("rpc.server.duration", "Measures the duration of inbound RPC.", MILLIS_BOUNDARIES, "ms")
/** Duration of outbound RPCs in milliseconds, the pre-1.38 name (only with `metrics.legacyRpcMetrics`). */
export const rpcClientDuration = histogram("rpc.client.duration", "Measures the duration of outbound RPC.", MILLIS_BOUNDARIES, "ms")

/** One RPC as the metrics describe it. */
export interface RpcCall {
  /** `package.Service`. */
  readonly service: string
  /** `Method`. */
  readonly method: string
  /** The gRPC status code (`0`). */
  readonly code: number
  /** Its name (`OK`), the value of `rpc.status_code`. */
  readonly status: string
  readonly serverAddress?: string | undefined
  readonly serverPort?: number | undefined
  /** `error.type` when the call counts as failed on this side. */
  readonly errorType?: string | undefined
}

const defined = (attributes: Record<string, string | number | undefined>): Record<string, string> => {
  const result: Record<string, string> = {}
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) result[key] = String(value)
  }
  return result
}

const callAttributes = (call: RpcCall) =>
  defined({
    "rpc.system.name": "grpc",
    "rpc.method": `${call.service}/${call.method}`,
    "rpc.status_code": call.status,
    "server.address": call.serverAddress,
    "server.port": call.serverPort,
    "error.type": call.errorType
  })

const legacyAttributes = (call: RpcCall, withServer: boolean) =>
  defined({
    "rpc.system": "grpc",
    "rpc.service": call.service,
    "rpc.method": call.method,
    "rpc.grpc.status_code": call.code,
    ...(withServer ? { "server.address": call.serverAddress, "server.port": call.serverPort } : {})
  })

/**
 * Records one RPC of `seconds` on the server or client side, unless request metrics or gRPC
 * metrics are off (`Instrumentation.Settings`).
 *
 * @example
 * ```ts
 * yield* RpcMetrics.record("server", { service: "users.v1.Users", method: "Get", code: 0, status: "OK" }, 0.012)
 * ```
 */
export const record = (side: "server" | "client", call: RpcCall, seconds: number): Effect.Effect<void> =>
  Effect.flatMap(Instrumentation.Settings, (settings) => {
    if (!settings.requestMetrics || !settings.grpcMetrics) return Effect.void
    const current = Metric.update(
      Metric.withAttributes(side === "server" ? rpcServerCallDuration : rpcClientCallDuration, callAttributes(call)),
      seconds
    )
    if (settings.legacyRpcMetrics !== true) return current
    return Effect.andThen(
      current,
      Metric.update(
        Metric.withAttributes(side === "server" ? rpcServerDuration : rpcClientDuration, legacyAttributes(call, side === "client")),
        seconds * 1000
      )
    )
  })
