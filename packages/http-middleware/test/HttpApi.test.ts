/**
 * An `@effect/platform` `HttpApi` server (schema-first endpoints, `HttpApiBuilder.serve`) with the
 * middleware, on a real server on an ephemeral port: its spans and request metrics are named by
 * the endpoint's route template, as a router's are (issue 22).
 */
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiSchema,
  HttpServer
} from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { MetricsTest } from "@lingo-obs/metrics"
import { Context, Effect, Layer, Schema } from "effect"
import { createServer } from "node:http"
import { HttpServerMiddleware } from "../src/index.js"
import { expectHealthSkipped, get, metricPoints, ObservabilityTest, serverSpans, waitForSpans } from "./support.js"

class User extends Schema.Class<User>("User")({ id: Schema.Number, name: Schema.String }) {}

class UserStoreDown extends Schema.TaggedError<UserStoreDown>()(
  "UserStoreDown",
  {},
  HttpApiSchema.annotations({ status: 503 })
) {}

const idParam = HttpApiSchema.param("id", Schema.NumberFromString)

class Api extends HttpApi.make("users-api").add(
  HttpApiGroup.make("users")
    .add(HttpApiEndpoint.get("getUser")`/users/${idParam}`.addSuccess(User))
    .add(
      HttpApiEndpoint.get("getOrders", "/users/:id/orders")
        .setPath(Schema.Struct({ id: Schema.NumberFromString }))
        .addSuccess(Schema.Array(Schema.String))
        .addError(UserStoreDown)
    )
    .add(HttpApiEndpoint.post("createUser", "/users").setPayload(User).addSuccess(User))
).add(
  HttpApiGroup.make("health").add(HttpApiEndpoint.get("healthz", "/healthz").addSuccess(Schema.String))
) {}

const UsersLive = HttpApiBuilder.group(Api, "users", (handlers) =>
  handlers
    .handle("getUser", ({ path }) =>
      Effect.succeed(new User({ id: path.id, name: "Ada" })).pipe(Effect.withSpan("load-user")))
    .handle("getOrders", () => Effect.fail(new UserStoreDown()))
    .handle("createUser", ({ payload }) => Effect.succeed(payload)))

const HealthLive = HttpApiBuilder.group(Api, "health", (handlers) => handlers.handle("healthz", () => Effect.succeed("ok")))

const ApiLive = HttpApiBuilder.api(Api).pipe(Layer.provide([UsersLive, HealthLive]))

/** The HttpApi served as the README shows it, on a free 127.0.0.1 port; resolves to its base URL. */
const serveApi = (options?: HttpServerMiddleware.Options) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      HttpApiBuilder.serve(HttpServerMiddleware.middleware(options)).pipe(
        HttpServerMiddleware.withoutPlatformTracer,
        Layer.provide(ApiLive),
        Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" }))
      )
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
    return `http://127.0.0.1:${address.port}`
  })

describe("HttpServerMiddleware with an HttpApi server", () => {
  it.scopedLive("names the server span `{method} {route template}`, with http.route, parent of business spans", () =>
    Effect.gen(function*() {
      const base = yield* serveApi()
      const response = yield* get(`${base}/users/42?sig=secret`)
      expect(response.status).toBe(200)
      expect(JSON.parse(response.body)).toEqual({ id: 42, name: "Ada" })

      const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 1, "the server span")
      expect(spans).toHaveLength(2) // no second server span from @effect/platform's tracer
      const [server] = serverSpans(spans)
      expect(server!.name).toBe("GET /users/:id")
      expect(server!.status).toBe("unset")
      expect(server!.attributes).toMatchObject({
        "http.request.method": "GET",
        "http.route": "/users/:id",
        "http.response.status_code": 200,
        "url.path": "/users/42",
        "url.query": "sig=REDACTED"
      })
      expect(spans.find((span) => span.name === "load-user")!.parentSpanId).toBe(server!.spanId)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("records http.server.request.duration by route template, never the raw path", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const base = yield* serveApi()
      for (const id of ["1", "2", "3"]) expect((yield* get(`${base}/users/${id}`)).status).toBe(200)
      expect((yield* get(`${base}/users/9/orders`)).status).toBe(503)
      const created = yield* Effect.promise(() =>
        fetch(`${base}/users`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: 5, name: "Grace" })
        })
      )
      expect(created.status).toBe(200)
      expect((yield* get(`${base}/nowhere/7`)).status).toBe(404)

      const spans = serverSpans(yield* waitForSpans((spans) => serverSpans(spans).length === 6, "six server spans"))
      expect(spans.map((span) => span.name).sort()).toEqual([
        "GET",
        "GET /users/:id",
        "GET /users/:id",
        "GET /users/:id",
        "GET /users/:id/orders",
        "POST /users"
      ])
      const orders = spans.find((span) => span.name === "GET /users/:id/orders")!
      expect(orders).toMatchObject({
        status: "error",
        attributes: { "http.route": "/users/:id/orders", "http.response.status_code": 503, "error.type": "503" }
      })
      // The unmatched request keeps the method-only name and has no route.
      expect(spans.find((span) => span.name === "GET")!.attributes["http.route"]).toBeUndefined()

      const points = yield* metricPoints("http.server.request.duration")
      const byRoute = Object.fromEntries(points.map((point) => [String(point.attributes["http.route"]), point.count]))
      expect(byRoute).toEqual({ "/users/:id": 3, "/users/:id/orders": 1, "/users": 1, "undefined": 1 })
      for (const point of points) expect(JSON.stringify(point.attributes)).not.toMatch(/\/users\/\d|nowhere/)
    }).pipe(Effect.provide(ObservabilityTest)))

  it.scopedLive("skips the health endpoint: no span, no metric", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      yield* expectHealthSkipped(yield* serveApi(), ["/healthz"])
    }).pipe(Effect.provide(ObservabilityTest)))
})
