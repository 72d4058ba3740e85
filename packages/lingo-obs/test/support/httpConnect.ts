/**
 * A test's stand-in for the engine's OTLP transports while they move into `@lingo-obs/otlp`
 * (branch e20t): OTLP/HTTP protobuf with Node's `fetch` to a receiver's HTTP endpoint. Only what
 * the pipeline reads is classified (2xx ok; 429/502/503/504 and refused connections retryable).
 */
import type { Signal, Transport } from "@lingo-obs/otlp/Transport"
import * as Effect from "effect/Effect"
import type { Connect } from "../../src/export/ExportPipeline.js"

const PATHS: Record<Signal, string> = { traces: "/v1/traces", metrics: "/v1/metrics", logs: "/v1/logs" }

export const httpTransport = (origin: string, signal: Signal): Transport => {
  const url = `${origin}${PATHS[signal]}`
  return {
    endpoint: url,
    send: async (request) => {
      try {
        const response = await fetch(url, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: request })
        await response.arrayBuffer()
        if (response.ok) return { ok: true }
        return {
          ok: false,
          retryable: [429, 502, 503, 504].includes(response.status),
          code: response.status,
          status: `HTTP ${response.status}`,
          message: response.statusText
        }
      } catch (cause) {
        return { ok: false, retryable: true, code: 0, status: "UNAVAILABLE", message: String(cause), unreachable: true }
      }
    },
    probe: async () => {},
    awaitReconnect: async () => false,
    close: () => {}
  }
}

/** Every signal to `origin` over OTLP/HTTP protobuf. */
export const connectHttp = (origin: string): Connect => (signal) =>
  Effect.succeed({ transport: httpTransport(origin, signal), display: origin, server: origin })
