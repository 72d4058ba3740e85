/**
 * A `Connect` over the engine's own transports (`@lingo-obs/otlp` `OtlpGrpc` / `OtlpHttp`), for
 * tests, until `export/Transports.connect` opens them itself (it still says "pending e20t" on
 * this branch). Only what a test against a local receiver needs: the endpoint, protocol and
 * timeout of the signal's config.
 */
import * as Endpoint from "@lingo-obs/otlp/Endpoint"
import * as OtlpGrpc from "@lingo-obs/otlp/OtlpGrpc"
import * as OtlpHttp from "@lingo-obs/otlp/OtlpHttp"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { Connect } from "../../src/export/ExportPipeline.js"
import { PipelineStartError } from "../../src/Required.js"

export const connectEngine: Connect = (signal, config) =>
  Effect.try({
    try: () => {
      const target = Endpoint.target(signal, config)
      const connection = {
        protocol: config.protocol,
        endpoint: config.endpoint,
        insecure: config.insecure,
        headers: config.headers,
        compression: config.compression,
        exportTimeoutMillis: Duration.toMillis(config.exportTimeout)
      }
      const transport = config.protocol === "grpc"
        ? OtlpGrpc.transport(signal, { ...connection, endpoint: target.authority, insecure: !target.tls })
        : OtlpHttp.transport(signal, connection)
      return { transport, display: target.display, server: `${target.tls ? "https" : "http"}://${target.authority}` }
    },
    catch: (cause) => new PipelineStartError({ signal, endpoint: config.endpoint ?? "default", reason: String(cause), cause })
  })
