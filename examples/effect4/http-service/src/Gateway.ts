/**
 * The HTTP gateway on Effect 4: routes on `effect/http`'s `HttpRouter`, served with
 * `lingo-obs/http`'s server middleware, calling the gRPC user service through `lingo-obs/grpc`'s
 * client. One request to `GET /users/:id` yields one trace: gateway server span →
 * `gateway.fetch-user` → gRPC client span → gRPC server span (in users-grpc) → `users.find`.
 *
 * Everything here is importable by tests; `main.ts` only reads the ports and runs.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Proto } from "@lingo-obs/example-effect4-grpc-service"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { GrpcClient, GrpcStatus } from "lingo-obs/grpc"
import { HttpServerMiddleware } from "lingo-obs/http"
import { createServer } from "node:http"

/** The gRPC user service as the gateway calls it. */
export interface UsersApi {
  readonly getUser: GrpcClient.Unary<Proto.GetUserRequest, Proto.User>
  readonly listUsers: GrpcClient.ServerStreaming<Proto.ListUsersRequest, Proto.User>
}

export class Users extends Context.Service<Users, UsersApi>()("@lingo-obs/example-effect4-http-service/Users") {}

/** Dials the user service at `target`; the channel closes with the layer. */
export const usersLayer = (target: string): Layer.Layer<Users> =>
  Layer.effect(Users)(GrpcClient.dial<UsersApi>(Proto.UserServiceDefinition, target, { timeout: "2 seconds" }))

/** A dependency the `/orders` route needs and never gets: the route that answers 500. */
export class OrdersUnavailable extends Data.TaggedError("OrdersUnavailable")<{ readonly message: string }> {}

/** How a gRPC status reads to an HTTP client. */
const httpStatusOf = (error: GrpcStatus.GrpcStatusError): number => {
  switch (error.code) {
    case GrpcStatus.Code.NOT_FOUND:
      return 404
    case GrpcStatus.Code.INVALID_ARGUMENT:
      return 400
    case GrpcStatus.Code.DEADLINE_EXCEEDED:
      return 504
    case GrpcStatus.Code.UNAVAILABLE:
      return 503
    default:
      return 502
  }
}

const fromGrpcError = (error: GrpcStatus.GrpcStatusError) =>
  Effect.succeed(
    HttpServerResponse.jsonUnsafe({ error: error.message, grpcStatus: error.codeName }, { status: httpStatusOf(error) })
  )

const getUser = Effect.gen(function*() {
  const { id } = yield* HttpRouter.params
  const users = yield* Users
  yield* Effect.logInfo(`fetching user ${id}`)
  const user = yield* users.getUser({ id: id ?? "" }).pipe(
    Effect.withSpan("gateway.fetch-user", { attributes: { "app.user.id": id } })
  )
  return HttpServerResponse.jsonUnsafe(user)
}).pipe(Effect.catchTag("GrpcStatusError", fromGrpcError))

const listUsers = Effect.gen(function*() {
  const users = yield* Users
  const all = yield* Stream.runCollect(users.listUsers({ limit: 0 })).pipe(Effect.withSpan("gateway.list-users"))
  return HttpServerResponse.jsonUnsafe([...all])
}).pipe(Effect.catchTag("GrpcStatusError", fromGrpcError))

const orders = Effect.fail(new OrdersUnavailable({ message: "the orders service is not part of this example" }))

/** The gateway's routes: layers that register themselves on the router `serve` provides. */
export const Routes = Layer.mergeAll(
  HttpRouter.add("GET", "/users/:id", getUser),
  HttpRouter.add("GET", "/users", listUsers),
  HttpRouter.add("GET", "/orders", orders),
  HttpRouter.add("GET", "/healthz", HttpServerResponse.text("ok"))
)

/** The gateway served on `host:port` (127.0.0.1 and a free port by default), calling `grpcTarget`. */
export const layer = (options: {
  readonly grpcTarget: string
  readonly host?: string | undefined
  readonly port?: number | undefined
}) =>
  HttpServerMiddleware.serve(Routes, { disableListenLog: true }).pipe(
    Layer.provide(usersLayer(options.grpcTarget)),
    Layer.provideMerge(NodeHttpServer.layer(() => createServer(), {
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 0
    }))
  )

/** Logs the one line that says the gateway is ready. */
export const logListening = Layer.effectDiscard(
  HttpServer.addressFormattedWith((address) => Effect.logInfo(`gateway listening on ${address}`))
)
