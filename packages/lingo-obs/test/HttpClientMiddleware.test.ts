/**
 * `lingo-obs/http`'s client middleware against real Effect 4 Node HTTP servers (ephemeral ports):
 * one client span per request, the configured propagator's headers on the wire, the server's span
 * its child, baggage forwarded, `http.client.request.duration`; spans and metrics from
 * `ObservabilityTest`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import { ObservabilityTest, Propagation } from "../src/index.js"
import { Baggage, HttpClientMiddleware, HttpServerMiddleware } from "../src/http/index.js"
import { listen, metricPoints, waitForSpans } from "./support/httpServer.js"

/** A downstream service that answers with the headers it received. */
const Downstream = Layer.mergeAll(
  HttpRouter.add(
    "GET",
    "/echo",
    Effect.map(HttpServerRequest.HttpServerRequest, (request) => HttpServerResponse.jsonUnsafe(request.headers))
  ),
  HttpRouter.add("GET", "/missing", HttpServerResponse.empty({ status: 404 })),
  HttpRouter.add("GET", "/broken", HttpServerResponse.empty({ status: 502 }))
)

const client = Effect.map(Effect.service(HttpClient.HttpClient), HttpClientMiddleware.instrument())

const getJson = (url: string) =>
  Effect.flatMap(client, (client) => Effect.flatMap(client.get(url), (response) => response.json)) as Effect.Effect<
    Record<string, string>,
    unknown
  >

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"

const Test = Layer.merge(ObservabilityTest.layer(), FetchHttpClient.layer)

