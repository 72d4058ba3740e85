/**
 * The request metrics the middleware records, with the names, units and bucket boundaries of the
 * OpenTelemetry semantic conventions:
 *
 * - `http.server.request.duration`, `http.client.request.duration`: histograms in seconds;
 * - `http.server.active_requests`: an up-down counter of requests in flight;
 * - `rpc.server.duration`, `rpc.client.duration`: histograms in milliseconds.
 *
 * Attributes are low-cardinality only: method, route template, status code, scheme, RPC service
 * and method, server address; never a raw URL, a query or an id from a path.
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
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"

/** Bucket boundaries of the HTTP duration histograms, in seconds (semantic conventions). */
export const HTTP_DURATION_BOUNDARIES: ReadonlyArray<number> = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
]

/** Bucket boundaries of the RPC duration histograms, in milliseconds (semantic conventions). */
export const RPC_DURATION_BOUNDARIES: ReadonlyArray<number> = [
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000
]

const withUnit = <T extends Metric.Metric<any, any, any>>(metric: T, unit: string): T =>
  Metric.tagged(metric, "unit", unit) as T

/** Duration of HTTP server requests, in seconds. */
export const httpServerRequestDuration = withUnit(
  Metric.histogram(
    "http.server.request.duration",
    MetricBoundaries.fromIterable(HTTP_DURATION_BOUNDARIES),
    "Duration of HTTP server requests."
  ),
  "s"
)

/** Number of HTTP server requests in flight (an up-down counter). */
export const httpServerActiveRequests = withUnit(
  Metric.counter("http.server.active_requests", { description: "Number of active HTTP server requests." }),
  "{request}"
)

/** Duration of HTTP client requests, in seconds. */
export const httpClientRequestDuration = withUnit(
  Metric.histogram(
    "http.client.request.duration",
    MetricBoundaries.fromIterable(HTTP_DURATION_BOUNDARIES),
    "Duration of HTTP client requests."
  ),
  "s"
)

/** Duration of inbound RPCs, in milliseconds. */
export const rpcServerDuration = withUnit(
  Metric.histogram(
    "rpc.server.duration",
    MetricBoundaries.fromIterable(RPC_DURATION_BOUNDARIES),
    "Measures the duration of inbound RPC."
  ),
  "ms"
)

/** Duration of outbound RPCs, in milliseconds. */
export const rpcClientDuration = withUnit(
  Metric.histogram(
    "rpc.client.duration",
    MetricBoundaries.fromIterable(RPC_DURATION_BOUNDARIES),
    "Measures the duration of outbound RPC."
  ),
  "ms"
)

/** Attribute values as metric tags (strings); undefined values are left out. */
export type Attributes = Readonly<Record<string, string | number | undefined>>

const labels = (attributes: Attributes): ReadonlyArray<MetricLabel.MetricLabel> =>
  Object.entries(attributes).flatMap(([key, value]) => value === undefined ? [] : [MetricLabel.make(key, String(value))])

/**
 * The metric for one attribute set, made once: tagging a metric builds and hashes a new metric
 * key, which on every request was a measurable part of the middleware's cost. The attributes are
 * low-cardinality by design (route templates, methods, status codes), so the cache stays small.
 */
const MAX_CACHED_ATTRIBUTE_SETS = 1_000

const tagged = <T, In, Out>(metric: Metric.Metric<T, In, Out>) => {
  const cache = new Map<string, Metric.Metric<T, In, Out>>()
  return (attributes: Attributes): Metric.Metric<T, In, Out> => {
    const key = JSON.stringify(attributes)
    let found = cache.get(key)
    if (found === undefined) {
      found = Metric.taggedWithLabels(metric, labels(attributes))
      // A bound, should a client call many hosts: past it, metrics are tagged per call as before.
      if (cache.size < MAX_CACHED_ATTRIBUTE_SETS) cache.set(key, found)
    }
    return found
  }
}
const httpServerDuration = tagged(httpServerRequestDuration)
const httpServerActive = tagged(httpServerActiveRequests)
const httpClientDuration = tagged(httpClientRequestDuration)
const rpcServer = tagged(rpcServerDuration)
const rpcClient = tagged(rpcClientDuration)

const whenEnabled = (grpc: boolean, record: Effect.Effect<void>): Effect.Effect<void> =>
  Effect.flatMap(
    Instrumentation.Settings,
    (settings) => settings.requestMetrics && (!grpc || settings.grpcMetrics) ? record : Effect.void
  )

/** Records one HTTP server request of `seconds` (unless request metrics are off). */
export const recordHttpServer = (attributes: Attributes, seconds: number): Effect.Effect<void> =>
  whenEnabled(false, Metric.update(httpServerDuration(attributes), seconds))

/** Adds `delta` (+1 on arrival, -1 when done) to the active HTTP server requests. */
export const addActiveHttpServer = (attributes: Attributes, delta: number): Effect.Effect<void> =>
  whenEnabled(false, Metric.incrementBy(httpServerActive(attributes), delta))

/** Records one HTTP client request of `seconds`. */
export const recordHttpClient = (attributes: Attributes, seconds: number): Effect.Effect<void> =>
  whenEnabled(false, Metric.update(httpClientDuration(attributes), seconds))

/** Records one inbound RPC of `millis` (unless request metrics or gRPC metrics are off). */
export const recordRpcServer = (attributes: Attributes, millis: number): Effect.Effect<void> =>
  whenEnabled(true, Metric.update(rpcServer(attributes), millis))

/** Records one outbound RPC of `millis` (unless request metrics or gRPC metrics are off). */
export const recordRpcClient = (attributes: Attributes, millis: number): Effect.Effect<void> =>
  whenEnabled(true, Metric.update(rpcClient(attributes), millis))
