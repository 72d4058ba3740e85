/**
 * The HTTP request metrics the middleware records, with the names, units and bucket boundaries of
 * the OpenTelemetry semantic conventions (stable names where the conventions have them):
 *
 * - `http.server.request.duration`, `http.client.request.duration`: histograms in seconds;
 * - `http.server.active_requests`: an up-down counter of requests in flight.
 *
 * Attributes are low-cardinality only: method, route template, status code, scheme, server
 * address; never a raw URL, a query or an id from a path. They are Effect `Metric`s, exported by
 * the Metrics layer like any other; each carries its unit as a `unit` attribute, which the
 * toolkit's metric producer turns into the OTLP unit.
 *
 * @example
 * ```ts
 * import { RequestMetrics } from "lingo-obs/http"
 *
 * // record a request handled outside the middleware (e.g. a queue consumer pretending to be HTTP)
 * yield* RequestMetrics.recordHttpServer({ "http.request.method": "POST", "http.route": "/jobs" }, 0.042)
 * ```
 */
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Instrumentation from "../Instrumentation.js"
import * as Instruments from "../internal/instruments.js"

/** Bucket boundaries of the HTTP duration histograms, in seconds (semantic conventions). */
export const HTTP_DURATION_BOUNDARIES: ReadonlyArray<number> = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
]

const histogram = (name: string, description: string) =>
  Instruments.make("s", (attributes) =>
    Metric.histogram(name, { description, boundaries: HTTP_DURATION_BOUNDARIES, attributes }))

const httpServerDuration = histogram(SemConv.METRIC_HTTP_SERVER_REQUEST_DURATION, "Duration of HTTP server requests.")
const httpServerActive = Instruments.make("{request}", (attributes) =>
  Metric.counter(SemConv.METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
    description: "Number of active HTTP server requests.",
    attributes
  }))
const httpClientDuration = histogram(SemConv.METRIC_HTTP_CLIENT_REQUEST_DURATION, "Duration of HTTP client requests.")

/** Duration of HTTP server requests, in seconds. */
export const httpServerRequestDuration: Metric.Histogram<number> = httpServerDuration.metric
/** Number of HTTP server requests in flight (an up-down counter). */
export const httpServerActiveRequests: Metric.Counter<number> = httpServerActive.metric
/** Duration of HTTP client requests, in seconds. */
export const httpClientRequestDuration: Metric.Histogram<number> = httpClientDuration.metric

/** Attribute values as metric attributes; undefined values are left out. */
export type Attributes = Instruments.Attributes

/** Records one HTTP server request (in the fiber's step; the caller checked the settings). */
export const unsafeRecordHttpServer = (fiber: Fiber.Fiber<unknown, unknown>, attributes: Attributes, seconds: number): void =>
  Instruments.unsafeUpdate(fiber, httpServerDuration, attributes, seconds)

/** Adds `delta` to the active HTTP server requests (the caller checked the settings). */
export const unsafeAddActiveHttpServer = (fiber: Fiber.Fiber<unknown, unknown>, attributes: Attributes, delta: number): void =>
  Instruments.unsafeUpdate(fiber, httpServerActive, attributes, delta)

/** Records one HTTP client request (the caller checked the settings). */
export const unsafeRecordHttpClient = (fiber: Fiber.Fiber<unknown, unknown>, attributes: Attributes, seconds: number): void =>
  Instruments.unsafeUpdate(fiber, httpClientDuration, attributes, seconds)

const whenEnabled = (record: (fiber: Fiber.Fiber<unknown, unknown>) => void): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    if (fiber.getRef(Instrumentation.Settings).requestMetrics) record(fiber)
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
