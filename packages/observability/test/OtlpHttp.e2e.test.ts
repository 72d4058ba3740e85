/**
 * OTLP/HTTP end to end: the three signals in protobuf and JSON to the receiver's HTTP endpoint,
 * with headers, gzip and TLS; the server's `Retry-After` (HTTP-date too) and partial success;
 * and what a service with no configuration at all tries.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect, Metric } from "effect"
import { Observability, SelfMetrics, TestLogger } from "../src/index.js"
import { fastRetry, runCapturing, toolkitLines, withEnv } from "./support.js"

let receiver: OtlpReceiver.Receiver

beforeAll(async () => {
  receiver = await OtlpReceiver.start()
})
afterAll(() => receiver.stop())
beforeEach(async () => {
  if (!receiver.listening) await receiver.restart()
  receiver.reset()
})

const promise = <A>(evaluate: () => Promise<A>) => Effect.promise(evaluate)

/** One counter per protocol: Effect's metrics are global, and a counter is cumulative. */
const ordersName = (protocol: string) => `http_e2e_orders_${protocol.replace("/", "_")}`

const work = (protocol: string) =>
  Effect.gen(function*() {
    yield* Effect.logInfo("order placed").pipe(Effect.withSpan("place-order"))
    yield* Metric.increment(Metric.counter(ordersName(protocol)))
  }).pipe(Effect.withSpan("checkout"))

describe.each(["http/protobuf", "http/json"] as const)("OTLP/HTTP in %s", (protocol) => {
  it.live("delivers spans, metrics and log records, with the configured headers and gzip", () =>
    Effect.gen(function*() {
      const connection = { protocol, endpoint: receiver.httpEndpoint, headers: { "x-tenant": "acme" }, compression: "gzip" }
      const layer = Observability.layer({
        service: { name: "http-e2e" },
        config: {
          tracing: connection,
          metrics: { ...connection, interval: "60s", disableRuntimeStats: true },
          logs: { ...connection, enabled: true }
        }
      })
      yield* runCapturing(layer, work(protocol))

      const spans = yield* promise(() => receiver.waitForSpans(2))
      const root = spans.find((span) => span.name === "checkout")!
      expect(spans.find((span) => span.name === "place-order")!.parentSpanId).toBe(root.spanId)
      expect(root.resource["service.name"]).toBe("http-e2e")
      const counter = yield* promise(() => receiver.waitForMetric(ordersName(protocol)))
      expect(counter.dataPoints[0]!.value).toBe(1)
      const records = yield* promise(() => receiver.waitFor(() => receiver.logs().some((log) => log.body === "order placed") && receiver.logs()))
      expect(records.find((log) => log.body === "order placed")).toMatchObject({ traceId: root.traceId })

      const requests = receiver.requests()
      expect(new Set(requests.map((request) => request.signal))).toEqual(new Set(["traces", "metrics", "logs"]))
      for (const request of requests) {
        expect(request).toMatchObject({
          transport: "http",
          encoding: protocol === "http/json" ? "json" : "protobuf",
          httpStatus: 200
        })
        expect(request.metadata).toMatchObject({ "x-tenant": "acme", "content-encoding": "gzip" })
      }
    }))

  it.live("a partial success is read from the body: rejected items counted, not exported", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", rejected: 3, rejectedMessage: "too old" })
      const metric = (outcome: string) => SelfMetrics.value("lingo_obs.exporter.items", { signal: "traces", outcome })
      const rejectedBefore = metric("rejected")
      const layer = Observability.layer({
        config: { tracing: { protocol, endpoint: receiver.httpEndpoint, maxExportBatchSize: 10 }, metrics: { enabled: false } }
      })
      const { lines } = yield* runCapturing(
        layer,
        Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], (i) => Effect.void.pipe(Effect.withSpan(`s-${i}`)), { discard: true })
      )
      expect(metric("rejected") - rejectedBefore).toBe(3)
      expect(toolkitLines(lines, "WARN").map((line) => line.message).join("\n")).toContain("too old")
    }))
})

