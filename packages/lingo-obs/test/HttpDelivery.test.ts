/**
 * `lingo-obs/http` under the real Observability layer, delivering to the project's receiver over
 * OTLP/gRPC and OTLP/HTTP: the propagators named in the config (`tracing.propagators`) reach the
 * server and client middleware, the server span is named by route template, the health check is
 * skipped, and the request metrics by route arrive; `metrics.enabled: false` turns them off.
 */
import { describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import { Observability } from "../src/index.js"
import { HttpClientMiddleware, HttpServerMiddleware } from "../src/http/index.js"
import { listen, send } from "./support/httpServer.js"

const receiver = Effect.acquireRelease(
  Effect.promise(() => OtlpReceiver.start({ host: "127.0.0.1" })),
  (receiver) => Effect.promise(() => receiver.stop())
)

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_ID = "00f067aa0ba902b7"

/** `/users/:id` calls `/profile/:id` on the same server through the instrumented client. */
const Routes = Layer.mergeAll(
  HttpRouter.add(
    "GET",
    "/users/:id",
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const client = (yield* Effect.service(HttpClient.HttpClient)).pipe(HttpClientMiddleware.instrument())
      const profile = yield* client.get(`http://${request.headers.host}/profile/1`)
      return HttpServerResponse.jsonUnsafe(yield* profile.json)
    }).pipe(Effect.orDie)
  ),
  HttpRouter.add(
    "GET",
    "/profile/:id",
    Effect.map(HttpServerRequest.HttpServerRequest, (request) => HttpServerResponse.jsonUnsafe(request.headers))
  ),
  HttpRouter.add("GET", "/healthz", HttpServerResponse.text("ok"))
)

const config = (protocol: "grpc" | "http/protobuf", endpoint: string, metricsEnabled: boolean) => ({
  tracing: { protocol, endpoint, batchTimeout: "10ms", propagators: ["b3multi"] as Array<"b3multi"> },
  metrics: { protocol, endpoint, interval: "1h", enabled: metricsEnabled },
  shutdownTimeout: "10s"
})

describe("lingo-obs/http delivered to a receiver (Effect 4)", () => {
  it.live.each(["grpc", "http/protobuf"] as const)("%s: B3 from the config on both middlewares, GET /users/:id, request metrics by route", (protocol) =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const endpoint = protocol === "grpc" ? `http://${otlp.endpoint}` : otlp.httpEndpoint
      const profileHeaders = yield* Effect.gen(function*() {
        const base = yield* listen(HttpServerMiddleware.serve(Routes, { disableListenLog: true, disableLogger: true }))
        expect((yield* send(`${base}/healthz`)).status).toBe(200)
        const answer = yield* send(`${base}/users/42`, { "x-b3-traceid": TRACE_ID, "x-b3-spanid": PARENT_ID, "x-b3-sampled": "1" })
        return JSON.parse(answer.body) as Record<string, string>
      }).pipe(
        Effect.scoped,
        Effect.provide(Layer.merge(
          Observability.layer({ service: { name: "e4-http" }, config: config(protocol, endpoint, true), variables: {} }),
          FetchHttpClient.layer
        )),
        // Effect 4's default metric registry is one per process: a registry of this run's own.
        Effect.provideService(Metric.MetricRegistry, new Map())
      )
      // The layer's scope closed: spans and the final metric collection were flushed.
      const gateway = yield* Effect.promise(() => otlp.waitForSpan("GET /users/:id"))
      const profile = yield* Effect.promise(() => otlp.waitForSpan("GET /profile/:id"))
      const spans = otlp.spans()
      const client = spans.find((span) => span.kind === 3)! // SPAN_KIND_CLIENT
      expect(gateway.traceId).toBe(TRACE_ID)
      expect(gateway.parentSpanId).toBe(PARENT_ID)
      expect(gateway.attributes["http.route"]).toBe("/users/:id")
      expect(gateway.resource["service.name"]).toBe("e4-http")
      // The client injected B3 multi-header (the config's propagator), and the inner server extracted it.
      expect(profileHeaders["x-b3-traceid"]).toBe(TRACE_ID)
      expect(profileHeaders["traceparent"]).toBeUndefined()
      expect(client.parentSpanId).toBe(gateway.spanId)
      expect(profile.parentSpanId).toBe(client.spanId)
      expect(profileHeaders["x-b3-spanid"]).toBe(client.spanId)
      expect(spans.filter((span) => span.name.includes("healthz"))).toEqual([])
      expect(spans).toHaveLength(3)

      const duration = yield* Effect.promise(() => otlp.waitForMetric("http.server.request.duration"))
      expect(duration.unit).toBe("s")
      const routes = duration.dataPoints.map((point) => point.attributes["http.route"]).sort()
      expect(routes).toEqual(["/profile/:id", "/users/:id"])
      const clientDuration = yield* Effect.promise(() => otlp.waitForMetric("http.client.request.duration"))
      expect(clientDuration.dataPoints).toHaveLength(1)
    }).pipe(Effect.scoped), 30_000)

  it.live("metrics.enabled: false: spans delivered, no request metric recorded", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const registry: Metric.MetricRegistry = new Map()
      yield* Effect.gen(function*() {
        const base = yield* listen(HttpServerMiddleware.serve(Routes, { disableListenLog: true, disableLogger: true }))
        expect((yield* send(`${base}/profile/3`)).status).toBe(200)
      }).pipe(
        Effect.scoped,
        Effect.provide(Observability.layer({
          service: { name: "e4-http-nometrics" },
          config: config("grpc", `http://${otlp.endpoint}`, false),
          variables: {}
        })),
        Effect.provideService(Metric.MetricRegistry, registry)
      )
      yield* Effect.promise(() => otlp.waitForSpan("GET /profile/:id"))
      expect([...registry.values()].map((series) => series.id).filter((id) => id.startsWith("http."))).toEqual([])
    }).pipe(Effect.scoped), 30_000)
})
