/**
 * The Effect 4 line delivering traces through the engine to a real OTLP receiver on 127.0.0.1,
 * over OTLP/gRPC and OTLP/HTTP: parent/child links, `required`, the start-up line through the
 * app's logger, `Reconfigure`, and a header value that is never printed.
 */
import * as Net from "node:net"
import * as OtelApi from "@opentelemetry/api"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { Observability, Reconfigure } from "../src/index.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())

/** Every line the program logs, formatted as logfmt (message and annotations). */
const capture = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))])
  return { lines, layer }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
const deadPort = () =>
  new Promise<number>((resolve) => {
    const server = Net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

const parentAndChild = (prefix: string) =>
  Effect.gen(function*() {
    yield* Effect.sleep("5 millis").pipe(Effect.withSpan(`${prefix}-child`))
  }).pipe(Effect.withSpan(`${prefix}-parent`))

const checkPair = async (prefix: string) => {
  const parent = await receiver.waitForSpan(`${prefix}-parent`, 10_000)
  const child = await receiver.waitForSpan(`${prefix}-child`, 10_000)
  expect(child.traceId).toBe(parent.traceId)
  expect(child.parentSpanId).toBe(parent.spanId)
  expect(parent.parentSpanId).toBeUndefined()
  expect(parent.resource["service.name"]).toBe("checkout")
  expect(parent.scope.name).toBe("checkout")
  return { parent, child }
}

describe("traces through the engine to a real receiver", () => {
  for (const protocol of ["grpc", "http/protobuf"] as const) {
    it.live(`over ${protocol}, parent/child intact, flushed when the scope closes, the start-up line through the app's logger`, () => {
      const logs = capture()
      const prefix = `explicit-${protocol}`
      const endpoint = protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint
      const observability = Observability.layer({ service: { name: "checkout" }, config: { tracing: { protocol, endpoint } }, variables: {} })
      return Effect.gen(function*() {
        yield* parentAndChild(prefix).pipe(Effect.provide(Layer.provideMerge(observability, logs.layer)))
        const { parent } = yield* Effect.promise(() => checkPair(prefix))
        expect(parent.kind).toBe(1)
        const transport = protocol === "grpc" ? "grpc" : "http"
        expect(receiver.requests().some((r) => r.transport === transport && r.signal === "traces")).toBe(true)
        const display = protocol === "grpc" ? receiver.endpoint : `${receiver.httpEndpoint}/v1/traces`
        expect(logs.lines.some((line) => line.includes(`observability started: traces otlp ${protocol} ${display} (plaintext)`)), logs.lines.join("\n"))
          .toBe(true)
        expect(logs.lines.some((line) => line.includes("traces pipeline shut down") && line.includes("2 spans flushed"))).toBe(true)
      })
    })
  }

  for (const protocol of ["grpc", "http/protobuf"] as const) {
    it.live(`required: true fails startup against a dead endpoint with a named error (${protocol})`, () =>
      Effect.gen(function*() {
        const port = yield* Effect.promise(deadPort)
        const exit = yield* Effect.void.pipe(
          Effect.provide(Observability.layer({
            service: { name: "checkout" },
            config: { tracing: { protocol, endpoint: `http://127.0.0.1:${port}`, required: true, startupProbeTimeout: "1s" } },
            variables: {}
          })),
          Effect.exit
        )
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Exit.isFailure(exit) ? exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error : undefined
        expect(error).toMatchObject({ _tag: "PipelineStartError", signal: "traces" })
        const message = (error as Error).message
        expect(message).toContain("Cannot start the traces pipeline")
        expect(message).toContain(`127.0.0.1:${port}`)
      }))

    it.live(`required: false against a dead endpoint: the program runs (${protocol})`, () =>
      Effect.gen(function*() {
        const port = yield* Effect.promise(deadPort)
        const logs = capture()
        const result = yield* Effect.succeed(42).pipe(
          Effect.withSpan("unsent"),
          Effect.provide(Layer.provideMerge(
            Observability.layer({
              service: { name: "checkout" },
              config: { tracing: { protocol, endpoint: `http://127.0.0.1:${port}`, startupProbeTimeout: "1s" }, metrics: { enabled: false }, shutdownTimeout: "1s" },
              variables: {}
            }),
            logs.layer
          ))
        )
        expect(result).toBe(42)
        // At most the outage's one warning and the shutdown line, which says what was lost and why.
        const warnings = logs.lines.filter((line) => line.includes("level=WARN"))
        expect(warnings.length, warnings.join("\n")).toBeLessThanOrEqual(2)
        const shutdown = warnings.filter((line) => line.includes("traces shutdown: 1 spans not delivered"))
        expect(shutdown, warnings.join("\n")).toHaveLength(1)
        expect(shutdown[0]).toContain(`127.0.0.1:${port}`)
        expect(shutdown[0]).toContain("connection refused")
      }))

    it.live(`required: false with an unusable endpoint: one warning naming it, and the program runs without traces (${protocol})`, () =>
      Effect.gen(function*() {
        const logs = capture()
        const result = yield* Effect.succeed(7).pipe(
          Effect.withSpan("never-exported"),
          Effect.provide(Layer.provideMerge(
            Observability.layer({ service: { name: "checkout" }, config: { tracing: { protocol, endpoint: "ftp://127.0.0.1:1" }, metrics: { enabled: false } }, variables: {} }),
            logs.layer
          ))
        )
        expect(result).toBe(7)
        const warnings = logs.lines.filter((line) => line.includes("level=WARN"))
        expect(warnings, logs.lines.join("\n")).toHaveLength(1)
        expect(warnings[0]).toContain("Cannot start the traces pipeline")
        expect(warnings[0]).toContain("ftp://")
        expect(warnings[0]).toContain("Continuing without traces (required: false)")
      }))
  }

  it.live("a header value is sent but never printed, even when export fails", () =>
    Effect.gen(function*() {
      const canary = "CANARY-e21a-7f3c9d"
      const logs = capture()
      const port = yield* Effect.promise(deadPort)
      const program = parentAndChild("canary")
      // Delivered with the header to the receiver, then a failing endpoint that logs warnings.
      yield* program.pipe(Effect.provide(Layer.provideMerge(
        Observability.layer({
          service: { name: "checkout" },
          config: { tracing: { endpoint: `http://${receiver.endpoint}`, headers: { "x-api-key": canary } } },
          variables: {}
        }),
        logs.layer
      )))
      yield* program.pipe(Effect.provide(Layer.provideMerge(
        Observability.layer({
          service: { name: "checkout" },
          config: {
            tracing: { endpoint: `http://127.0.0.1:${port}`, headers: { "x-api-key": canary }, startupProbeTimeout: "1s" },
            shutdownTimeout: "1s"
          },
          variables: {}
        }),
        logs.layer
      )))
      yield* Effect.promise(() => checkPair("canary"))
      const sent = receiver.requests().filter((r) => r.metadata["x-api-key"] === canary)
      expect(sent.length).toBeGreaterThan(0)
      expect(logs.lines.length).toBeGreaterThan(0)
      expect(logs.lines.filter((line) => line.includes(canary))).toEqual([])
    }))
})

describe("config from OTEL_* variables (what ObservabilityLive reads)", () => {
  for (const protocol of ["grpc", "http/protobuf"] as const) {
    it.live(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME deliver`, () => {
      const logs = capture()
      const prefix = `env-${protocol}`
      const observability = Observability.layer({
        variables: {
          OTEL_SERVICE_NAME: "checkout",
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          // OTLP/HTTP appends /v1/traces to the general endpoint (the OTLP spec's rule).
          OTEL_EXPORTER_OTLP_ENDPOINT: protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint,
          OTEL_BSP_SCHEDULE_DELAY: "not-a-number"
        }
      })
      return Effect.gen(function*() {
        yield* parentAndChild(prefix).pipe(Effect.provide(Layer.provideMerge(observability, logs.layer)))
        yield* Effect.promise(() => checkPair(prefix))
        const transport = protocol === "grpc" ? "grpc" : "http"
        expect(receiver.requests().some((r) => r.transport === transport && r.signal === "traces")).toBe(true)
        // A bad variable is one warning naming it, and the rest of the environment still applies.
        const warned = logs.lines.filter((line) => line.includes("OTEL_BSP_SCHEDULE_DELAY"))
        expect(warned, logs.lines.join("\n")).toHaveLength(1)
        expect(warned[0]).toContain("level=WARN")
      })
    })
  }
})

describe("OpenTelemetry-API interop through the composed layer", () => {
  it.live("a library span joins the Effect trace, and the configured propagator injects the Effect span's context", () => {
    const observability = Observability.layer({
      service: { name: "checkout" },
      config: { tracing: { endpoint: `http://${receiver.endpoint}`, propagators: ["b3"] } },
      variables: {}
    })
    return Effect.gen(function*() {
      const carrier: Record<string, string> = {}
      const effectSpan = yield* Effect.gen(function*() {
        yield* Effect.sync(() => OtelApi.trace.getTracer("library").startActiveSpan("interop-library", (span) => span.end()))
        yield* Effect.sync(() => OtelApi.propagation.inject(OtelApi.context.active(), carrier))
        return yield* Effect.currentSpan
      }).pipe(Effect.withSpan("interop-effect"), Effect.provide(observability))
      expect(carrier["b3"]).toBe(`${effectSpan.traceId}-${effectSpan.spanId}-1`)
      const library = yield* Effect.promise(() => receiver.waitForSpan("interop-library", 10_000))
      const parent = yield* Effect.promise(() => receiver.waitForSpan("interop-effect", 10_000))
      expect(library.parentSpanId).toBe(parent.spanId)
      expect(library.traceId).toBe(parent.traceId)
      expect(library.scope.name).toBe("library")
    })
  })
})

