/**
 * gRPC servers (`@grpc/grpc-js`) whose handlers are Effects, on Effect 4: unary and
 * client-streaming handlers return an Effect, server-streaming and bidirectional ones a Stream,
 * and all run on the program's runtime (its services, its tracer, its logger). Each call gets a
 * server span `package.Service/Method` with the `rpc.*` attributes, `rpc.grpc.status_code` and a
 * `message` event per message received and sent (with its size), parented on the context
 * extracted from the metadata with the configured propagator (`Propagation.Propagator`), and
 * `rpc.server.call.duration` is recorded.
 *
 * A handler chooses the status by failing with a `GrpcStatusError`; any other failure answers
 * UNKNOWN and a defect INTERNAL, with a message that reveals nothing, and the cause is logged.
 * Nothing a handler does can crash the server. The client cancelling the call (or its deadline
 * passing) interrupts the handler. The health check `/grpc.health.v1.Health/Check` is skipped by
 * default: no span, and a metric only with `metrics.grpcIncludeHealth`.
 *
 * @example
 * ```ts
 * import { GrpcServer, GrpcStatus } from "lingo-obs/grpc"
 *
 * const users = GrpcServer.service(UserServiceDefinition, {
 *   getUser: GrpcServer.unary((request: { id: string }) =>
 *     lookup(request.id).pipe(Effect.mapError(() => GrpcStatus.notFound(`no user ${request.id}`)))),
 *   listUsers: GrpcServer.serverStreaming((_: {}) => Stream.fromIterable(allUsers))
 * })
 * const GrpcLive = GrpcServer.layer([users], { port: 50051 }).pipe(Layer.provide(ObservabilityLive))
 * ```
 */
import * as Grpc from "@grpc/grpc-js"
import * as Skipper from "@lingo-obs/otlp/Skipper"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import { callKind, type CallKind, definitionOf, methodKey, type ServiceInput } from "./internal/grpc.js"
import {
  type BidiStreamingHandler,
  Call,
  type CallInfo,
  type ClientStreamingHandler,
  type Handler,
  handlerFunction,
  type Requests,
  type RunFork,
  type ServeContext,
  type ServerStreamingHandler,
  type UnaryHandler
} from "./internal/serverCall.js"

export {
  type BidiStreamingHandler,
  Call,
  type CallInfo,
  type ClientStreamingHandler,
  type Handler,
  type Requests,
  type ServerStreamingHandler,
  type UnaryHandler
} from "./internal/serverCall.js"

/**
 * A unary handler. Fail with a `GrpcStatusError` to answer a status other than OK.
 *
 * @example
 * ```ts
 * GrpcServer.unary((request: GetUserRequest) => Effect.succeed({ id: request.id, name: "Ada" }))
 * ```
 */
export const unary = <Req, Res, E, R>(
  handle: (request: Req, call: CallInfo) => Effect.Effect<Res, E, R>
): UnaryHandler<Exclude<R, Call>> => ({ _tag: "Unary", handle: handle as UnaryHandler<Exclude<R, Call>>["handle"] })

/**
 * A server-streaming handler; each element of the stream is one response message, written with
 * the transport's backpressure. A failure of the stream ends the call with its status.
 *
 * @example
 * ```ts
 * GrpcServer.serverStreaming((_: ListUsersRequest) => Stream.fromIterable(users))
 * ```
 */
export const serverStreaming = <Req, Res, E, R>(
  handle: (request: Req, call: CallInfo) => Stream.Stream<Res, E, R>
): ServerStreamingHandler<Exclude<R, Call>> => ({
  _tag: "ServerStreaming",
  handle: handle as ServerStreamingHandler<Exclude<R, Call>>["handle"]
})

/**
 * A client-streaming handler: it reads the request messages as a Stream (ending when the client
 * half-closes) and answers once. Answering before the stream has ended is allowed.
 *
 * @example
 * ```ts
 * GrpcServer.clientStreaming((requests: GrpcServer.Requests<{ n: number }>) =>
 *   Stream.runFold(requests, () => 0, (sum, { n }) => sum + n).pipe(Effect.map((sum) => ({ sum }))))
 * ```
 */
