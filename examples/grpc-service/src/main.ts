/**
 * The gRPC user service.
 *
 *   pnpm example:grpc:effect3                           # 127.0.0.1:50051, telemetry to OTEL_EXPORTER_OTLP_ENDPOINT
 *   GRPC_PORT=50052 OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 pnpm example:grpc:effect3
 *
 * Prints one `listening on` line when ready; SIGTERM/SIGINT stop it cleanly, flushing telemetry.
 * Under a process manager that sends SIGTERM to the pid, run it as
 * `node --import tsx --conditions=@lingo-obs/source examples/grpc-service/src/main.ts`: the `tsx` CLI
 * relays signals to a child process and kills it if it is slow to acknowledge.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Observability } from "@lingo-obs/observability"
import { Config, Effect, Layer } from "effect"
import * as UserService from "./UserService.js"

const ObservabilityLive = Observability.layer({ service: { name: "users-grpc", version: "0.1.0" } })

const GrpcLive = Layer.unwrapEffect(
  Effect.map(
    Config.integer("GRPC_PORT").pipe(Config.withDefault(50051)),
    (port) => UserService.layer({ host: "127.0.0.1", port })
  )
)

UserService.logListening.pipe(
  Layer.provide(GrpcLive),
  Layer.provide(ObservabilityLive),
  Layer.launch,
  NodeRuntime.runMain
)