describe("HttpClientMiddleware (Effect 4)", () => {
  it.live("one client span per request, its context on the wire, the server span its child, the duration recorded", () =>
    Effect.gen(function*() {
      const base = yield* listen(HttpServerMiddleware.serve(Downstream, { disableListenLog: true, disableLogger: true }))
      const port = Number(new URL(base).port)
      const headers = yield* getJson(`${base}/echo?q=1&api_key=hunter2`).pipe(Effect.withSpan("checkout"))
      const spans = yield* waitForSpans((spans) => spans.some((span) => span.kind === "server"), "the server span")
      const clientSpans = spans.filter((span) => span.kind === "client")
      expect(clientSpans).toHaveLength(1) // Effect's own client span is off
      const [clientSpan] = clientSpans
      const server = spans.find((span) => span.kind === "server")!
      const checkout = spans.find((span) => span.name === "checkout")!
      expect(clientSpan!.name).toBe("GET")
      expect(clientSpan!.parentSpanId).toBe(checkout.spanId)
      expect(clientSpan!.status).toBe("ok")
      expect(clientSpan!.attributes).toMatchObject({
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.scheme": "http",
        "url.full": `${base}/echo?q=1&api_key=REDACTED`,
        "http.response.status_code": 200
      })
      expect(headers["traceparent"]).toBe(`00-${clientSpan!.traceId}-${clientSpan!.spanId}-01`)
      expect(headers["b3"]).toBeUndefined() // the W3C default only, not Effect's own b3 header
      expect(server.parentSpanId).toBe(clientSpan!.spanId)
      expect(server.traceId).toBe(checkout.traceId)

      const points = yield* metricPoints("http.client.request.duration")
      expect(points).toHaveLength(1)
      expect(points[0]!.count).toBe(1)
      expect(points[0]!.attributes).toEqual({
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.scheme": "http",
        "http.response.status_code": 200
      })
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("injects with the configured propagator (B3 single header here)", () =>
    Effect.gen(function*() {
      const base = yield* listen(HttpServerMiddleware.serve(Downstream, { disableListenLog: true, disableLogger: true }))
      const headers = yield* getJson(`${base}/echo`).pipe(Effect.withSpan("outer"))
      const spans = yield* waitForSpans((spans) => spans.some((span) => span.kind === "server"), "the server span")
      const clientSpan = spans.find((span) => span.kind === "client")!
      expect(headers["b3"]).toBe(`${clientSpan.traceId}-${clientSpan.spanId}-1`)
      expect(headers["traceparent"]).toBeUndefined()
      // The server extracted B3 too (the same configured propagator).
      expect(spans.find((span) => span.kind === "server")!.parentSpanId).toBe(clientSpan.spanId)
    }).pipe(Effect.scoped, Effect.provide(Propagation.layer(Propagation.fromNames(["b3"]))), Effect.provide(Test)))

  it.live("injects and extracts Jaeger's uber-trace-id when the config names jaeger", () =>
    Effect.gen(function*() {
      const base = yield* listen(HttpServerMiddleware.serve(Downstream, { disableListenLog: true, disableLogger: true }))
      const headers = yield* getJson(`${base}/echo`).pipe(Effect.withSpan("outer"))
      const spans = yield* waitForSpans((spans) => spans.some((span) => span.kind === "server"), "the server span")
      const clientSpan = spans.find((span) => span.kind === "client")!
      expect(headers["uber-trace-id"]).toBe(`${clientSpan.traceId}:${clientSpan.spanId}:0:01`)
      expect(headers["traceparent"]).toBeUndefined()
      expect(spans.find((span) => span.kind === "server")!.parentSpanId).toBe(clientSpan.spanId)
    }).pipe(Effect.scoped, Effect.provide(Propagation.layer(Propagation.fromNames(["jaeger"]))), Effect.provide(Test)))

  it.live("forwards the incoming baggage, with entries added on the way, to the next service", () =>
    Effect.gen(function*() {
      const downstream = yield* listen(HttpServerMiddleware.serve(Downstream, { disableListenLog: true, disableLogger: true }))
      const Gateway = HttpRouter.add(
        "GET",
        "/forward",
        Effect.gen(function*() {
          const headers = yield* getJson(`${downstream}/echo`).pipe(Baggage.withEntries({ "feature.flag": "on" }))
          return HttpServerResponse.jsonUnsafe(headers)
        }).pipe(Effect.orDie)
      )
      const gateway = yield* listen(HttpServerMiddleware.serve(Gateway, { disableListenLog: true, disableLogger: true }))
      const response = yield* Effect.promise(() =>
        fetch(`${gateway}/forward`, { headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`, baggage: "tenant=acme" } })
      )
      const seen = (yield* Effect.promise(() => response.json())) as Record<string, string>
      expect(seen["baggage"]!.split(",").sort()).toEqual(["feature.flag=on", "tenant=acme"])
      expect(seen["traceparent"]).toContain(TRACE_ID)
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("4xx and 5xx answers mark the span as an error without failing the request; a refused connection fails both", () =>
    Effect.gen(function*() {
      const base = yield* listen(HttpServerMiddleware.serve(Downstream, { disableListenLog: true, disableLogger: true }))
      const http = yield* client
      expect((yield* http.get(`${base}/missing`)).status).toBe(404)
      expect((yield* http.get(`${base}/broken`)).status).toBe(502)
      // A port nothing listens on: the request fails, the span says why.
      const refused = yield* http.get("http://127.0.0.1:9/nothing").pipe(Effect.flip)
      expect(refused._tag).toBe("HttpClientError")
      const spans = (yield* ObservabilityTest.spans).filter((span) => span.kind === "client")
      expect(spans.map((span) => [span.status, span.attributes["error.type"]])).toEqual([
        ["error", "404"],
        ["error", "502"],
        ["error", "TransportError"]
      ])
      const points = yield* metricPoints("http.client.request.duration")
      expect(points.map((point) => point.attributes["error.type"]).sort()).toEqual(["404", "502", "TransportError"])
    }).pipe(Effect.scoped, Effect.provide(Test)))

  it.live("a skipped request has no span and no metric, but still carries the context", () =>
    Effect.gen(function*() {
      const base = yield* listen(HttpServerMiddleware.serve(Downstream, { disableListenLog: true, disableLogger: true }))
      const skipping = (yield* Effect.service(HttpClient.HttpClient)).pipe(
        HttpClientMiddleware.instrument({ skipper: (request) => request.url.endsWith("/echo") })
      )
      const headers = yield* Effect.flatMap(skipping.get(`${base}/echo`), (response) => response.json).pipe(
        Effect.withSpan("outer")
      ) as Effect.Effect<Record<string, string>, unknown>
      const spans = yield* waitForSpans((spans) => spans.some((span) => span.name === "outer"), "the outer span")
      expect(spans.filter((span) => span.kind === "client")).toEqual([])
      const outer = spans.find((span) => span.name === "outer")!
      expect(headers["traceparent"]).toBe(`00-${outer.traceId}-${outer.spanId}-01`)
      expect(yield* metricPoints("http.client.request.duration")).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(Test)))
})
