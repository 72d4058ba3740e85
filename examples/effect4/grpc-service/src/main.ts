/**
 * The gRPC user service on Effect 4.
 *
 *   pnpm example:grpc                                   # 127.0.0.1:50051, telemetry to OTEL_EXPORTER_OTLP_ENDPOINT
 *   GRPC_PORT=50052 OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 pnpm example:grpc
 *
 * Prints one `listening on` line when ready; SIGTERM/SIGINT stop it cleanly, flushing telemetry.
 * It runs on Node 24 (`npx -p node@24`, what the root script does), as the Effect 4 line needs.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Observability } from "lingo-obs"
import * as UserService from "./UserService.js"

const ObservabilityLive = Observability.layer({ service: { name: "users-grpc", version: "0.1.0" } })

const GrpcLive = Layer.unwrap(
  Effect.map(
    Config.Int("GRPC_PORT").pipe(Config.withDefault(50051)),
    (port) => UserService.layer({ host: "127.0.0.1", port })
  )
)

UserService.logListening.pipe(
  Layer.provide(GrpcLive),
  Layer.provide(ObservabilityLive),
  Layer.launch,
  NodeRuntime.runMain
)
