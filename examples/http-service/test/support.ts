/**
 * End-to-end support: the real OTLP receiver, and both example services started in this process,
 * each with its own `Observability.layer` (its own service name) exporting to the receiver.
 * Closing the scope stops the services and flushes their telemetry, so once `withServices` has
 * returned everything is at the receiver: no sleeps.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import { UserService } from "@lingo-obs/example-grpc-service"
import { GrpcServer } from "@lingo-obs/http-middleware"
import { type Config, Observability } from "@lingo-obs/observability"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Context, Effect, Layer } from "effect"
import { Gateway } from "../src/index.js"

/** A receiver on a free port, stopped with the scope. */
export const receiver = Effect.acquireRelease(
  Effect.promise(() => OtlpReceiver.start()),
  (receiver) => Effect.promise(() => receiver.stop())
)

/** Observability for one service, exporting to `receiver` in plaintext. */
export const observability = (
  name: string,
  receiver: OtlpReceiver.Receiver,
  metrics: NonNullable<Config.ObservabilityConfigInput["metrics"]> = {}
) =>
  Observability.layer({
    service: { name, version: "0.0.0-test" },
    config: {
      tracing: { endpoint: `http://${receiver.endpoint}`, insecure: true },
      metrics: { endpoint: `http://${receiver.endpoint}`, insecure: true, interval: "1s", ...metrics }
    }
  })

/**
 * Runs `use` against the gateway (its base URL) and the user service (its address), both on free
 * ports, then stops them, which flushes their spans and metrics to the receiver.
 */
export const withServices = <A, E>(
  receiver: OtlpReceiver.Receiver,
  use: (services: { readonly gateway: string; readonly grpc: string }) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.scoped(Effect.gen(function*() {
    const grpc = Context.get(
      yield* Layer.build(UserService.layer().pipe(Layer.provide(observability("users-grpc", receiver)))),
      GrpcServer.GrpcServer
    )
    const http = Context.get(
      yield* Layer.build(
        Gateway.layer({ grpcTarget: grpc.address }).pipe(Layer.provide(observability("gateway", receiver)))
      ),
      HttpServer.HttpServer
    )
    const port = http.address._tag === "TcpAddress" ? http.address.port : 0
    return yield* use({ gateway: `http://127.0.0.1:${port}`, grpc: grpc.address })
  })).pipe(Effect.orDie)

/** A plain `fetch` (no client instrumentation between the test and the gateway). */
export const get = (
  url: string,
  headers: Record<string, string> = {}
): Effect.Effect<{ readonly status: number; readonly body: string }> =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    return { status: response.status, body: await response.text() }
  })

/** Every data point of metric `name` the receiver got, with its attributes. */
export const dataPoints = (receiver: OtlpReceiver.Receiver, name: string) =>
  receiver.metrics().filter((metric) => metric.name === name).flatMap((metric) => metric.dataPoints)

/** OTLP span kinds. */
export const SERVER = 2
export const CLIENT = 3
/** OTLP status codes. */
export const STATUS_ERROR = 2