export const clientStreaming = <Req, Res, E, R>(
  handle: (requests: Requests<Req>, call: CallInfo) => Effect.Effect<Res, E, R>
): ClientStreamingHandler<Exclude<R, Call>> => ({
  _tag: "ClientStreaming",
  handle: handle as ClientStreamingHandler<Exclude<R, Call>>["handle"]
})

/**
 * A bidirectional handler: request messages in as a Stream, response messages out as a Stream;
 * the call ends (OK) when the response stream ends, or with the status of its failure.
 *
 * @example
 * ```ts
 * GrpcServer.bidiStreaming((requests: GrpcServer.Requests<{ text: string }>) =>
 *   Stream.map(requests, ({ text }) => ({ text: text.toUpperCase() })))
 * ```
 */
export const bidiStreaming = <Req, Res, E, R>(
  handle: (requests: Requests<Req>, call: CallInfo) => Stream.Stream<Res, E, R>
): BidiStreamingHandler<Exclude<R, Call>> => ({
  _tag: "BidiStreaming",
  handle: handle as BidiStreamingHandler<Exclude<R, Call>>["handle"]
})

/** A service definition with its handlers. */
export interface ServiceImplementation<R> {
  readonly definition: Grpc.ServiceDefinition
  /** Keyed by the method names of the definition (`GetUser`) or their camel-case form (`getUser`). */
  readonly handlers: Readonly<Record<string, Handler<R>>>
}

/** The services a handler needs. */
export type HandlerContext<H> = H extends Handler<infer R> ? R : never

/**
 * Pairs a service definition (from `@grpc/proto-loader`, or a generated client constructor) with
 * its handlers. Methods without a handler answer UNIMPLEMENTED.
 *
 * @example
 * ```ts
 * const health = GrpcServer.service(HealthDefinition, {
 *   Check: GrpcServer.unary(() => Effect.succeed({ status: "SERVING" }))
 * })
 * ```
 */
export const service = <const H extends Readonly<Record<string, Handler<any>>>>(
  definition: ServiceInput,
  handlers: H
): ServiceImplementation<HandlerContext<H[keyof H]>> => ({ definition: definitionOf(definition), handlers })

/** Options of the server. */
export interface Options {
  /** Where to listen; default `127.0.0.1` (never all interfaces unless asked). */
  readonly host?: string | undefined
  /** Default 0: a free port, readable from the `GrpcServer` service. */
  readonly port?: number | undefined
  /** Default: plaintext (`ServerCredentials.createInsecure()`). */
  readonly credentials?: Grpc.ServerCredentials | undefined
  readonly serverOptions?: Grpc.ServerOptions | undefined
  /** Replaces the configured propagator (`Propagation.Propagator`) for extraction. */
  readonly propagator?: TextMapPropagator | undefined
  /** Calls to leave alone (no span, no metric); replaces `Skipper.defaultGrpc`. */
  readonly skipper?: Skipper.GrpcSkipper | undefined
  /** The Effect tracer that creates the server spans; default: the program's tracer. */
  readonly tracer?: Tracer.Tracer | undefined
  /** How long closing the scope waits for calls in flight before cancelling them; default 5 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
}

/** A running server. */
export interface RunningServer {
  readonly server: Grpc.Server
  readonly host: string
  readonly port: number
  /** `host:port`, the target a client dials. */
  readonly address: string
}

/** The running server, provided by `layer`. */
export class GrpcServer extends Context.Service<GrpcServer, RunningServer>()("lingo-obs/grpc/GrpcServer") {}

/** The server could not listen (port taken, bad credentials). */
export class GrpcServeError extends Data.TaggedError("GrpcServeError")<{
  readonly address: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `gRPC server cannot listen on ${this.address}: ${
      this.cause instanceof Error ? this.cause.message : String(this.cause)
    }`
  }
}

const HANDLER_FOR: Record<CallKind, { readonly tag: Handler<unknown>["_tag"]; readonly constructor: string; readonly name: string }> = {
  unary: { tag: "Unary", constructor: "unary", name: "unary" },
  server_streaming: { tag: "ServerStreaming", constructor: "serverStreaming", name: "server-streaming" },
  client_streaming: { tag: "ClientStreaming", constructor: "clientStreaming", name: "client-streaming" },
  bidi_streaming: { tag: "BidiStreaming", constructor: "bidiStreaming", name: "bidirectional" }
}

