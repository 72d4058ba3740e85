/**
 * End-to-end support: the real OTLP receiver, and both Effect 4 example services started in this
 * process, each with its own `Observability.layer` (its own service name) exporting to the
 * receiver. Closing the scope stops the services and flushes their telemetry, so once
 * `withServices` has returned everything is at the receiver: no sleeps.
 */
import { UserService } from "@lingo-obs/example-effect4-grpc-service"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpServer from "effect/http/HttpServer"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import { type Config, Observability } from "lingo-obs"
import { GrpcServer } from "lingo-obs/grpc"
import { Gateway } from "../src/index.js"

/** A receiver on a free port, stopped with the scope. */
export const receiver = Effect.acquireRelease(
  Effect.promise(() => OtlpReceiver.start({ host: "127.0.0.1" })),
  (receiver) => Effect.promise(() => receiver.stop())
)

/** Observability for one service, exporting to `receiver` in plaintext (`endpoint` overrides where to). */
export const observability = (
  name: string,
  receiver: OtlpReceiver.Receiver,
  overrides: {
    readonly endpoint?: string | undefined
    readonly metrics?: NonNullable<Config.ObservabilityConfigInput["metrics"]> | undefined
  } = {}
): Layer.Layer<Observability.Services, Observability.StartupError> => {
  const endpoint = overrides.endpoint ?? `http://${receiver.endpoint}`
  return Observability.layer({
    service: { name, version: "0.0.0-test" },
    config: {
      tracing: { endpoint, batchTimeout: "10ms" },
      metrics: { endpoint, interval: "1h", ...overrides.metrics },
      shutdownTimeout: "5s"
    },
    variables: {}
  })
}

/**
 * Runs `use` against the gateway (its base URL) and the user service (its address), both on free
 * ports, then stops them, which flushes their spans and metrics to the receiver. Each service has
 * a metric registry of its own, as two processes would.
 */
export const withServices = <A, E>(
  receiver: OtlpReceiver.Receiver,
  use: (services: { readonly gateway: string; readonly grpc: string }) => Effect.Effect<A, E>,
  overrides: { readonly gatewayEndpoint?: string } = {}
): Effect.Effect<A, E> =>
  Effect.scoped(Effect.gen(function*() {
    const grpc = Context.get(
      yield* Layer.build(UserService.layer().pipe(Layer.provide(observability("users-grpc", receiver)))).pipe(
        Effect.provideService(Metric.MetricRegistry, new Map())
      ),
      GrpcServer.GrpcServer
    )
    const http = Context.get(
      yield* Layer.build(
        Gateway.layer({ grpcTarget: grpc.address }).pipe(
          Layer.provide(observability("gateway", receiver, { endpoint: overrides.gatewayEndpoint }))
        )
      ).pipe(Effect.provideService(Metric.MetricRegistry, new Map())),
      HttpServer.HttpServer
    )
    const port = http.address._tag === "UnixPathAddress" ? 0 : http.address.port
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