describe("diagnostics through the app's logger, once per episode", () => {
  for (const protocol of ["grpc", "http/protobuf"] as const) {
    it.live(`an outage is one warning and its recovery one line; the spans arrive (${protocol})`, () => {
      const logs = capture()
      const prefix = `outage-${protocol}`
      const endpoint = protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint
      const observability = Observability.layer({
        service: { name: "checkout" },
        config: {
          tracing: {
            protocol,
            endpoint,
            batchTimeout: "10ms",
            retry: { initialBackoff: "20ms", maxBackoff: "40ms" }
          }
        },
        variables: {}
      })
      return Effect.gen(function*() {
        // UNAVAILABLE (gRPC 14) / HTTP 503 for the first three export calls: retried, not dropped.
        receiver.setFault({ signal: "traces", code: 14, httpStatus: 503, message: "collector warming up", times: 3 })
        yield* parentAndChild(prefix)
        yield* Effect.promise(() => checkPair(prefix))
      }).pipe(
        Effect.provide(Layer.provideMerge(observability, logs.layer)),
        Effect.ensuring(Effect.sync(() => receiver.setFault(undefined))),
        Effect.andThen(Effect.sync(() => {
          const failing = logs.lines.filter((line) => line.includes("traces export to") && line.includes("is failing"))
          const recovered = logs.lines.filter((line) => line.includes("traces export recovered"))
          expect(failing, logs.lines.join("\n")).toHaveLength(1)
          expect(failing[0]).toContain("level=WARN")
          expect(failing[0]).toContain("component=observability")
          expect(recovered, logs.lines.join("\n")).toHaveLength(1)
        }))
      )
    })
  }
})