/** The definition with pass-through (de)serializers and the handlers for grpc-js. */
const implementation = <R>(
  service: ServiceImplementation<R>,
  runFork: RunFork<R>,
  context: ServeContext
): Effect.Effect<{ readonly definition: Grpc.ServiceDefinition; readonly handlers: Grpc.UntypedServiceImplementation }> =>
  Effect.gen(function*() {
    const handlers: Grpc.UntypedServiceImplementation = {}
    const definition: Record<string, Grpc.MethodDefinition<unknown, unknown>> = {}
    const original = service.definition
    for (const [key, method] of Object.entries(original)) {
      definition[key] = { ...method, requestDeserialize: (buffer: Buffer) => buffer, responseSerialize: (buffer: any) => buffer }
    }
    for (const [name, handler] of Object.entries(service.handlers)) {
      const key = methodKey(original, name)
      const method = key === undefined ? undefined : original[key]
      if (key === undefined || method === undefined) {
        return yield* Effect.die(
          new Error(`GrpcServer: "${name}" is not a method of the service (methods: ${Object.keys(original).join(", ")})`)
        )
      }
      const expected = HANDLER_FOR[callKind(method)]
      if (handler._tag !== expected.tag) {
        return yield* Effect.die(
          new Error(`GrpcServer: ${method.path} is ${expected.name}; use GrpcServer.${expected.constructor} for its handler`)
        )
      }
      handlers[key] = handlerFunction(method, handler, runFork, context)
    }
    return { definition, handlers }
  })

/** Graceful first (calls in flight may finish), then forced once `timeout` has passed. */
const shutdown = (server: Grpc.Server, timeout: Duration.Input) =>
  Effect.callback<void>((resume) => server.tryShutdown(() => resume(Effect.void))).pipe(
    Effect.timeoutOption(timeout),
    Effect.andThen(Effect.sync(() => server.forceShutdown()))
  )

const hostPort = (host: string, port: number) => `${host.includes(":") ? `[${host}]` : host}:${port}`

/**
 * Starts a server in the current scope; closing the scope stops it (calls in flight get
 * `shutdownTimeout` to finish).
 *
 * @example
 * ```ts
 * const { address } = yield* GrpcServer.make([users], { port: 0 })
 * ```
 */
export const make = <R>(
  services: ReadonlyArray<ServiceImplementation<R>>,
  options: Options = {}
): Effect.Effect<RunningServer, GrpcServeError, R | Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const context: ServeContext = {
      options,
      skipper: options.skipper ?? Skipper.defaultGrpc,
      server: { host, port: undefined }
    }
    const runFork: RunFork<R> = yield* FiberSet.makeRuntime<R>()
    const server = yield* Effect.acquireRelease(
      Effect.sync(() => new Grpc.Server(options.serverOptions)),
      (server) => shutdown(server, options.shutdownTimeout ?? Duration.seconds(5))
    )
    for (const service of services) {
      const { definition, handlers } = yield* implementation(service, runFork, context)
      server.addService(definition, handlers)
    }
    const address = hostPort(host, options.port ?? 0)
    const port = yield* Effect.callback<number, GrpcServeError>((resume) =>
      server.bindAsync(address, options.credentials ?? Grpc.ServerCredentials.createInsecure(), (error, port) =>
        resume(error === null ? Effect.succeed(port) : Effect.fail(new GrpcServeError({ address, cause: error }))))
    )
    context.server.port = port
    return { server, host, port, address: hostPort(host, port) }
  })

/**
 * The server as a layer: listening once the layer is built, stopped when its scope closes.
 *
 * @example
 * ```ts
 * const GrpcLive = GrpcServer.layer([users, health], { port: 50051 }).pipe(Layer.provide(ObservabilityLive))
 * ```
 */
export const layer = <R>(
  services: ReadonlyArray<ServiceImplementation<R>>,
  options: Options = {}
): Layer.Layer<GrpcServer, GrpcServeError, R> => Layer.effect(GrpcServer, make(services, options))
