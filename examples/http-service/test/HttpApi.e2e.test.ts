/**
 * An `HttpApi` server (schema-first endpoints) instrumented as the README shows, exporting to the
 * real receiver over each OTLP transport: its spans and `http.server.request.duration` arrive named
 * by the endpoint's route template (issue 22: they used to be named `GET`), health checks skipped.
 */
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { HttpServerMiddleware } from "@lingo-obs/http-middleware"
import { Observability } from "@lingo-obs/observability"
import type { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Context, Effect, Layer, Schema } from "effect"
import { createServer } from "node:http"
import { dataPoints, get, receiver, SERVER } from "./support.js"

const idParam = HttpApiSchema.param("id", Schema.NumberFromString)

class Api extends HttpApi.make("users-api").add(
  HttpApiGroup.make("users")
    .add(HttpApiEndpoint.get("getUser")`/users/${idParam}`.addSuccess(Schema.Struct({ id: Schema.Number })))
    .add(HttpApiEndpoint.get("healthz", "/healthz").addSuccess(Schema.String))
) {}

const UsersLive = HttpApiBuilder.group(Api, "users", (handlers) =>
  handlers
    .handle("getUser", ({ path }) => Effect.succeed({ id: path.id }))
    .handle("healthz", () => Effect.succeed("ok")))

const TRANSPORTS = [
  { name: "OTLP/gRPC", transport: "grpc", connection: (otlp: OtlpReceiver.Receiver) => ({
    protocol: "grpc" as const,
    endpoint: `http://${otlp.endpoint}`,
    insecure: true
  }) },
  { name: "OTLP/HTTP (http/protobuf)", transport: "http", connection: (otlp: OtlpReceiver.Receiver) => ({
    protocol: "http/protobuf" as const,
    endpoint: otlp.httpEndpoint
  }) }
] as const

describe.each(TRANSPORTS)("an HttpApi server over $name", (transport) => {
  it.scopedLive("spans and request metrics named by route template; health checks skipped", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const traceId = "0af7651916cd43dd8448eb211c80319c"
      // Closing the scope stops the server and flushes its telemetry to the receiver.
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(
          HttpApiBuilder.serve(HttpServerMiddleware.middleware()).pipe(
            HttpServerMiddleware.withoutPlatformTracer,
            Layer.provide(HttpApiBuilder.api(Api).pipe(Layer.provide(UsersLive))),
            Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })),
            Layer.provide(Observability.layer({
              service: { name: "users-api", version: "0.0.0-test" },
              config: {
                tracing: transport.connection(otlp),
                metrics: { ...transport.connection(otlp), interval: "1s" }
              }
            }))
          )
        )
        const address = Context.get(context, HttpServer.HttpServer).address
        const base = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
        expect((yield* get(`${base}/users/2`, { traceparent: `00-${traceId}-b7ad6b7169203331-01` })).status).toBe(200)
        expect((yield* get(`${base}/users/3`)).status).toBe(200)
        expect((yield* get(`${base}/healthz`)).body).toBe("\"ok\"")
      }))

      const server = yield* Effect.promise(() => otlp.waitForSpan("GET /users/:id"))
      expect(server.kind).toBe(SERVER)
      expect(server.traceId).toBe(traceId)
      expect(server.parentSpanId).toBe("b7ad6b7169203331")
      expect(server.attributes).toMatchObject({ "http.route": "/users/:id", "url.path": "/users/2" })
      const names = otlp.spans().map((span) => span.name)
      expect(names.filter((name) => name === "GET /users/:id")).toHaveLength(2)
      expect(names).not.toContain("GET")
      expect(names).not.toContain("GET /healthz")

      yield* Effect.promise(() => otlp.waitForMetric("http.server.request.duration"))
      const routes = dataPoints(otlp, "http.server.request.duration").map((point) => point.attributes["http.route"])
      expect(new Set(routes)).toEqual(new Set(["/users/:id"]))
      expect(new Set(otlp.requests().map((request) => request.transport))).toEqual(new Set([transport.transport]))
    }), { timeout: 60_000 })
})