describe("bounded shutdown", () => {
  for (const protocol of ["grpc", "http/protobuf"] as const) {
    it.live(`a collector that never answers delays the end by about the shutdown timeout, and says what was not delivered (${protocol})`, () => {
      const logs = capture()
      const endpoint = protocol === "grpc" ? `http://${receiver.endpoint}` : receiver.httpEndpoint
      const observability = Observability.layer({
        service: { name: "checkout" },
        config: { tracing: { protocol, endpoint, exportTimeout: "30s" }, shutdownTimeout: "1s" },
        variables: {}
      })
      let closing = 0
      return Effect.gen(function*() {
        receiver.setFault({ signal: "traces", delayMs: 20_000 })
        yield* parentAndChild(`hang-${protocol}`).pipe(
          Effect.andThen(Effect.sync(() => void (closing = Date.now()))),
          Effect.provide(Layer.provideMerge(observability, logs.layer))
        )
        const elapsed = Date.now() - closing
        // 1 s timeout (+ 250 ms grace); generous for a loaded machine, far below the 20 s hang.
        expect(elapsed).toBeGreaterThanOrEqual(900)
        expect(elapsed).toBeLessThan(6_000)
        const shutdownLines = logs.lines.filter((line) => line.includes("traces shutdown:"))
        expect(shutdownLines, logs.lines.join("\n")).toHaveLength(1)
        expect(shutdownLines[0]).toContain("level=WARN")
        expect(shutdownLines[0]).toContain("2 spans not delivered")
      }).pipe(Effect.ensuring(Effect.sync(() => receiver.setFault(undefined))))
    })
  }
})

describe("Reconfigure", () => {
  it.live("the sampling ratio and the export switch change at run time: nothing exported while off; a bad ratio is refused by name", () => {
    const logs = capture()
    const observability = Observability.layer({
      service: { name: "checkout" },
      config: { tracing: { endpoint: `http://${receiver.endpoint}`, batchTimeout: "20ms" } },
      variables: {}
    })
    return Effect.gen(function*() {
      yield* Reconfigure.setSamplingRatio(0)
      yield* Effect.void.pipe(Effect.withSpan("reconfigure-off"))
      yield* Reconfigure.setSamplingRatio(1)
      yield* Reconfigure.setExporting("tracing", false)
      yield* Effect.void.pipe(Effect.withSpan("reconfigure-unexported"))
      yield* Reconfigure.setExporting("tracing", true)
      yield* Effect.void.pipe(Effect.withSpan("reconfigure-on"))
      expect(yield* Reconfigure.current).toMatchObject({ samplingRatio: 1, tracingExport: true })
      const refused = yield* Effect.flip(Reconfigure.setSamplingRatio(2))
      expect(refused.message).toContain("tracing.samplingRatio")
    }).pipe(
      Effect.provide(Layer.provideMerge(observability, logs.layer)),
      Effect.andThen(Effect.promise(() => receiver.waitForSpan("reconfigure-on", 10_000))),
      Effect.andThen(Effect.sync(() => {
        expect(receiver.spans().some((span) => span.name === "reconfigure-off")).toBe(false)
        expect(receiver.spans().some((span) => span.name === "reconfigure-unexported")).toBe(false)
        expect(logs.lines.some((line) => line.includes("tracing.enabled changed from true to false"))).toBe(true)
        expect(logs.lines.some((line) => line.includes("tracing.samplingRatio changed from 1 to 0"))).toBe(true)
      }))
    )
  })
})
