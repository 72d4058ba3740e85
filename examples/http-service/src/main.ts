/**
 * The HTTP gateway; start the gRPC user service first (`pnpm example:grpc:effect3`).
 *
 *   pnpm example:http:effect3          # 127.0.0.1:8080, calls 127.0.0.1:50051
 *   curl -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' http://127.0.0.1:8080/users/1
 *
 * HTTP_PORT, GRPC_TARGET and OTEL_EXPORTER_OTLP_ENDPOINT configure it. Prints one `listening on`
 * line when ready; SIGTERM/SIGINT stop it cleanly, flushing telemetry.
 * Under a process manager that sends SIGTERM to the pid, run it as
 * `node --import tsx --conditions=@lingo-obs/source examples/http-service/src/main.ts`: the `tsx` CLI
 * relays signals to a child process and kills it if it is slow to acknowledge.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Observability } from "@lingo-obs/observability"
import { Config, Effect, Layer } from "effect"
import * as Gateway from "./Gateway.js"

const ObservabilityLive = Observability.layer({ service: { name: "gateway", version: "0.1.0" } })

const HttpLive = Layer.unwrapEffect(
  Effect.map(
    Config.all({
      port: Config.integer("HTTP_PORT").pipe(Config.withDefault(8080)),
      grpcTarget: Config.nonEmptyString("GRPC_TARGET").pipe(Config.withDefault("127.0.0.1:50051"))
    }),
    ({ grpcTarget, port }) => Gateway.layer({ host: "127.0.0.1", port, grpcTarget })
  )
)

Gateway.logListening.pipe(
  Layer.provide(HttpLive),
  Layer.provide(ObservabilityLive),
  Layer.launch,
  NodeRuntime.runMain
)
