import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { describe, expect, it } from "@effect/vitest"
import { Propagation } from "@lingo-obs/core"
import { MetricsTest } from "@lingo-obs/metrics"
import type { TracingTest } from "@lingo-obs/tracing"
import { Effect, Layer } from "effect"
import { Baggage, HttpClientMiddleware } from "../src/index.js"
import { ObservabilityTest, serveHttp, waitForSpans } from "./support.js"

/** Answers with the propagation headers it received. */
const echo = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/echo",
    Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
      const pick = ["traceparent", "tracestate", "baggage", "b3", "x-b3-traceid", "x-b3-spanid"]
      return HttpServerResponse.unsafeJson(Object.fromEntries(pick.map((name) => [name, request.headers[name] ?? null])))
    })
  ),
  HttpRouter.get("/unavailable", HttpServerResponse.empty({ status: 503 }))
)

const ClientLive = HttpClientMiddleware.layer().pipe(Layer.provide(FetchHttpClient.layer))

const byKind = (spans: ReadonlyArray<TracingTest.FinishedSpan>, kind: TracingTest.FinishedSpan["kind"]) =>
  spans.filter((span) => span.kind === kind)

describe("HttpClientMiddleware", () => {
  it.scopedLive("opens one client span per request and injects its context and the baggage", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(echo)
      const client = yield* HttpClient.HttpClient
      const received = yield* client.get(`${base}/echo?sig=secret&page=2`).pipe(
        Effect.flatMap((response) => response.json),
        Effect.withSpan("caller"),
        Baggage.withEntries({ tenant: "acme" })
      ) as Effect.Effect<Record<string, string | null>>

      const spans = yield* waitForSpans((spans) => byKind(spans, "server").length === 1 && spans.length === 3)
      const [clientSpan] = byKind(spans, "client")
      const [serverSpan] = byKind(spans, "server")
      const caller = spans.find((span) => span.name === "caller")!
      expect(byKind(spans, "client")).toHaveLength(1) // the platform's client tracer is off
      expect(clientSpan!.name).toBe("GET")
      expect(clientSpan!.parentSpanId).toBe(caller.spanId)
      expect(serverSpan!.parentSpanId).toBe(clientSpan!.spanId)
      expect(serverSpan!.traceId).toBe(caller.traceId)
      expect(received.traceparent).toBe(`00-${clientSpan!.traceId}-${clientSpan!.spanId}-01`)
      expect(received.baggage).toBe("tenant=acme")
      expect(received.b3).toBeNull()
      const port = Number(new URL(base).port)
      expect(clientSpan!.attributes).toMatchObject({
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.scheme": "http",
        "url.full": `${base}/echo?sig=REDACTED&page=2`,
        "http.response.status_code": 200
      })
      expect(clientSpan!.status).toBe("ok")
    }).pipe(Effect.provide(ClientLive), Effect.provide(ObservabilityTest)))

  it.scopedLive("forwards the baggage and trace state the server middleware extracted, without code", () =>
    Effect.gen(function*() {
      const downstream = yield* serveHttp(echo)
      const client = yield* HttpClient.HttpClient
      const gateway = HttpRouter.empty.pipe(
        HttpRouter.get(
          "/proxy",
          client.get(`${downstream}/echo`).pipe(
            Effect.flatMap((response) => response.json),
            Effect.flatMap((json) => HttpServerResponse.json(json)),
            Effect.orDie
          )
        )
      )
      const base = yield* serveHttp(gateway)
      const response = yield* Effect.promise(() =>
        fetch(`${base}/proxy`, {
          headers: {
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            tracestate: "vendor=opaque-value",
            baggage: "tenant=acme,user.tier=gold"
          }
        }).then((r) => r.json())
      ) as Effect.Effect<Record<string, string | null>>
      expect(response.baggage).toBe("tenant=acme,user.tier=gold")
      expect(response.tracestate).toBe("vendor=opaque-value")
      expect(response.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/)
      const spans = yield* waitForSpans((spans) => byKind(spans, "server").length === 2)
      const [clientSpan] = byKind(spans, "client")
      const gatewaySpan = spans.find((span) => span.name === "GET /proxy")!
      expect(clientSpan!.parentSpanId).toBe(gatewaySpan.spanId)
    }).pipe(Effect.provide(ClientLive), Effect.provide(ObservabilityTest)))

  it.scopedLive("injects with the configured propagator (B3 here)", () =>
    Effect.gen(function*() {
      const base = yield* serveHttp(echo)
      const received = yield* HttpClient.get(`${base}/echo`).pipe(
        Effect.flatMap((response) => response.json),
        Effect.withSpan("caller")
      ) as Effect.Effect<Record<string, string | null>>
      const spans = yield* waitForSpans((spans) => byKind(spans, "server").length === 1 && spans.length === 3)
      const [clientSpan] = byKind(spans, "client")
      expect(received.traceparent).toBeNull()
      expect(received.b3).toBe(`${clientSpan!.traceId}-${clientSpan!.spanId}-1`)
    }).pipe(
      Effect.provide(ClientLive),
      Effect.provide(Propagation.layer(Propagation.fromNames(["b3"]))),
      Effect.provide(ObservabilityTest)
    ))

  it.scopedLive("marks 4xx/5xx answers and transport failures as errors, and records the duration", () =>
    Effect.gen(function*() {
      yield* MetricsTest.reset
      const base = yield* serveHttp(echo)
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl(base)))
      const answer = yield* client.get("/unavailable")
      expect(answer.status).toBe(503)
      const failure = yield* Effect.flip(HttpClient.get("http://127.0.0.1:1/never"))
      expect(failure._tag).toBe("RequestError")

      const spans = yield* waitForSpans((spans) => byKind(spans, "client").length === 2 && byKind(spans, "server").length === 1)
      const [unavailable, refused] = byKind(spans, "client")
      expect(unavailable).toMatchObject({
        status: "error",
        attributes: { "http.response.status_code": 503, "error.type": "503", "url.full": `${base}/unavailable` }
      })
      expect(refused).toMatchObject({ status: "error", attributes: { "error.type": "Transport", "server.port": 1 } })

      const duration = yield* MetricsTest.find("http.client.request.duration")
      expect(duration).toMatchObject({ type: "histogram", unit: "s" })
      expect(duration!.points.map((point) => point.attributes).sort((a, b) => String(a["server.port"]).localeCompare(String(b["server.port"])))).toEqual([
        {
          "http.request.method": "GET",
          "server.address": "127.0.0.1",
          "server.port": 1,
          "url.scheme": "http",
          "error.type": "Transport"
        },
        {
          "http.request.method": "GET",
          "server.address": "127.0.0.1",
          "server.port": Number(new URL(base).port),
          "url.scheme": "http",
          "http.response.status_code": 503,
          "error.type": "503"
        }
      ])
    }).pipe(Effect.provide(ClientLive), Effect.provide(ObservabilityTest)))
})
