import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Instrumentation, Propagation } from "@lingo-obs/core"
import { MetricsTest } from "@lingo-obs/metrics"
import { Context, Data, Deferred, Effect, Layer, Option } from "effect"
import { createServer, request as httpRequest } from "node:http"
import { Baggage, HttpServerMiddleware, Skipper } from "../src/index.js"
import { expectHealthSkipped, get, metricPoints, ObservabilityTest, serveHttp, serverSpans, waitForSpans } from "./support.js"

class UserStoreDown extends Data.TaggedError("UserStoreDown")<{}> {}

const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/users/:id",
    Effect.gen(function*() {
      const { id } = yield* HttpRouter.params
      yield* Effect.void.pipe(Effect.withSpan("load-user", { attributes: { "user.id": id } }))
      const tenant = yield* Baggage.getEntry("tenant")
      return yield* HttpServerResponse.json({ id, tenant: Option.getOrNull(tenant) })
    })
  ),
  HttpRouter.get("/healthz", HttpServerResponse.text("ok")),
  HttpRouter.get("/readyz", HttpServerResponse.text("ok")),
  HttpRouter.get("/_health/db", HttpServerResponse.text("ok")),
  HttpRouter.get("/internal/stats", HttpServerResponse.text("stats")),
  HttpRouter.get("/store", Effect.fail(new UserStoreDown())),
  HttpRouter.get("/defect", Effect.die(new Error("kaput"))),
  HttpRouter.get("/teapot", HttpServerResponse.empty({ status: 418 })),
  HttpRouter.get("/unavailable", HttpServerResponse.empty({ status: 503 })),
  HttpRouter.mountApp("/static", HttpServerResponse.text("file"))
)

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_ID = "00f067aa0ba902b7"

