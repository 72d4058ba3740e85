/**
 * The user service on a free port with observability exporting to a real OTLP receiver, and
 * clients for it, all in one scope; closing it stops the server and flushes the telemetry.
 */
import { GrpcClient, GrpcServer } from "@lingo-obs/http-middleware"
import { type Config, Observability } from "@lingo-obs/observability"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Context, Effect, Layer } from "effect"
import { HealthDefinition, type HealthCheckResponse, type User, UserServiceDefinition } from "../src/Proto.js"
import * as UserService from "../src/UserService.js"

export const receiver = Effect.acquireRelease(
  Effect.promise(() => OtlpReceiver.start()),
  (receiver) => Effect.promise(() => receiver.stop())
)

export interface Clients {
  readonly users: { readonly getUser: GrpcClient.Unary<{ readonly id: string }, User> }
  readonly health: { readonly check: GrpcClient.Unary<{}, HealthCheckResponse> }
}

/**
 * Runs `use` with clients of the service. The service and the clients share one observability
 * layer (as one program would), so the clients follow the same metrics settings.
 */
export const withService = <A, E>(
  receiver: OtlpReceiver.Receiver,
  metrics: NonNullable<Config.ObservabilityConfigInput["metrics"]>,
  use: (clients: Clients) => Effect.Effect<A, E>
) =>
  Effect.scoped(Effect.gen(function*() {
    const server = Context.get(yield* Layer.build(UserService.layer()), GrpcServer.GrpcServer)
    const users = yield* GrpcClient.dial<Clients["users"]>(UserServiceDefinition, server.address)
    const health = yield* GrpcClient.dial<Clients["health"]>(HealthDefinition, server.address)
    return yield* use({ users, health })
  })).pipe(
    Effect.provide(Observability.layer({
      service: { name: "users-grpc", version: "0.0.0-test" },
      config: {
        tracing: { endpoint: `http://${receiver.endpoint}`, insecure: true },
        metrics: { endpoint: `http://${receiver.endpoint}`, insecure: true, interval: "1s", ...metrics }
      }
    })),
    Effect.orDie
  )

export const dataPoints = (receiver: OtlpReceiver.Receiver, name: string) =>
  receiver.metrics().filter((metric) => metric.name === name).flatMap((metric) => metric.dataPoints)
