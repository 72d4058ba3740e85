/**
 * The HTTP gateway on Effect 4; start the gRPC user service first (`pnpm example:grpc`).
 *
 *   pnpm example:http                  # 127.0.0.1:8080, calls 127.0.0.1:50051 (Node 24 via npx)
 *   curl -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' http://127.0.0.1:8080/users/1
 *
 * HTTP_PORT, GRPC_TARGET and OTEL_EXPORTER_OTLP_ENDPOINT configure it. Prints one `listening on`
 * line when ready; SIGTERM/SIGINT stop it cleanly, flushing telemetry.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Observability } from "lingo-obs"
import * as Gateway from "./Gateway.js"

const ObservabilityLive = Observability.layer({ service: { name: "gateway", version: "0.1.0" } })

const HttpLive = Layer.unwrap(
  Effect.map(
    Config.all({
      port: Config.Int("HTTP_PORT").pipe(Config.withDefault(8080)),
      grpcTarget: Config.String("GRPC_TARGET").pipe(Config.withDefault("127.0.0.1:50051"))
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
