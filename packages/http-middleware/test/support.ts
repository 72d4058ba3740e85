/**
 * Test support: the in-memory observability layer, real servers on ephemeral 127.0.0.1 ports,
 * and waiting for telemetry to arrive (server spans end after the response is written, so a test
 * waits for them rather than reading right after the response).
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServer from "@effect/platform/HttpServer"
import { NodeHttpServer } from "@effect/platform-node"
import { expect } from "@effect/vitest"
import type { Propagation } from "@lingo-obs/core"
import { MetricsTest } from "@lingo-obs/metrics"
import { TracingTest } from "@lingo-obs/tracing"
import { Context, type Duration, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { HttpServerMiddleware } from "../src/index.js"

/**
 * What `ObservabilityTest` of `@lingo-obs/observability` is made of; used directly because that
 * package depends on this one, and a test dependency back would make a workspace cycle.
 */
export const ObservabilityTest: Layer.Layer<
  TracingTest.TestSpans | MetricsTest.TestMetrics | Propagation.Propagator
> = Layer.unwrapEffect(
  // Built anew for every test: `TracingTest.layer()` holds its exporter, which a closed scope stops.
  Effect.sync(() => Layer.merge(TracingTest.layer(), MetricsTest.layer()))
)

/** Serves `app` with the middleware on a free port; resolves to its base URL. */
export const serveHttp = <E, R>(
  app: HttpApp.Default<E, R>,
  options?: HttpServerMiddleware.ServeOptions
) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      HttpServerMiddleware.serve(options)(app).pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" }))
      )
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
    return `http://127.0.0.1:${address.port}`
  })

/** A plain `fetch`, so no client instrumentation interferes with what the server sees. */
export const get = (
  url: string,
  headers: Record<string, string> = {}
): Effect.Effect<{ readonly status: number; readonly body: string }> =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    return { status: response.status, body: await response.text() }
  })

/** Polls `probe` every 10 ms until it returns a value; dies after `timeout`. */
export const waitFor = <A, R>(
  probe: Effect.Effect<A | undefined, never, R>,
  what: string,
  timeout: Duration.DurationInput = "5 seconds"
): Effect.Effect<A, never, R> =>
  Effect.gen(function*() {
    while (true) {
      const value = yield* probe
      if (value !== undefined) return value
      yield* Effect.sleep("10 millis")
    }
  }).pipe(
    Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error(`timed out waiting for ${what}`) }),
    Effect.orDie
  )

/** Waits until the spans satisfy `done`, then returns them. */
export const waitForSpans = (
  done: (spans: ReadonlyArray<TracingTest.FinishedSpan>) => boolean,
  what = "spans"
) => waitFor(Effect.map(TracingTest.spans, (spans) => done(spans) ? spans : undefined), what)

/** The points of metric `name` collected now (relative to the last reset). */
export const metricPoints = (name: string) =>
  Effect.map(MetricsTest.find(name), (metric) => metric?.points ?? [])

/** The server spans among `spans`. */
export const serverSpans = (spans: ReadonlyArray<TracingTest.FinishedSpan>) => spans.filter((span) => span.kind === "server")

/**
 * Requests each health path of the server at `base` (each answers 200), then `/users/1`: only that
 * one gets a span and a metric point. Once its span is there, the health requests are done too.
 */
export const expectHealthSkipped = (base: string, healthPaths: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    for (const path of healthPaths) expect((yield* get(`${base}${path}`)).status).toBe(200)
    yield* get(`${base}/users/1`)
    const spans = yield* waitForSpans((spans) => serverSpans(spans).length === 1)
    expect(serverSpans(spans).map((span) => span.name)).toEqual(["GET /users/:id"])
    const points = yield* metricPoints("http.server.request.duration")
    expect(points.map((point) => point.attributes["http.route"])).toEqual(["/users/:id"])
  })
