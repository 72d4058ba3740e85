import { describe, expect, it } from "@effect/vitest"
import { Proto } from "@lingo-obs/example-grpc-service"
import { GrpcClient } from "@lingo-obs/http-middleware"
import type { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect } from "effect"
import { CLIENT, dataPoints, get, receiver, SERVER, STATUS_ERROR, withServices } from "./support.js"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_ID = "00f067aa0ba902b7"
const GET_USER = "lingo.users.v1.UserService/GetUser"

const spansOfTrace = (receiver: OtlpReceiver.Receiver, traceId: string) =>
  receiver.spans().filter((span) => span.traceId === traceId)

describe("gateway → users-grpc, end to end over OTLP", () => {
  it.scopedLive("a request with a traceparent yields one trace across the HTTP and gRPC hops", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const response = yield* withServices(otlp, ({ gateway }) =>
        get(`${gateway}/users/1`, {
          traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
          baggage: "tenant=acme"
        }))
      expect(response.status).toBe(200)
      expect(JSON.parse(response.body)).toMatchObject({ id: "1", name: "Ada Lovelace" })

      const spans = yield* Effect.promise(() =>
        otlp.waitFor(() => spansOfTrace(otlp, TRACE_ID).length >= 5 && spansOfTrace(otlp, TRACE_ID))
      )
      expect(spans).toHaveLength(5)
      const find = (name: string, kind?: number) =>
        spans.find((span) => span.name === name && (kind === undefined || span.kind === kind))!
      const gatewayServer = find("GET /users/:id", SERVER)
      const business = find("gateway.fetch-user")
      const grpcClient = find(GET_USER, CLIENT)
      const grpcServer = find(GET_USER, SERVER)
      const lookup = find("users.find")

      expect(gatewayServer.parentSpanId).toBe(PARENT_ID)
      expect(business.parentSpanId).toBe(gatewayServer.spanId)
      expect(grpcClient.parentSpanId).toBe(business.spanId)
      expect(grpcServer.parentSpanId).toBe(grpcClient.spanId)
      expect(lookup.parentSpanId).toBe(grpcServer.spanId)

      expect(gatewayServer.resource["service.name"]).toBe("gateway")
      expect(grpcClient.resource["service.name"]).toBe("gateway")
      expect(grpcServer.resource["service.name"]).toBe("users-grpc")
      expect(lookup.resource["service.name"]).toBe("users-grpc")
      expect(gatewayServer.attributes).toMatchObject({
        "http.request.method": "GET",
        "http.route": "/users/:id",
        "http.response.status_code": 200,
        "url.path": "/users/1"
      })
      expect(grpcServer.attributes).toMatchObject({
        "rpc.system": "grpc",
        "rpc.service": "lingo.users.v1.UserService",
        "rpc.method": "GetUser",
        "rpc.grpc.status_code": 0
      })
      // The baggage crossed both hops without code in the gateway.
      expect(lookup.attributes["app.tenant"]).toBe("acme")
    }))

  it.scopedLive("health routes and the gRPC health check yield no span and no metric", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      yield* withServices(otlp, ({ gateway, grpc }) =>
        Effect.gen(function*() {
          for (let i = 0; i < 3; i++) expect((yield* get(`${gateway}/healthz`)).status).toBe(200)
          const health = yield* GrpcClient.dial<{ check: GrpcClient.Unary<{}, { status: string }> }>(
            Proto.HealthDefinition,
            grpc
          )
          expect(yield* health.check({})).toEqual({ status: "SERVING" })
          // A request that is traced, as a control that telemetry does flow.
          expect((yield* get(`${gateway}/users/2`)).status).toBe(200)
        }).pipe(Effect.scoped))

      yield* Effect.promise(() => otlp.waitForSpan("GET /users/:id"))
      const names = otlp.spans().map((span) => span.name)
      expect(names).not.toContain("GET /healthz")
      expect(names).not.toContain("GET")
      expect(names.filter((name) => name.startsWith("grpc.health"))).toEqual([])

      yield* Effect.promise(() => otlp.waitForMetric("http.server.request.duration"))
      const routes = dataPoints(otlp, "http.server.request.duration").map((point) => point.attributes["http.route"])
      expect(routes).toContain("/users/:id")
      expect(routes).not.toContain("/healthz")
      const rpcMethods = [...dataPoints(otlp, "rpc.server.call.duration"), ...dataPoints(otlp, "rpc.client.call.duration")]
        .map((point) => String(point.attributes["rpc.method"]))
      expect(rpcMethods).toContain("lingo.users.v1.UserService/GetUser")
      expect(rpcMethods.filter((method) => method.startsWith("grpc.health.v1.Health/"))).toEqual([])
    }))

  it.scopedLive("request metrics carry the route template and the RPC method, never raw paths", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      yield* withServices(otlp, ({ gateway }) =>
        Effect.forEach(["1", "2", "3", "404"], (id) => get(`${gateway}/users/${id}`), { discard: true }))

      const http = yield* Effect.promise(() => otlp.waitForMetric("http.server.request.duration"))
      expect(http).toMatchObject({ type: "histogram", unit: "s" })
      const points = dataPoints(otlp, "http.server.request.duration")
      expect(points.some((point) =>
        point.attributes["http.route"] === "/users/:id" &&
        point.attributes["http.request.method"] === "GET" &&
        point.attributes["http.response.status_code"] === 200
      )).toBe(true)
      expect(points.some((point) => point.attributes["http.response.status_code"] === 404)).toBe(true)
      for (const point of points) expect(JSON.stringify(point.attributes)).not.toMatch(/\/users\/\d/)

      const rpc = yield* Effect.promise(() => otlp.waitForMetric("rpc.server.call.duration"))
      expect(rpc).toMatchObject({ type: "histogram", unit: "s" })
      expect(rpc.dataPoints.map((point) => point.attributes["rpc.method"])).toContain("lingo.users.v1.UserService/GetUser")
      const client = yield* Effect.promise(() => otlp.waitForMetric("rpc.client.call.duration"))
      expect(client.dataPoints.some((point) => point.attributes["rpc.status_code"] === "NOT_FOUND")).toBe(true)
      yield* Effect.promise(() => otlp.waitForMetric("http.server.active_requests"))
    }))

  it.scopedLive("a failing route yields an error span and a 500; a gRPC NOT_FOUND a 404", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const [orders, missing] = yield* withServices(otlp, ({ gateway }) =>
        Effect.all([get(`${gateway}/orders`), get(`${gateway}/users/404`)]))
      expect(orders.status).toBe(500)
      expect(missing.status).toBe(404)

      const failed = yield* Effect.promise(() => otlp.waitForSpan("GET /orders"))
      expect(failed.status.code).toBe(STATUS_ERROR)
      expect(failed.attributes).toMatchObject({ "http.response.status_code": 500, "error.type": "OrdersUnavailable" })

      const notFound = otlp.spans().find((span) => span.name === "GET /users/:id")!
      expect(notFound.status.code).not.toBe(STATUS_ERROR)
      expect(notFound.attributes["http.response.status_code"]).toBe(404)
      const grpcServer = otlp.spans().find((span) => span.name === GET_USER && span.kind === SERVER)!
      expect(grpcServer.attributes["rpc.grpc.status_code"]).toBe(5)
      expect(grpcServer.status.code).not.toBe(STATUS_ERROR)
      const grpcClient = otlp.spans().find((span) => span.name === GET_USER && span.kind === CLIENT)!
      expect(grpcClient.status.code).toBe(STATUS_ERROR)
    }))

  it.scopedLive("a malformed traceparent or baggage starts a fresh trace, without an error response", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const responses = yield* withServices(otlp, ({ gateway }) =>
        Effect.all([
          get(`${gateway}/users/1`, { traceparent: "00-zzzz-not-hex-01", baggage: "tenant=acme" }),
          get(`${gateway}/users/2`, { traceparent: `00-${TRACE_ID}-${PARENT_ID}`, baggage: "%%%,=;;=" }),
          get(`${gateway}/users/3`, { baggage: "tenant=%E0%A4%A" })
        ]))
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200])

      const servers = yield* Effect.promise(() =>
        otlp.waitFor(() => {
          const servers = otlp.spans().filter((span) => span.name === "GET /users/:id")
          return servers.length === 3 && servers
        })
      )
      for (const server of servers) {
        expect(server.parentSpanId).toBeUndefined()
        expect(server.traceId).not.toBe(TRACE_ID)
        // Each fresh trace still spans both services.
        expect(spansOfTrace(otlp, server.traceId).map((span) => span.name)).toContain("users.find")
      }
      expect(new Set(servers.map((server) => server.traceId)).size).toBe(3)
    }))
})