describe("OTLP/HTTP failures", () => {
  const tracingOnly = (tracing: Record<string, unknown> = {}) =>
    Observability.layer({
      service: { name: "http-failures" },
      config: {
        tracing: { protocol: "http/protobuf", endpoint: receiver.httpEndpoint, batchTimeout: "20ms", retry: fastRetry, ...tracing },
        metrics: { enabled: false }
      }
    })

  it.live("503 with an HTTP-date Retry-After: the server's delay is honoured, then everything arrives", () =>
    Effect.gen(function*() {
      const retryAfter = new Date(Date.now() + 2_000).toUTCString()
      receiver.setFault({ signal: "traces", httpStatus: 503, retryAfter, times: 1 })
      const started = Date.now()
      const { lines } = yield* runCapturing(tracingOnly({ retry: { ...fastRetry, maxBackoff: "5s" } }), Effect.void.pipe(Effect.withSpan("late")))
      const warning = toolkitLines(lines, "WARN")[0]!
      expect(warning.message).toContain("HTTP 503")
      expect(warning.message).toContain("as the server asked")
      expect(receiver.spans().map((span) => span.name)).toEqual(["late"])
      // The date is 2 s ahead at one second's resolution: at least 1 s was waited.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000)
    }))

  it.live("a 400 is permanent: one error line naming the status, nothing retried", () =>
    Effect.gen(function*() {
      receiver.setFault({ signal: "traces", httpStatus: 400, message: "malformed" })
      const { lines } = yield* runCapturing(tracingOnly(), Effect.void.pipe(Effect.withSpan("bad")))
      const errors = toolkitLines(lines, "ERROR")
      expect(errors.map((line) => line.message)).toEqual([
        expect.stringContaining("traces export permanent failure: HTTP 400 (malformed)")
      ])
      expect(receiver.stats().traces).toBe(1)
    }))

  it.live("a 404 names the URL and says the endpoint path is used as-is", () =>
    Effect.gen(function*() {
      const endpoint = `${receiver.httpEndpoint}/not/otlp`
      const { lines } = yield* runCapturing(tracingOnly({ endpoint }), Effect.void.pipe(Effect.withSpan("lost")))
      const error = toolkitLines(lines, "ERROR")[0]!
      expect(error.message).toContain("HTTP 404")
      expect(error.message).toContain(`is ${endpoint} the collector's OTLP/HTTP path?`)
    }))
})

describe("OTLP/HTTP over TLS", () => {
  it.live.skipIf(!hasOpenssl())("https:// with the collector's CA file: delivered; without it: named as an untrusted certificate", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "otlp-http-tls-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(directory, { recursive: true, force: true })))
      const { cert, key } = selfSignedCertificate(directory)
      const secure = yield* Effect.acquireRelease(
        Effect.promise(() => OtlpReceiver.start({ tls: { cert, key } })),
        (started) => Effect.promise(() => started.stop())
      )
      const caFile = join(directory, "ca.pem")
      writeFileSync(caFile, cert)
      const endpoint = `https://localhost:${secure.httpPort}`
      const layer = (tracing: Record<string, unknown>) =>
        Observability.layer({
          config: { tracing: { protocol: "http/protobuf", endpoint, retry: { enabled: false }, ...tracing }, metrics: { enabled: false } }
        })
      yield* runCapturing(layer({ certificate: caFile }), Effect.void.pipe(Effect.withSpan("secure")))
      expect(secure.spans().map((span) => span.name)).toEqual(["secure"])
      expect(secure.requests()[0]).toMatchObject({ transport: "http" })

      const { lines } = yield* runCapturing(layer({}), Effect.void.pipe(Effect.withSpan("untrusted")))
      const messages = [...toolkitLines(lines, "WARN"), ...toolkitLines(lines, "ERROR")].map((line) => line.message).join("\n")
      expect(messages).toMatch(/self[- ]signed certificate/i)
      expect(secure.spans().map((span) => span.name)).toEqual(["secure"])
    }).pipe(Effect.scoped))

  it.effect("mutual TLS needs both files: half a pair stops a required pipeline, naming the fields", () =>
    Effect.gen(function*() {
      const layer = Observability.layer({
        config: {
          tracing: { protocol: "http/protobuf", endpoint: "https://collector.invalid", clientKey: "/nonexistent/key.pem", required: true },
          metrics: { enabled: false }
        }
      })
      const error = yield* Effect.flip(Effect.scoped(Effect.provide(Effect.void, layer)))
      expect(error.message).toContain("cannot read clientKey")
    }))
})

describe("a fresh service with no configuration", () => {
  it.live("tries http://localhost:4317 in plaintext over gRPC for every signal", () =>
    Effect.gen(function*() {
      const capture = TestLogger.make()
      // Started and stopped at once: whatever listens on 4317 here (or nothing) does not matter.
      yield* runCapturing(
        Observability.layer({ service: { name: "fresh" }, config: { metrics: { disableRuntimeStats: true } } }),
        Effect.void,
        capture
      ).pipe(withEnv({}))
      const started = capture.lines.find((line) => line.message.startsWith("observability started"))!
      expect(started.message).toContain("traces otlp grpc localhost:4317 (plaintext)")
      expect(started.message).toContain("metrics otlp grpc localhost:4317 (plaintext)")
    }))
})

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** A throwaway certificate for localhost that is its own trust root. */
function selfSignedCertificate(directory: string): { cert: Buffer; key: Buffer } {
  const [certPath, keyPath] = [join(directory, "cert.pem"), join(directory, "key.pem")]
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
      .concat(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyPath, "-out", certPath]),
    { stdio: "ignore" }
  )
  return { cert: readFileSync(certPath), key: readFileSync(keyPath) }
}
