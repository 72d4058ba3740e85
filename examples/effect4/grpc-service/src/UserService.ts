/**
 * The user service on Effect 4: business logic written with `Effect.withSpan`, exposed over gRPC
 * with `lingo-obs/grpc`'s `GrpcServer`. Everything here is importable by tests; `main.ts` only
 * picks the port and runs.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { GrpcServer, GrpcStatus } from "lingo-obs/grpc"
import type { GetUserRequest, HealthCheckResponse, ListUsersRequest, User } from "./Proto.js"
import { HealthDefinition, UserServiceDefinition } from "./Proto.js"

const USERS: ReadonlyArray<User> = [
  { id: "1", name: "Ada Lovelace", email: "ada@example.com" },
  { id: "2", name: "Alan Turing", email: "alan@example.com" },
  { id: "3", name: "Grace Hopper", email: "grace@example.com" }
]

/** Looks a user up, as a business span. */
export const findUser = (id: string): Effect.Effect<User, GrpcStatus.GrpcStatusError> =>
  Effect.gen(function*() {
    if (id.trim() === "") return yield* GrpcStatus.invalidArgument("id must not be empty")
    // Stands in for a database query.
    yield* Effect.sleep("2 millis")
    const user = USERS.find((user) => user.id === id)
    if (user === undefined) return yield* GrpcStatus.notFound(`user ${id} does not exist`)
    yield* Effect.logInfo(`found user ${id}`)
    return user
  }).pipe(Effect.withSpan("users.find", { attributes: { "app.user.id": id } }))

/** `lingo.users.v1.UserService`. */
export const UserService = GrpcServer.service(UserServiceDefinition, {
  getUser: GrpcServer.unary((request: GetUserRequest) => findUser(request.id)),
  listUsers: GrpcServer.serverStreaming((request: ListUsersRequest) =>
    Stream.fromIterable(USERS).pipe(Stream.take(request.limit ? request.limit : USERS.length))
  )
})

/** `grpc.health.v1.Health`: always serving. The middleware skips it (no span, no metric by default). */
export const HealthService = GrpcServer.service(HealthDefinition, {
  check: GrpcServer.unary((): Effect.Effect<HealthCheckResponse> => Effect.succeed({ status: "SERVING" }))
})

/** The server with both services, listening on `host:port` (127.0.0.1 and a free port by default). */
export const layer = (options: { readonly host?: string; readonly port?: number } = {}) =>
  GrpcServer.layer([UserService, HealthService], options)

/** Logs the one line that says the server is ready. */
export const logListening = Layer.effectDiscard(
  Effect.flatMap(Effect.service(GrpcServer.GrpcServer), (server) => Effect.logInfo(`users-grpc listening on ${server.address}`))
)
