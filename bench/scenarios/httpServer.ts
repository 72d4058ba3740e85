/**
 * Scenario 2 (HTTP server overhead): a hello-world server on 127.0.0.1 and a free port, one
 * variant per process; the load generator runs in another. It emits `listening` with the port,
 * serves until the orchestrator writes `stop`, closes (flushing telemetry) and reports.
 *
 * Variants:
 * - `effect-plain-off`: @effect/platform-node, HttpRouter with one route, `HttpServer.serve` with
 *   the platform's own tracer switched off (the floor);
 * - `effect-plain`: the same with the platform's tracer on (Effect's default tracer, nothing
 *   exported), what a service gets without any observability set-up;
 * - `effect-nodesdk`: `effect-plain` with `@effect/opentelemetry`'s `NodeSdk.layer` (BatchSpanProcessor,
 *   OTLP/gRPC exporter): the platform's tracer exporting through the OpenTelemetry SDK;
 * - `effect-toolkit`: the same router through `HttpServerMiddleware.serve()` (server span per
 *   request, request metrics) with `Observability.layer` exporting traces and metrics;
 * - `node-plain`: `node:http` answering "hello";
 * - `node-otel`: the same with the OpenTelemetry Node SDK (NodeTracerProvider, BatchSpanProcessor,
 *   OTLP/gRPC exporter) and `@opentelemetry/instrumentation-http`, registered before `node:http` loads.
 */
import type * as NodeHttp from "node:http"
import { createRequire } from "node:module"
import { event, exit, mark, onCommand, params, result, waitForCommand } from "../lib/protocol.js"

type Variant = "effect-plain-off" | "effect-plain" | "effect-nodesdk" | "effect-toolkit" | "node-plain" | "node-otel"

interface Params {
  readonly variant: Variant
  readonly endpoint: string
  readonly batch: import("../lib/peers.js").Batch
}

const p = params<Params>()
const BODY = "hello"
// The orchestrator says when the load generator measures, so a CPU profile can be cut to it and
// the server's CPU counted over the same window (start-up and shutdown left out).
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

const addressPort = (server: NodeHttp.Server): number => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the server has no TCP address")
  return address.port
}

const runNode = async (instrumented: boolean) => {
  let shutdown = async () => {}
  if (instrumented) {
    const { registerInstrumentations } = await import("@opentelemetry/instrumentation")
    const { HttpInstrumentation } = await import("@opentelemetry/instrumentation-http")
    const { sdkProvider } = await import("../lib/peers.js")
    const provider = sdkProvider(p.endpoint, p.batch)
    registerInstrumentations({ instrumentations: [new HttpInstrumentation()], tracerProvider: provider })
    shutdown = async () => {
      await provider.forceFlush().catch(() => {})
      await provider.shutdown().catch(() => {})
    }
  }
  // Loaded through `require` after the instrumentation is registered, so require-in-the-middle
  // patches it, as in a service that loads its SDK first (`--import ./otel.js`).
  const http = createRequire(import.meta.url)("node:http") as typeof NodeHttp
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/plain", "content-length": BODY.length })
    response.end(BODY)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  event("listening", { port: addressPort(server) })
  await waitForCommand("stop")
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  const closing = process.hrtime.bigint()
  await shutdown()
  return { closeMillis: Number(process.hrtime.bigint() - closing) / 1e6 }
}

const runEffect = async (variant: Variant) => {
  const toolkit = variant === "effect-toolkit"
  const { HttpMiddleware, HttpRouter, HttpServer, HttpServerResponse } = await import("@effect/platform")
  const { NodeHttpServer } = await import("@effect/platform-node")
  const Effect = await import("effect/Effect")
  const Layer = await import("effect/Layer")
  const { createServer } = await import("node:http")
  const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text(BODY)))
  let served
  if (toolkit) {
    const { HttpServerMiddleware } = await import("@lingo-obs/http-middleware")
    served = router.pipe(HttpServerMiddleware.serve())
  } else if (variant === "effect-plain-off") {
    served = HttpMiddleware.withTracerDisabledWhen(HttpServer.serve(router), () => true)
  } else {
    served = HttpServer.serve(router)
  }
  const ServerLive = NodeHttpServer.layer(() => createServer({ keepAliveTimeout: 60_000 }), { port: 0, host: "127.0.0.1" })
  const base = Layer.provideMerge(served, ServerLive)
  let app: import("effect/Layer").Layer<import("@effect/platform").HttpServer.HttpServer, unknown> = base
  if (toolkit) {
    const { toolkitLayer } = await import("../lib/toolkit.js")
    app = Layer.provide(base, toolkitLayer(p.endpoint, { metrics: true }))
  } else if (variant === "effect-nodesdk") {
    const { nodeSdkLayer } = await import("../lib/peers.js")
    app = Layer.provide(base, nodeSdkLayer(p.endpoint, p.batch))
  }
  let bodyEnd = 0n
  await Effect.runPromise(
    Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      if (server.address._tag !== "TcpAddress") return yield* Effect.die("not a TCP server")
      event("listening", { port: server.address.port })
      yield* Effect.promise(() => waitForCommand("stop"))
      bodyEnd = process.hrtime.bigint()
    }).pipe(Effect.provide(app), Effect.orDie)
  )
  return { closeMillis: Number(process.hrtime.bigint() - bodyEnd) / 1e6 }
}

const main = async () => {
  const cpu = process.cpuUsage()
  const measured = p.variant === "node-plain" || p.variant === "node-otel"
    ? await runNode(p.variant === "node-otel")
    : await runEffect(p.variant)
  const used = process.cpuUsage(cpu)
  result({
    variant: p.variant,
    ...measured,
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