describe("HttpServerMiddleware", () => {
  it.scopedLive("opens one server span per request, named by method and route template, parent of business spans", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(router)
      const port = Number(new URL(base).port)
      const response = yield* get(`${base}/users/42?expand=1&sig=secret`, { "user-agent": "curl/8.5.0" })
      expect(response.status).toBe(200)

      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span")
      const [server] = serverSpans(spans)
      expect(spans).toHaveLength(2) // no second server span from @effect/platform's tracer
      expect(server!.name).toBe("GET /users/:id")
      expect(server!.status).toBe("unset")
      expect(server!.parentSpanId).toBeUndefined()
      expect(server!.attributes).toMatchObject({
        "http.request.method": "GET",
        "http.route": "/users/:id",
        "http.response.status_code": 200,
        "url.path": "/users/42",
        "url.query": "expand=1&sig=REDACTED",
        "url.scheme": "http",
        "server.address": "127.0.0.1",
        "server.port": port,
        "user_agent.original": "curl/8.5.0",
        "network.protocol.version": "1.1"
      })
      expect(server!.attributes["url.full"]).toBeUndefined()
      const business = spans.find((span) => span.name === "load-user")!
      expect(business.parentSpanId).toBe(server!.spanId)
      expect(business.traceId).toBe(server!.traceId)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("continues the trace of an incoming traceparent, and hands the baggage to the handler", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(router)
      const response = yield* get(`${base}/users/7`, {
        traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        baggage: "tenant=acme,region=eu"
      })
      expect(JSON.parse(response.body)).toEqual({ id: "7", tenant: "acme" })
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1))
      expect(server!.traceId).toBe(TRACE_ID)
      expect(server!.parentSpanId).toBe(PARENT_ID)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("starts a fresh trace, without an error, on a malformed traceparent or baggage", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(router)
      const malformed = [
        { traceparent: "00-not-a-trace-01" },
        { traceparent: `00-${"0".repeat(32)}-${PARENT_ID}-01` },
        { baggage: "%zz=%%,=,;;;" },
        { traceparent: "garbage", baggage: "tenant=%E0%A4%A" }
      ]
      for (const headers of malformed) {
        const response = yield* get(`${base}/users/1`, headers)
        expect(response.status).toBe(200)
      }
      const spans = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === malformed.length))
      for (const span of spans) {
        expect(span.parentSpanId).toBeUndefined()
        expect(span.traceId).not.toBe(TRACE_ID)
        expect(span.status).toBe("unset")
      }
      expect(new Set(spans.map((span) => span.traceId)).size).toBe(malformed.length)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("skips the health routes: no span, no metric", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const base = yield* serveHttp(router)
      yield* expectHealthSkipped(base, ["/healthz", "/readyz", "/_health/db", "/healthz?probe=1"])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("a custom skipper replaces the default one", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(router, { skipper: Skipper.httpPaths(["/internal/*"]) })
      yield* get(`${base}/internal/stats`)
      yield* get(`${base}/healthz`)
      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 1)
      expect(serverSpans(spans).map((span) => span.name)).toEqual(["GET /healthz"])
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("marks 5xx answers as errors with error.type, and 4xx answers not", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(router)
      const statuses: Record<string, number> = {}
      for (const path of ["/store", "/defect", "/unavailable", "/teapot", "/nowhere"]) {
        statuses[path] = (yield* get(`${base}${path}`)).status
      }
      expect(statuses).toEqual({ "/store": 500, "/defect": 500, "/unavailable": 503, "/teapot": 418, "/nowhere": 404 })

      const spans = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 5))
      const byName = (name: string) => spans.find((span) => span.name === name)!
      expect(byName("GET /store")).toMatchObject({
        status: "error",
        attributes: { "http.response.status_code": 500, "error.type": "UserStoreDown" }
      })
      expect(byName("GET /defect")).toMatchObject({
        status: "error",
        statusMessage: "kaput",
        attributes: { "http.response.status_code": 500, "error.type": "500" }
      })
      expect(byName("GET /unavailable")).toMatchObject({
        status: "error",
        attributes: { "http.response.status_code": 503, "error.type": "503" }
      })
      expect(byName("GET /teapot").status).toBe("unset")
      expect(byName("GET /teapot").attributes["error.type"]).toBeUndefined()
      // No route matched: the span is named by the method alone and has no route.
      expect(byName("GET")).toMatchObject({ status: "unset", attributes: { "http.response.status_code": 404 } })
      expect(byName("GET").attributes["http.route"]).toBeUndefined()
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("records request metrics with the route template, never the raw path", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const base = yield* serveHttp(router)
      for (const id of ["1", "2", "3"]) yield* get(`${base}/users/${id}`)
      yield* get(`${base}/store`)
      yield* waitForSpans((spans) => serverSpans(spans).length === 4)

      const duration = yield* MetricsTest.find("http.server.request.duration")
      expect(duration).toMatchObject({ type: "histogram", unit: "s" })
      const users = duration!.points.find((point) => point.attributes["http.route"] === "/users/:id")!
      expect(users.count).toBe(3)
      expect(users.attributes).toMatchObject({
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "url.scheme": "http"
      })
      expect(users.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10])
      const failed = duration!.points.find((point) => point.attributes["http.route"] === "/store")!
      expect(failed.attributes).toMatchObject({ "http.response.status_code": 500, "error.type": "UserStoreDown" })
      for (const point of duration!.points) {
        expect(JSON.stringify(point.attributes)).not.toMatch(/\/users\/\d/)
      }
      // Every request that started has ended.
      const active = yield* metricPoints("http.server.active_requests")
      expect(active.reduce((sum, point) => sum + (point.value ?? 0), 0)).toBe(0)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("records no request metric when metrics are off, and still traces", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const base = yield* serveHttp(router)
      yield* get(`${base}/users/1`)
      yield* waitForSpans((spans) => serverSpans(spans).length === 1)
      expect(yield* metricPoints("http.server.request.duration")).toEqual([])
      expect(yield* metricPoints("http.server.active_requests")).toEqual([])
    }).pipe(
      Effect.provide(Layer.succeed(Instrumentation.Settings, {
        requestMetrics: false,
        grpcMetrics: true,
        grpcIncludeHealth: false
      })),
      Effect.provide(ObservabilityTest)
    ))

  it.scopedLive("extracts with the configured propagator (B3 here)", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(router)
      yield* get(`${base}/users/1`, {
        "x-b3-traceid": TRACE_ID,
        "x-b3-spanid": PARENT_ID,
        "x-b3-sampled": "1",
        // Not read: the configured propagator is B3 only.
        traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-01`
      })
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1))
      expect(server!.traceId).toBe(TRACE_ID)
      expect(server!.parentSpanId).toBe(PARENT_ID)
    }).pipe(
      Effect.provide(Propagation.layer(Propagation.fromNames(["b3multi"]))),
      Effect.provide(ObservabilityTest)
    ))

  it.scopedLive("the propagator option overrides the configured one", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(router, { propagator: Propagation.fromNames(["b3"]) })
      yield* get(`${base}/users/1`, { b3: `${TRACE_ID}-${PARENT_ID}-1` })
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1))
      expect(server!.traceId).toBe(TRACE_ID)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("names the span of a mounted app after its mount point", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(router)
      expect((yield* get(`${base}/static/css/site.css`)).body).toBe("file")
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1))
      expect(server!.name).toBe("GET /static/*")
      expect(server!.attributes["http.route"]).toBe("/static/*")
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("serves a plain app (not a router) with spans named by the method, inside the app's middleware", () =>
    Effect.gen(function*() {
      const app = Effect.as(Effect.annotateLogs(Effect.void, {}), HttpServerResponse.text("plain"))
      const base = yield* serveHttp(app, { middleware: HttpMiddleware.logger })
      expect((yield* get(`${base}/anything`)).body).toBe("plain")
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1))
      expect(server!.name).toBe("GET")
      expect(server!.attributes["url.path"]).toBe("/anything")
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("middleware() composes with HttpServer.serve: one span named by route, route as attribute and metric label", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const context = yield* Layer.build(
        HttpServer.serve(router, HttpServerMiddleware.middleware()).pipe(
          HttpServerMiddleware.withoutPlatformTracer,
          Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" }))
        )
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      const port = address._tag === "TcpAddress" ? address.port : 0
      yield* get(`http://127.0.0.1:${port}/users/5`)
      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 1)
      const [server] = serverSpans(spans)
      expect(server!.name).toBe("GET /users/:id")
      expect(server!.attributes["http.route"]).toBe("/users/:id")
      expect(spans.find((span) => span.name === "load-user")!.parentSpanId).toBe(server!.spanId)
      const points = yield* metricPoints("http.server.request.duration")
      expect(points.map((point) => point.attributes["http.route"])).toEqual(["/users/:id"])
    }).pipe(Effect.provide(ObservabilityTest)))
  it.scopedLive("ends server spans Unset for 200 and 499 (client closed), Error for 500; never OK (semantic conventions)", () =>
    Effect.gen(function*() {
      const entered = yield* Deferred.make<void>()
      const app = HttpRouter.empty.pipe(
        HttpRouter.get(
          "/ok",
          Effect.void.pipe(Effect.withSpan("business"), Effect.zipRight(HttpServerResponse.text("fine")))
        ),
        HttpRouter.get("/slow", Effect.zipRight(Deferred.succeed(entered, undefined), Effect.never)),
        HttpRouter.get("/boom", HttpServerResponse.empty({ status: 500 }))
      )
      const base = yield* serveHttp(app)
      expect((yield* get(`${base}/ok`)).status).toBe(200)
      expect((yield* get(`${base}/boom`)).status).toBe(500)
      // A client that gives up while the handler still works: the platform answers 499.
      const request = httpRequest(`${base}/slow`)
      request.on("error", () => {})
      request.end()
      yield* Deferred.await(entered)
      request.destroy()

      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 3, "three server spans")
      const byRoute = (route: string) => serverSpans(spans).find((span) => span.attributes["http.route"] === route)!
      expect(byRoute("/ok")).toMatchObject({ status: "unset", attributes: { "http.response.status_code": 200 } })
      expect(byRoute("/slow")).toMatchObject({ status: "unset", attributes: { "http.response.status_code": 499 } })
      expect(byRoute("/boom")).toMatchObject({ status: "error", attributes: { "http.response.status_code": 500 } })
      // Only the instrumentation's own judgement changed: a business span that succeeded is still OK.
      expect(spans.find((span) => span.name === "business")!.status).toBe("ok")
    }).pipe(Effect.provide(ObservabilityTest)))
})
