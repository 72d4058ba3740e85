/**
 * The request metrics the middleware records, with the names, units and bucket boundaries of the
 * OpenTelemetry semantic conventions (`@opentelemetry/semantic-conventions` 1.45, stable names
 * where the conventions have them):
 *
 * - `http.server.request.duration`, `http.client.request.duration`: histograms in seconds;
 * - `http.server.active_requests`: an up-down counter of requests in flight;
 * - `rpc.server.call.duration`, `rpc.client.call.duration`: histograms in seconds, with
 *   `rpc.system.name`, `rpc.method` (`package.Service/Method`), `rpc.status_code` (`OK`,
 *   `NOT_FOUND`, …), `server.address`, `server.port` and `error.type` on errors;
 * - with `metrics.legacyRpcMetrics: true`, also the names semantic conventions 1.37 and earlier
 *   used, for dashboards during a migration: `rpc.server.duration`, `rpc.client.duration` in
 *   milliseconds with `rpc.system`, `rpc.service`, `rpc.method` (`Method`), `rpc.grpc.status_code`.
 *
 * Attributes are low-cardinality only: method, route template, status code, scheme, RPC method,
 * server address; never a raw URL, a query or an id from a path.
 *
 * They are Effect `Metric`s, exported by the Metrics layer like any other. Effect metric keys
 * have no unit field; the OpenTelemetry bridge takes the unit from a `unit` tag, so each metric
 * carries `unit` as a constant attribute too.
 *
 * @example
 * ```ts
 * import { RequestMetrics } from "@lingo-obs/http-middleware"
 *
 * // record a request handled outside the middleware (e.g. a queue consumer pretending to be HTTP)
 * yield* RequestMetrics.recordHttpServer({ "http.request.method": "POST", "http.route": "/jobs" }, 0.042)
 * ```
 */
import { Instrumentation } from "@lingo-obs/core"
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import { METRIC_HTTP_CLIENT_REQUEST_DURATION, METRIC_HTTP_SERVER_REQUEST_DURATION } from "@opentelemetry/semantic-conventions"
import { METRIC_HTTP_SERVER_ACTIVE_REQUESTS } from "@opentelemetry/semantic-conventions/incubating"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"
import type * as MetricKeyType from "effect/MetricKeyType"
import type * as MetricState from "effect/MetricState"
import * as Instruments from "./internal/instruments.js"

/** Bucket boundaries of the HTTP and RPC duration histograms, in seconds (semantic conventions). */
export const HTTP_DURATION_BOUNDARIES: ReadonlyArray<number> = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
]

/** Bucket boundaries of the legacy RPC duration histograms, in milliseconds (semantic conventions ≤ 1.37). */
export const RPC_DURATION_BOUNDARIES: ReadonlyArray<number> = RpcSemConv.LEGACY_DURATION_BOUNDARIES

type Histogram = Metric.Metric<MetricKeyType.MetricKeyType.Histogram, number, MetricState.MetricState.Histogram>
type Counter = Metric.Metric.Counter<number>

const histogram = (name: string, description: string, boundaries: ReadonlyArray<number>, unit: string) =>
  Instruments.make<Histogram>(MetricKey.histogram(name, MetricBoundaries.fromIterable(boundaries), description), unit)

const httpServerDuration = histogram(
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  "Duration of HTTP server requests.",
  HTTP_DURATION_BOUNDARIES,
  "s"
)
const httpServerActive = Instruments.make<Counter>(
  MetricKey.counter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, { description: "Number of active HTTP server requests." }),
  "{request}"
)
const httpClientDuration = histogram(
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  "Duration of HTTP client requests.",
  HTTP_DURATION_BOUNDARIES,
  "s"
)
const rpcHistogram = (definition: RpcSemConv.HistogramDefinition) =>
  histogram(definition.name, definition.description, definition.boundaries, definition.unit)
const rpcServerCall = rpcHistogram(RpcSemConv.callDuration.server)
const rpcClientCall = rpcHistogram(RpcSemConv.callDuration.client)
const rpcServerLegacy = rpcHistogram(RpcSemConv.legacyDuration.server)
const rpcClientLegacy = rpcHistogram(RpcSemConv.legacyDuration.client)

