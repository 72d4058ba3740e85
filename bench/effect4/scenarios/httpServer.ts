/**
 * Effect 4, HTTP server overhead: one route, `GET /users/:id` answering "hello", served by
 * `@effect/platform-node` on 127.0.0.1 and a free port, one variant per process; the load generator
 * runs in another. It emits `listening` with the port, serves until the orchestrator writes `stop`,
 * closes (flushing telemetry) and reports its CPU over the load generator's measured window.
 *
 * `api`: `router` (`HttpRouter.add`) or `httpapi` (an `HttpApi` with one endpoint, a string path
 * parameter and a string success schema). Both served by `HttpRouter.serve` with the request logger
 * off (the default logs a line per request, which would swamp what is measured).
 *
 * Variants:
 * - `plain-off`: the platform's tracer switched off (`HttpMiddleware.TracerDisabledWhen`): the floor;
 * - `plain`: the platform's tracer on (Effect's own tracer, nothing exported);
 * - `otlp`: `plain` exporting through `effect/observability` `Otlp.layerProtobuf` (traces, and its
 *   metrics and logs exporters as `Otlp.layer` installs them);
 * - `nodesdk`: `plain` exporting through `@effect/opentelemetry` 4 `NodeSdk.layer` (traces);
 * - `lingo-obs`: lingo-obs's server middleware (`lingo-obs/http`: span `GET /users/:id`, request
 *   metrics) with `Observability.layer` exporting traces and metrics.
 */
import { createServer } from "node:http"
import { event, exit, mark, onCommand, params, result, waitForCommand } from "../../lib/protocol.js"
import type { Batch, Endpoints, Variant } from "../lib/setups.js"

interface Params {
  readonly variant: "plain-off" | "plain" | Extract<Variant, "lingo-obs" | "otlp" | "nodesdk">
  readonly api: "router" | "httpapi"
  readonly endpoints: Endpoints
  readonly batch: Batch
}

const p = params<Params>()
const BODY = "hello"
// The server's CPU over the load generator's measured window (start-up and shutdown left out).
let windowCpu: NodeJS.CpuUsage | undefined
let windowCpuMicros: number | undefined
onCommand("window-start", () => {
  mark("windowStart")
  windowCpu = process.cpuUsage()
})
onCommand("window-end", () => {
  mark("windowEnd")
  if (windowCpu === undefined) return
  const used = process.cpuUsage(windowCpu)
  windowCpuMicros = used.user + used.system
})

const main = async () => {
  const cpu = process.cpuUsage()
  const Effect = await import("effect/Effect")
  const Layer = await import("effect/Layer")
  const { HttpMiddleware, HttpRouter, HttpServer, HttpServerResponse } = await import("effect/http")
  const { NodeHttpServer } = await import("@effect/platform-node")
  const { layerOf } = await import("../lib/setups.js")

  let routes: import("effect/Layer").Layer<never, never, import("effect/http").HttpRouter.HttpRouter>
  if (p.api === "router") {
    routes = HttpRouter.add("GET", "/users/:id", HttpServerResponse.text(BODY))
  } else {
    const { Schema } = await import("effect")
    const { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } = await import("effect/http-api")
    const Api = HttpApi.make("bench").add(
      HttpApiGroup.make("users").add(
        HttpApiEndpoint.get("user", "/users/:id", { params: { id: Schema.String }, success: Schema.String })
      )
    )
    const Users = HttpApiBuilder.group(Api, "users", (handlers) => handlers.handle("user", () => Effect.succeed(BODY)))
    routes = HttpApiBuilder.layer(Api).pipe(Layer.provide(Users), Layer.provide(NodeHttpServer.layerHttpServices)) as typeof routes
  }

  const serveOptions = { disableLogger: true, disableListenLog: true }
  const serve = p.variant === "lingo-obs"
    ? (await import("lingo-obs/http")).HttpServerMiddleware.serve(routes, serveOptions)
    : HttpRouter.serve(routes, serveOptions)
  const ServerLive = NodeHttpServer.layer(() => createServer({ keepAliveTimeout: 60_000 }), { port: 0, host: "127.0.0.1" })
  let app: import("effect/Layer").Layer<import("effect/http").HttpServer.HttpServer, unknown> = Layer.provideMerge(serve, ServerLive)
  if (p.variant === "plain-off") {
    app = app.pipe(Layer.provide(Layer.succeed(HttpMiddleware.TracerDisabledWhen)(() => true)))
  } else if (p.variant !== "plain") {
    app = app.pipe(Layer.provide(await layerOf(p.variant, p.endpoints, { batch: p.batch, metrics: true })))
  }
  let bodyEnd = 0n
  await Effect.runPromise(
    Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      if (server.address._tag === "UnixPathAddress") return yield* Effect.die("not a TCP server")
      event("listening", { port: server.address.port })
      yield* Effect.promise(() => waitForCommand("stop"))
      bodyEnd = process.hrtime.bigint()
    }).pipe(Effect.provide(app), Effect.orDie)
  )
  const closeMillis = Number(process.hrtime.bigint() - bodyEnd) / 1e6
  const used = process.cpuUsage(cpu)
  result({
    variant: p.variant,
    api: p.api,
    closeMillis,
    cpuSeconds: (used.user + used.system) / 1e6,
    windowCpuMicros,
    rssMB: process.memoryUsage.rss() / 2 ** 20
  })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
