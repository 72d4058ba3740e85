/**
 * The Effect 4 gateway → users-grpc, both in this process with their own Observability layer,
 * exporting to the project's receiver over OTLP/gRPC: one trace across the HTTP and gRPC hops,
 * route-template names, `rpc.*` attributes, request metrics by route, health checks skipped, and a
 * dead collector that never hurts a request.
 */
import { describe, expect, it } from "@effect/vitest"
import type { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as Effect from "effect/Effect"
import { CLIENT, dataPoints, get, receiver, SERVER, STATUS_ERROR, withServices } from "./support.js"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_ID = "00f067aa0ba902b7"
const GET_USER = "lingo.users.v1.UserService/GetUser"

const spansOfTrace = (receiver: OtlpReceiver.Receiver, traceId: string) =>
  receiver.spans().filter((span) => span.traceId === traceId)

describe("Effect 4 gateway → users-grpc, end to end over OTLP", () => {
  it.live("a request with a traceparent yields one trace across the HTTP and gRPC hops", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const response = yield* withServices(otlp, ({ gateway }) =>
        get(`${gateway}/users/1`, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: "tenant=acme" }))
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
    }).pipe(Effect.scoped), 60_000)

  it.live("health routes yield no span and no metric; request metrics carry the route template, never raw paths", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      yield* withServices(otlp, ({ gateway }) =>
        Effect.gen(function*() {
          for (let i = 0; i < 3; i++) expect((yield* get(`${gateway}/healthz`)).status).toBe(200)
          for (const id of ["1", "2", "404"]) yield* get(`${gateway}/users/${id}`)
        }))

      yield* Effect.promise(() => otlp.waitForSpan("GET /users/:id"))
      const names = otlp.spans().map((span) => span.name)
      expect(names).not.toContain("GET /healthz")
      expect(names).not.toContain("GET")

      const http = yield* Effect.promise(() => otlp.waitForMetric("http.server.request.duration"))
      expect(http).toMatchObject({ type: "histogram", unit: "s" })
      const points = dataPoints(otlp, "http.server.request.duration")
      expect(points.map((point) => point.attributes["http.route"])).not.toContain("/healthz")
      expect(points.some((point) =>
        point.attributes["http.route"] === "/users/:id" && point.attributes["http.response.status_code"] === 200 &&
        point.count === 2
      )).toBe(true)
      expect(points.some((point) => point.attributes["http.response.status_code"] === 404)).toBe(true)
      for (const point of points) expect(JSON.stringify(point.attributes)).not.toMatch(/\/users\/\d/)

      const rpc = yield* Effect.promise(() => otlp.waitForMetric("rpc.server.call.duration"))
      expect(rpc.dataPoints.map((point) => point.attributes["rpc.method"])).toContain(GET_USER)
    }).pipe(Effect.scoped), 60_000)

  it.live("a failing route yields an error span and a 500; a gRPC NOT_FOUND a 404 that is not a server error", () =>
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
    }).pipe(Effect.scoped), 60_000)

  it.live("a dead collector never hurts a request: answers as usual, promptly", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      // The gateway exports to a port nothing listens on (the user service to the live receiver).
      const answers = yield* withServices(
        otlp,
        ({ gateway }) =>
          Effect.forEach(["1", "2", "3"], (id) =>
            Effect.gen(function*() {
              const started = Date.now()
              const answer = yield* get(`${gateway}/users/${id}`)
              return { status: answer.status, millis: Date.now() - started }
            })),
        { gatewayEndpoint: "http://127.0.0.1:9" }
      )
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200])
      // Export runs beside the requests: none waits for the collector (a generous bound for a loaded machine).
      for (const answer of answers) expect(answer.millis).toBeLessThan(3_000)
      // The user service's side of the trace still arrived.
      yield* Effect.promise(() => otlp.waitForSpan("users.find"))
      expect(otlp.spans().filter((span) => span.resource["service.name"] === "gateway")).toEqual([])
    }).pipe(Effect.scoped), 60_000)
})
