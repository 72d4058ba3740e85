/**
 * The examples as an operator runs them: two processes running the examples' `main.ts` (what
 * `pnpm example:grpc:effect3` and `pnpm example:http:effect3` start), configured by the environment only, a
 * curl-like request carrying a `traceparent`, then SIGTERM. The receiver must then hold one trace
 * across both processes.
 *
 * The processes are `node --import tsx`, not the `tsx` CLI: the CLI runs the program in a child
 * process and, when that child is slow to acknowledge a relayed SIGTERM (a loaded machine), sends
 * it again and then SIGKILL, which would test tsx rather than the program's shutdown.
 */
import { describe, expect, it } from "@effect/vitest"
import type { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { CLIENT, get, receiver, SERVER } from "./support.js"

const ROOT = fileURLToPath(new URL("../../../", import.meta.url))

interface Running {
  readonly child: ChildProcess
  /** What followed `listening on` in its output. */
  readonly address: string
  readonly output: () => string
}

/** Waits for the process to exit; resolves to its exit code (or the signal that ended it). */
const exited = (child: ChildProcess) =>
  Effect.async<number | NodeJS.Signals>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return resume(Effect.succeed(child.exitCode ?? child.signalCode!))
    }
    child.once("exit", (code, signal) => resume(Effect.succeed(code ?? signal!)))
  })

/** Starts `script` and resolves once it printed its `listening on` line; killed with the scope if still running. */
const start = (script: string, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.async<Running, Error>((resume) => {
      const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@lingo-obs/source", script], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      const collect = (chunk: Buffer) => {
        output += chunk.toString()
        const match = /listening on (\S+)/.exec(output)
        if (match) resume(Effect.succeed({ child, address: match[1]!, output: () => output }))
      }
      child.stdout!.on("data", collect)
      child.stderr!.on("data", collect)
      child.once("exit", (code) => resume(Effect.fail(new Error(`${script} exited (${code}) before listening:\n${output}`))))
    }),
    ({ child }) => child.exitCode === null && child.signalCode === null
      ? Effect.zipRight(Effect.sync(() => child.kill("SIGKILL")), exited(child))
      : Effect.void
  )

const stop = (running: Running) =>
  Effect.zipRight(Effect.sync(() => running.child.kill("SIGTERM")), exited(running.child))

/** The environment an operator sets, per OTLP transport. */
const PROTOCOLS = [
  { name: "OTLP/gRPC", transport: "grpc", environment: (otlp: OtlpReceiver.Receiver) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://${otlp.endpoint}`
  }) },
  { name: "OTLP/HTTP (http/protobuf)", transport: "http", environment: (otlp: OtlpReceiver.Receiver) => ({
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.httpEndpoint
  }) }
] as const

describe.each(PROTOCOLS)("the example processes over $name", (protocol) => {
  const environment = (otlp: OtlpReceiver.Receiver) => ({ ...protocol.environment(otlp), OTEL_METRIC_EXPORT_INTERVAL: "1000" })

  it.scopedLive("curl with a traceparent → one trace across both processes; SIGTERM exits cleanly and flushes", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      const grpc = yield* start("examples/grpc-service/src/main.ts", { ...environment(otlp), GRPC_PORT: "0" })
      expect(grpc.address).toMatch(/^127\.0\.0\.1:\d+$/)
      const http = yield* start("examples/http-service/src/main.ts", {
        ...environment(otlp),
        HTTP_PORT: "0",
        GRPC_TARGET: grpc.address
      })
      expect(http.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

      const traceId = "0af7651916cd43dd8448eb211c80319c"
      const response = yield* get(`${http.address}/users/2`, {
        traceparent: `00-${traceId}-b7ad6b7169203331-01`
      })
      expect(response.status).toBe(200)
      expect((yield* get(`${http.address}/healthz`)).body).toBe("ok")

      expect(yield* stop(http)).toBe(0)
      expect(yield* stop(grpc)).toBe(0)

      const spans = yield* Effect.promise(() =>
        otlp.waitFor(() => {
          const trace = otlp.spans().filter((span) => span.traceId === traceId)
          return trace.length >= 5 && trace
        })
      )
      const byKey = new Map(spans.map((span) => [`${span.kind}:${span.name}`, span]))
      const gatewayServer = byKey.get(`${SERVER}:GET /users/:id`)!
      const grpcClient = byKey.get(`${CLIENT}:lingo.users.v1.UserService/GetUser`)!
      const grpcServer = byKey.get(`${SERVER}:lingo.users.v1.UserService/GetUser`)!
      expect(gatewayServer.parentSpanId).toBe("b7ad6b7169203331")
      expect(byKey.get("1:gateway.fetch-user")!.parentSpanId).toBe(gatewayServer.spanId)
      expect(grpcClient.parentSpanId).toBe(byKey.get("1:gateway.fetch-user")!.spanId)
      expect(grpcServer.parentSpanId).toBe(grpcClient.spanId)
      expect(byKey.get("1:users.find")!.parentSpanId).toBe(grpcServer.spanId)
      expect(new Set(spans.map((span) => span.resource["service.name"]))).toEqual(new Set(["gateway", "users-grpc"]))
      expect(otlp.spans().map((span) => span.name)).not.toContain("GET /healthz")
      expect(new Set(otlp.requests().map((request) => request.transport))).toEqual(new Set([protocol.transport]))
    }), { timeout: 120_000 })
})
