/**
 * The HTTP gateway: routes on `@effect/platform`'s `HttpRouter`, served with the toolkit's HTTP
 * server middleware, calling the gRPC user service through an instrumented `GrpcClient`. One
 * request to `GET /users/:id` yields one trace: gateway server span → `gateway.fetch-user` →
 * gRPC client span → gRPC server span (in users-grpc) → `users.find`.
 *
 * Everything here is importable by tests; `main.ts` only reads the ports and runs.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { NodeHttpServer } from "@effect/platform-node"
import { Proto } from "@lingo-obs/example-grpc-service"
import { GrpcClient, GrpcStatus, HttpServerMiddleware } from "@lingo-obs/http-middleware"
import { Context, Data, Effect, Layer, Stream } from "effect"
import { createServer } from "node:http"

/** The gRPC user service as the gateway calls it. */
export interface UsersApi {
  readonly getUser: GrpcClient.Unary<Proto.GetUserRequest, Proto.User>
  readonly listUsers: GrpcClient.ServerStreaming<Proto.ListUsersRequest, Proto.User>
}

export class Users extends Context.Tag("@lingo-obs/example-http-service/Users")<Users, UsersApi>() {}

/** Dials the user service at `target`; the channel closes with the layer. */
export const usersLayer = (target: string): Layer.Layer<Users> =>
  Layer.scoped(Users, GrpcClient.dial<UsersApi>(Proto.UserServiceDefinition, target, { timeout: "2 seconds" }))

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
  HttpServerResponse.json({ error: error.message, grpcStatus: error.codeName }, { status: httpStatusOf(error) })

const getUser = Effect.gen(function*() {
  const { id } = yield* HttpRouter.params
  const users = yield* Users
  yield* Effect.logInfo(`fetching user ${id}`)
  const user = yield* users.getUser({ id: id ?? "" }).pipe(
    Effect.withSpan("gateway.fetch-user", { attributes: { "app.user.id": id } })
  )
  return yield* HttpServerResponse.json(user)
}).pipe(Effect.catchTag("GrpcStatusError", fromGrpcError))

const listUsers = Effect.gen(function*() {
  const users = yield* Users
  const all = yield* Stream.runCollect(users.listUsers({ limit: 0 })).pipe(Effect.withSpan("gateway.list-users"))
  return yield* HttpServerResponse.json([...all])
}).pipe(Effect.catchTag("GrpcStatusError", fromGrpcError))

const orders = Effect.fail(new OrdersUnavailable({ message: "the orders service is not part of this example" }))

/** The gateway's routes. */
export const router = HttpRouter.empty.pipe(
  HttpRouter.get("/users/:id", getUser),
  HttpRouter.get("/users", listUsers),
  HttpRouter.get("/orders", orders),
  HttpRouter.get("/healthz", HttpServerResponse.text("ok"))
)

/** The gateway served on `host:port` (127.0.0.1 and a free port by default), calling `grpcTarget`. */
export const layer = (options: {
  readonly grpcTarget: string
  readonly host?: string | undefined
  readonly port?: number | undefined
}) =>
  router.pipe(
    HttpServerMiddleware.serve(),
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
