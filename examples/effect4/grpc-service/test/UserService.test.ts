/**
 * The Effect 4 user service as a real process (`pnpm example:grpc`'s main.ts on Node 24) exporting
 * over OTLP/gRPC to a real receiver: a call carrying a known `traceparent` gets a server span in
 * that trace with the business span under it and `rpc.*` attributes, the health check gets
 * neither span nor metric, a dead collector never hurts a call, and SIGTERM flushes everything.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Grpc from "@grpc/grpc-js"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { HealthDefinition, UserServiceDefinition } from "../src/Proto.js"

const HERE = Path.dirname(fileURLToPath(import.meta.url))
const ROOT = Path.resolve(HERE, "../../../..")
const MAIN = Path.join(HERE, "../src/main.ts")

let receiver: OtlpReceiver.Receiver
beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())

/** Starts main.ts; resolves with the process and its address once it says it is listening. */
const start = (env: Record<string, string>) =>
  new Promise<{ readonly child: ChildProcess; readonly address: string; readonly output: () => string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@lingo-obs/source", "--import", "tsx", MAIN], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"], GRPC_PORT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`not listening; output:\n${output}`)), 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /users-grpc listening on (\S+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ child, address: match[1]!, output: () => output })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.once("exit", () => reject(new Error(`exited early; output:\n${output}`)))
  })

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once("exit", (code, signal) => resolve({ code, signal }))
  })

/** A plain grpc-js client: the service is called the way any other program would. */
const call = (address: string, definition: Grpc.ServiceDefinition, method: string, request: object, metadata = new Grpc.Metadata()) =>
  new Promise<{ readonly error: Grpc.ServiceError | null; readonly value: unknown }>((resolve) => {
    const Client = Grpc.makeGenericClientConstructor(definition, "client")
    const client = new Client(address, Grpc.credentials.createInsecure())
    ;(client as any)[method](request, metadata, (error: Grpc.ServiceError | null, value: unknown) => {
      client.close()
      resolve({ error, value })
    })
  })

describe("the Effect 4 users-grpc example", () => {
  it("joins the caller's trace, skips the health check, measures by method and flushes on SIGTERM", async () => {
    const service = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${receiver.endpoint}`,
      // Long batch and export intervals: only the SIGTERM flush can deliver in time.
      OTEL_BSP_SCHEDULE_DELAY: "60000",
      OTEL_METRIC_EXPORT_INTERVAL: "60000"
    })
    try {
      const traceId = "0af7651916cd43dd8448eb211c80319c"
      const metadata = new Grpc.Metadata()
      metadata.set("traceparent", `00-${traceId}-b7ad6b7169203331-01`)
      const found = await call(service.address, UserServiceDefinition, "getUser", { id: "3" }, metadata)
      expect(found.value).toMatchObject({ name: "Grace Hopper" })
      const missing = await call(service.address, UserServiceDefinition, "getUser", { id: "42" })
      expect(missing.error?.code).toBe(Grpc.status.NOT_FOUND)
      expect((await call(service.address, HealthDefinition, "check", {})).value).toEqual({ status: "SERVING" })

      service.child.kill("SIGTERM")
      const exit = await exited(service.child)
      // Exited by itself (Effect's runMain ends an interrupted main with 130), not killed.
      expect(exit.signal, service.output()).toBeNull()

      const spans = receiver.spans().filter((span) => span.resource["service.name"] === "users-grpc")
      const server = spans.find((span) => span.traceId === traceId && span.name === "lingo.users.v1.UserService/GetUser")
      expect(server, JSON.stringify(spans.map((span) => span.name))).toBeDefined()
      expect(server!.parentSpanId).toBe("b7ad6b7169203331")
      expect(server!.attributes).toMatchObject({
        "rpc.system": "grpc",
        "rpc.service": "lingo.users.v1.UserService",
        "rpc.method": "GetUser",
        "rpc.grpc.status_code": 0
      })
      const find = spans.find((span) => span.traceId === traceId && span.name === "users.find")
      expect(find?.parentSpanId).toBe(server!.spanId)
      expect(spans.some((span) => span.name.startsWith("grpc.health.v1.Health"))).toBe(false)

      const points = receiver.metrics()
        .filter((metric) => metric.name === "rpc.server.call.duration" && metric.resource["service.name"] === "users-grpc")
        .flatMap((metric) => metric.dataPoints)
      expect(points.map((point) => [point.attributes["rpc.method"], point.attributes["rpc.status_code"]]).sort()).toEqual([
        ["lingo.users.v1.UserService/GetUser", "NOT_FOUND"],
        ["lingo.users.v1.UserService/GetUser", "OK"]
      ])
    } finally {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill("SIGKILL")
    }
  })

  it("answers calls while its collector is down, and still exits promptly on SIGTERM", async () => {
    // A port nothing listens on: every export fails.
    const dead = await OtlpReceiver.start()
    const deadEndpoint = `http://${dead.endpoint}`
    await dead.stop()
    const service = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: deadEndpoint })
    try {
      for (let i = 0; i < 5; i++) {
        const startedAt = Date.now()
        const found = await call(service.address, UserServiceDefinition, "getUser", { id: "1" })
        expect(found.value).toMatchObject({ name: "Ada Lovelace" })
        // Generous (a loaded machine), but far below any export timeout or retry delay.
        expect(Date.now() - startedAt).toBeLessThan(2_000)
      }
      const signalledAt = Date.now()
      service.child.kill("SIGTERM")
      const exit = await exited(service.child)
      expect(exit.signal).toBeNull()
      // Bounded by the 5 s shutdown timeout; a loaded machine gets the rest.
      expect(Date.now() - signalledAt).toBeLessThan(10_000)
    } finally {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill("SIGKILL")
    }
  })
})
