/**
 * `lingo-obs/http`'s server middleware on real Effect 4 Node HTTP servers (ephemeral ports,
 * plain `fetch`): spans and metrics read back from `ObservabilityTest`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Instrumentation, ObservabilityTest, Propagation } from "../src/index.js"
import { Baggage, HttpServerMiddleware, Skipper } from "../src/http/index.js"
import { listen, metricPoints, send, serverSpans, waitForSpans } from "./support/httpServer.js"

class UserStoreDown extends Data.TaggedError("UserStoreDown")<{}> {}

const getUser = Effect.gen(function*() {
  const { id } = yield* HttpRouter.params
  yield* Effect.void.pipe(Effect.withSpan("load-user", { attributes: { "user.id": id } }))
  const tenant = yield* Baggage.getEntry("tenant")
  return HttpServerResponse.jsonUnsafe({ id, tenant: Option.getOrNull(tenant) })
})

const Routes = Layer.mergeAll(
  HttpRouter.add("GET", "/users/:id", getUser),
  HttpRouter.add("GET", "/healthz", HttpServerResponse.text("ok")),
  HttpRouter.add("GET", "/_health/db", HttpServerResponse.text("ok")),
  HttpRouter.add("GET", "/internal/stats", HttpServerResponse.text("stats")),
  HttpRouter.add("GET", "/store", Effect.fail(new UserStoreDown())),
  HttpRouter.add("GET", "/defect", Effect.die(new Error("kaput"))),
  HttpRouter.add("GET", "/teapot", HttpServerResponse.empty({ status: 418 })),
  HttpRouter.add("GET", "/unavailable", HttpServerResponse.empty({ status: 503 })),
  HttpRouter.use((router) => router.prefixed("/v1").add("GET", "/orders/:orderId", HttpServerResponse.text("order")))
)

const serveRoutes = (options: HttpServerMiddleware.ServeOptions = {}) =>
  listen(HttpServerMiddleware.serve(Routes, { disableListenLog: true, disableLogger: true, ...options }))

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_ID = "00f067aa0ba902b7"

const Test = ObservabilityTest.layer()

describe("HttpServerMiddleware (Effect 4)", () => {
  it.live("one server span per request, named by method and route template, parent of business spans", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      const port = Number(new URL(base).port)
      const answer = yield* send(`${base}/users/42?expand=1&sig=secret`, { "user-agent": "curl/8.5.0" })
      expect(answer.status).toBe(200)

      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span")
      const [server] = serverSpans(spans)
      expect(spans).toHaveLength(2) // no second server span from Effect's own server tracer
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
      const business = spans.find((span) => span.name === "load-user")!
      expect(business.parentSpanId).toBe(server!.spanId)
      expect(business.traceId).toBe(server!.traceId)
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("continues the trace of an incoming traceparent, and hands the baggage to the handler", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      const answer = yield* send(`${base}/users/7`, {
        traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        baggage: "tenant=acme,region=eu"
      })
      expect(JSON.parse(answer.body)).toEqual({ id: "7", tenant: "acme" })
      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span")
      const [server] = serverSpans(spans)
      expect(server!.traceId).toBe(TRACE_ID)
      expect(server!.parentSpanId).toBe(PARENT_ID)
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("starts a fresh trace, without an error, on a malformed traceparent or baggage", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      const answer = yield* send(`${base}/users/8`, { traceparent: "00-zz-yy-01", baggage: "=;;==,%%%" })
      expect(answer.status).toBe(200)
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span"))
      expect(server!.traceId).not.toBe(TRACE_ID)
      expect(server!.parentSpanId).toBeUndefined()
      expect(server!.status).toBe("unset")
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("extracts with the configured propagator (B3 multi-header here), and the option overrides it", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      yield* send(`${base}/users/9`, { "x-b3-traceid": TRACE_ID, "x-b3-spanid": PARENT_ID, "x-b3-sampled": "1" })
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span"))
      expect(server!.traceId).toBe(TRACE_ID)
      expect(server!.parentSpanId).toBe(PARENT_ID)

      // The option (W3C) replaces the configured B3: the B3 headers are ignored.
      const w3c = yield* listen(HttpServerMiddleware.serve(Routes, {
        disableListenLog: true,
        propagator: Propagation.defaultPropagator
      }))
      yield* send(`${w3c}/users/9`, { "x-b3-traceid": TRACE_ID, "x-b3-spanid": PARENT_ID, "x-b3-sampled": "1" })
      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 2, "the second server span")
      expect(serverSpans(spans)[1]!.traceId).not.toBe(TRACE_ID)
    }).pipe(Effect.scoped, Effect.provide(Propagation.layer(Propagation.fromNames(["b3multi"]))), Effect.provide(Test)))

  it.live("skips the health routes (no span, no metric); a custom skipper replaces the default", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      expect((yield* send(`${base}/healthz`)).status).toBe(200)
      expect((yield* send(`${base}/_health/db`)).status).toBe(200)
      yield* send(`${base}/users/1`)
      const spans = yield* waitForSpans((spans) => serverSpans(spans).length >= 1, "the users span")
      expect(serverSpans(spans).map((span) => span.name)).toEqual(["GET /users/:id"])
      const points = yield* metricPoints("http.server.request.duration")
      expect(points.map((point) => point.attributes["http.route"])).toEqual(["/users/:id"])

      yield* ObservabilityTest.reset
      const custom = yield* serveRoutes({ skipper: Skipper.httpPaths(["/internal/*"]) })
      yield* send(`${custom}/internal/stats`)
      yield* send(`${custom}/healthz`) // no longer skipped: the custom skipper replaced the default
      const named = yield* waitForSpans((spans) => serverSpans(spans).length >= 1, "the healthz span")
      expect(serverSpans(named).map((span) => span.name)).toEqual(["GET /healthz"])
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("marks 5xx answers as errors with error.type, and 4xx answers not", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      expect((yield* send(`${base}/store`)).status).toBe(500)
      expect((yield* send(`${base}/defect`)).status).toBe(500)
      expect((yield* send(`${base}/teapot`)).status).toBe(418)
      expect((yield* send(`${base}/unavailable`)).status).toBe(503)
      expect((yield* send(`${base}/nowhere/at/all`)).status).toBe(404)
      const spans = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 5, "five server spans"))
      const byName = (name: string) => spans.find((span) => span.name === name)!
      expect(byName("GET /store")).toMatchObject({ status: "error" })
      expect(byName("GET /store").attributes["error.type"]).toBe("UserStoreDown")
      expect(byName("GET /defect").status).toBe("error")
      // A plain `Error` says nothing more than the status does.
      expect(byName("GET /defect").attributes["error.type"]).toBe("500")
      expect(byName("GET /teapot").status).toBe("unset")
      expect(byName("GET /teapot").attributes["error.type"]).toBeUndefined()
      expect(byName("GET /unavailable")).toMatchObject({ status: "error" })
      expect(byName("GET /unavailable").attributes["error.type"]).toBe("503")
      // Unmatched: named by the method alone (no route), a 4xx: not an error, the raw path never a name.
      const unmatched = byName("GET")
      expect(unmatched.status).toBe("unset")
      expect(unmatched.attributes["http.response.status_code"]).toBe(404)
      expect(unmatched.attributes["http.route"]).toBeUndefined()
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("records request metrics by route template, never the raw path; active requests back to zero", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      yield* send(`${base}/users/1`)
      yield* send(`${base}/users/2`)
      yield* send(`${base}/v1/orders/77`)
      yield* send(`${base}/nowhere`)
      yield* waitForSpans((spans) => serverSpans(spans).length === 4, "four server spans")
      const metrics = yield* ObservabilityTest.metrics
      const duration = metrics.find((metric) => metric.name === "http.server.request.duration")!
      expect(duration.unit).toBe("s")
      expect(duration.type).toBe("histogram")
      const users = duration.points.find((point) => point.attributes["http.route"] === "/users/:id")!
      expect(users.count).toBe(2)
      expect(users.attributes).toEqual({
        "http.request.method": "GET",
        "url.scheme": "http",
        "http.route": "/users/:id",
        "http.response.status_code": 200
      })
      expect(duration.points.find((point) => point.attributes["http.route"] === "/v1/orders/:orderId")?.count).toBe(1)
      const unmatched = duration.points.find((point) => point.attributes["http.response.status_code"] === 404)!
      expect(unmatched.attributes["http.route"]).toBeUndefined()
      const raw = JSON.stringify(duration.points)
      expect(raw).not.toContain("/users/1")
      expect(raw).not.toContain("/nowhere")
      const active = metrics.find((metric) => metric.name === "http.server.active_requests")!
      expect(active.unit).toBe("{request}")
      expect(active.points.reduce((sum, point) => sum + (point.value ?? 0), 0)).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("records no request metric when metrics are off, and still traces", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      yield* send(`${base}/users/3`)
      yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span")
      expect(yield* metricPoints("http.server.request.duration")).toEqual([])
    }).pipe(
      Effect.scoped,
      Effect.provideService(Instrumentation.Settings, {
        requestMetrics: false,
        grpcMetrics: true,
        grpcIncludeHealth: false,
        legacyRpcMetrics: false
      }),
      Effect.provide(Test)
    ))

  it.live("an unsampled request records no span, and its metric still has the route template", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      expect((yield* send(`${base}/users/12`)).status).toBe(200)
      const points = yield* Effect.gen(function*() {
        const deadline = Date.now() + 10_000
        while (Date.now() < deadline) {
          const points = yield* metricPoints("http.server.request.duration")
          if (points.length > 0) return points
          yield* Effect.sleep("10 millis")
        }
        return []
      })
      expect(points.map((point) => point.attributes["http.route"])).toEqual(["/users/:id"])
      expect(yield* ObservabilityTest.spans).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(ObservabilityTest.layer({ sampler: "traceidratio", samplingRatio: 0 }))))

  it.live("names the span of a prefixed router after the full template", () =>
    Effect.gen(function*() {
      const base = yield* serveRoutes()
      expect((yield* send(`${base}/v1/orders/5`)).body).toBe("order")
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span"))
      expect(server!.name).toBe("GET /v1/orders/:orderId")
      expect(server!.attributes["http.route"]).toBe("/v1/orders/:orderId")
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("Effect's response logger and the app's middleware run inside the server span: their lines carry its ids", () =>
    Effect.gen(function*() {
      const base = yield* listen(HttpServerMiddleware.serve(Routes, {
        disableListenLog: true,
        middleware: (app) => Effect.andThen(Effect.logInfo("app middleware"), app)
      }))
      yield* send(`${base}/users/11`)
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span"))
      const logs = yield* ObservabilityTest.logs
      const sent = logs.find((record) => record.message === "Sent HTTP response")!
      const own = logs.find((record) => record.message === "app middleware")!
      expect(sent.annotations["http.status"]).toBe(200)
      for (const record of [sent, own]) {
        expect(record.traceId).toBe(server!.traceId)
        expect(record.spanId).toBe(server!.spanId)
      }
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("a request the client abandons ends its span Unset (499), never OK, and leaves no active request behind", () =>
    Effect.gen(function*() {
      const entered = yield* Deferred.make<void>()
      const Slow = HttpRouter.add(
        "GET",
        "/slow",
        Effect.andThen(Deferred.succeed(entered, undefined), Effect.never)
      )
      const base = yield* listen(HttpServerMiddleware.serve(Slow, { disableListenLog: true, disableLogger: true }))
      const controller = new AbortController()
      const request = fetch(`${base}/slow`, { signal: controller.signal }).catch((error: unknown) => error)
      yield* Deferred.await(entered)
      controller.abort()
      yield* Effect.promise(() => request)
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span"))
      expect(server!.name).toBe("GET /slow")
      expect(server!.status).toBe("unset")
      expect(server!.attributes["http.response.status_code"]).toBe(499)
      const active = (yield* metricPoints("http.server.active_requests")).reduce((sum, point) => sum + (point.value ?? 0), 0)
      expect(active).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("a route middleware that answers before the handler: the span still carries the route (sampled)", () =>
    Effect.gen(function*() {
      const Guarded = HttpRouter.add("GET", "/admin/:section", HttpServerResponse.text("secret")).pipe(
        // An auth check that refuses: the handler never runs.
        Layer.provide(HttpRouter.middleware((handler) =>
          Effect.flatMap(Effect.succeed(false), (allowed) =>
            allowed ? handler : Effect.succeed(HttpServerResponse.empty({ status: 401 })))
        ).layer)
      )
      const base = yield* listen(HttpServerMiddleware.serve(Guarded, { disableListenLog: true, disableLogger: true }))
      expect((yield* send(`${base}/admin/keys`)).status).toBe(401)
      const [server] = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span"))
      expect(server!.name).toBe("GET /admin/:section")
      expect(server!.attributes["http.route"]).toBe("/admin/:section")
      const points = yield* metricPoints("http.server.request.duration")
      expect(points.map((point) => point.attributes["http.route"])).toEqual(["/admin/:section"])
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("middleware() with HttpRouter.serve: one span, renamed from the route the router records", () =>
    Effect.gen(function*() {
      const base = yield* listen(
        HttpRouter.serve(Routes, { disableListenLog: true, middleware: HttpServerMiddleware.middleware() }).pipe(
          HttpServerMiddleware.withoutPlatformTracer
        )
      )
      yield* send(`${base}/users/5`, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` })
      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span")
      expect(serverSpans(spans)).toHaveLength(1)
      const [server] = serverSpans(spans)
      expect(server!.name).toBe("GET /users/:id")
      expect(server!.traceId).toBe(TRACE_ID)
      const points = yield* metricPoints("http.server.request.duration")
      expect(points.map((point) => point.attributes["http.route"])).toEqual(["/users/:id"])
    }).pipe(Effect.scoped, Effect.provide(Test)))
})

class User extends Schema.Class<User>("User")({ id: Schema.String, name: Schema.String }) {}

const Api = HttpApi.make("api").add(
  HttpApiGroup.make("users").add(
    HttpApiEndpoint.get("getUser", "/users/:id", { params: { id: Schema.String }, success: User }),
    HttpApiEndpoint.get("listUsers", "/users", { success: Schema.Array(User) })
  )
)

const UsersLive = HttpApiBuilder.group(Api, "users", (handlers) =>
  handlers
    .handle("getUser", ({ params }) =>
      Effect.succeed(new User({ id: params.id, name: "Ada" })).pipe(Effect.withSpan("load-user")))
    .handle("listUsers", () => Effect.succeed([])))

const ApiLive = HttpApiBuilder.layer(Api).pipe(Layer.provide(UsersLive))

describe("HttpServerMiddleware with HttpApi (Effect 4)", () => {
  it.live("an HttpApi server gets spans named {method} {route template}, http.route on spans and metrics", () =>
    Effect.gen(function*() {
      const base = yield* listen(HttpServerMiddleware.serve(ApiLive, { disableListenLog: true, disableLogger: true }))
      const answer = yield* send(`${base}/users/42`, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` })
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body)).toEqual({ id: "42", name: "Ada" })
      yield* send(`${base}/users`)
      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 2, "two server spans")
      const names = serverSpans(spans).map((span) => span.name).sort()
      expect(names).toEqual(["GET /users", "GET /users/:id"])
      const server = serverSpans(spans).find((span) => span.name === "GET /users/:id")!
      expect(server.attributes["http.route"]).toBe("/users/:id")
      expect(server.traceId).toBe(TRACE_ID)
      expect(spans.find((span) => span.name === "load-user")?.parentSpanId).toBe(server.spanId)
      const routes = (yield* metricPoints("http.server.request.duration")).map((point) => point.attributes["http.route"]).sort()
      expect(routes).toEqual(["/users", "/users/:id"])
    }).pipe(Effect.scoped, Effect.provide(Test)))
})