/** Duration of HTTP server requests, in seconds. */
export const httpServerRequestDuration: Histogram = httpServerDuration.metric
/** Number of HTTP server requests in flight (an up-down counter). */
export const httpServerActiveRequests: Counter = httpServerActive.metric
/** Duration of HTTP client requests, in seconds. */
export const httpClientRequestDuration: Histogram = httpClientDuration.metric
/** Duration of inbound RPCs, in seconds. */
export const rpcServerCallDuration: Histogram = rpcServerCall.metric
/** Duration of outbound RPCs, in seconds. */
export const rpcClientCallDuration: Histogram = rpcClientCall.metric
/** Duration of inbound RPCs in milliseconds, the pre-1.38 name (only with `metrics.legacyRpcMetrics`). */
export const rpcServerDuration: Histogram = rpcServerLegacy.metric
/** Duration of outbound RPCs in milliseconds, the pre-1.38 name (only with `metrics.legacyRpcMetrics`). */
export const rpcClientDuration: Histogram = rpcClientLegacy.metric

/** Attribute values as metric tags (strings); undefined values are left out. */
export type Attributes = Instruments.Attributes

/** One RPC as the metrics describe it (the engine's description, shared with the Effect 4 line). */
export type RpcCall = RpcSemConv.RpcCall

const settingsOf = (fiber: Fiber.RuntimeFiber<any, any>) => Context.get(fiber.currentContext, Instrumentation.Settings)

/** Records one HTTP server request (in the fiber's step; the caller checked the settings). */
export const unsafeRecordHttpServer = (fiber: Fiber.RuntimeFiber<any, any>, attributes: Attributes, seconds: number): void =>
  Instruments.unsafeUpdate(fiber, httpServerDuration, attributes, seconds)

/** Adds `delta` to the active HTTP server requests (the caller checked the settings). */
export const unsafeAddActiveHttpServer = (fiber: Fiber.RuntimeFiber<any, any>, attributes: Attributes, delta: number): void =>
  Instruments.unsafeUpdate(fiber, httpServerActive, attributes, delta)

/** Records one HTTP client request (the caller checked the settings). */
export const unsafeRecordHttpClient = (fiber: Fiber.RuntimeFiber<any, any>, attributes: Attributes, seconds: number): void =>
  Instruments.unsafeUpdate(fiber, httpClientDuration, attributes, seconds)

/** Records one RPC of `seconds` on the server or client side, unless request metrics or gRPC metrics are off. */
export const unsafeRecordRpc = (
  fiber: Fiber.RuntimeFiber<any, any>,
  side: "server" | "client",
  call: RpcCall,
  seconds: number
): void => {
  const settings = settingsOf(fiber)
  if (!settings.requestMetrics || !settings.grpcMetrics) return
  Instruments.unsafeUpdate(fiber, side === "server" ? rpcServerCall : rpcClientCall, RpcSemConv.metricAttributes(call), seconds)
  if (settings.legacyRpcMetrics === true) {
    Instruments.unsafeUpdate(
      fiber,
      side === "server" ? rpcServerLegacy : rpcClientLegacy,
      RpcSemConv.legacyMetricAttributes(call, side),
      seconds * 1000
    )
  }
}

const whenEnabled = (record: (fiber: Fiber.RuntimeFiber<any, any>) => void): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    if (settingsOf(fiber).requestMetrics) record(fiber)
    return Effect.void
  })

/** Records one HTTP server request of `seconds` (unless request metrics are off). */
export const recordHttpServer = (attributes: Attributes, seconds: number): Effect.Effect<void> =>
  whenEnabled((fiber) => unsafeRecordHttpServer(fiber, attributes, seconds))

/** Adds `delta` (+1 on arrival, -1 when done) to the active HTTP server requests. */
export const addActiveHttpServer = (attributes: Attributes, delta: number): Effect.Effect<void> =>
  whenEnabled((fiber) => unsafeAddActiveHttpServer(fiber, attributes, delta))

/** Records one HTTP client request of `seconds`. */
export const recordHttpClient = (attributes: Attributes, seconds: number): Effect.Effect<void> =>
  whenEnabled((fiber) => unsafeRecordHttpClient(fiber, attributes, seconds))

/** Records one inbound RPC of `seconds` (unless request metrics or gRPC metrics are off). */
export const recordRpcServer = (call: RpcCall, seconds: number): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    unsafeRecordRpc(fiber, "server", call, seconds)
    return Effect.void
  })

/** Records one outbound RPC of `seconds` (unless request metrics or gRPC metrics are off). */
export const recordRpcClient = (call: RpcCall, seconds: number): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    unsafeRecordRpc(fiber, "client", call, seconds)
    return Effect.void
  })
