/**
 * gRPC clients (`@grpc/grpc-js`) whose calls are Effects: `dial` returns a client with one method
 * per RPC of the service, for every kind of call: a unary call is an Effect, a server-streaming
 * call a Stream; a client-streaming call takes the requests as a Stream and is an Effect, a
 * bidirectional one takes a Stream and is a Stream. Each call gets a client span
 * `package.Service/Method` with the `rpc.*` attributes and `rpc.grpc.status_code`, an
 * `rpc.message` event per message of a streaming call (with its size), the span's context and the
 * current baggage are injected into the metadata with the configured propagator, and
 * `rpc.client.call.duration` is recorded.
 *
 * A non-OK status fails the Effect with a `GrpcStatusError`. Interrupting the Effect (or stopping
 * to consume the Stream) cancels the call; a timeout (per call, or a default per client) becomes
 * the call's gRPC deadline, which the server sees too.
 *
 * @example
 * ```ts
 * import { GrpcClient } from "@lingo-obs/http-middleware"
 *
 * interface UsersClient {
 *   readonly getUser: GrpcClient.Unary<{ id: string }, User>
 *   readonly listUsers: GrpcClient.ServerStreaming<{}, User>
 *   readonly importUsers: GrpcClient.ClientStreaming<User, { count: number }>
 *   readonly chat: GrpcClient.BidiStreaming<Message, Message>
 * }
 * const users = yield* GrpcClient.dial<UsersClient>(UserServiceDefinition, "127.0.0.1:50051", { timeout: "2 seconds" })
 * const user = yield* users.getUser({ id: "1" })
 * const { count } = yield* users.importUsers(Stream.fromIterable(newUsers))
 * const replies = yield* Stream.runCollect(users.chat(Stream.make({ text: "hi" }, { text: "bye" })))
 * ```
 */
import * as Grpc from "@grpc/grpc-js"
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import type { TextMapPropagator } from "@opentelemetry/api"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import type * as GrpcStatus from "./GrpcStatus.js"
import { definitionOf, type ServiceInput, targetAddress } from "./internal/grpc.js"
import {
  bidiStreamingMethod,
  type CallOptions,
  type ClientContext,
  clientStreamingMethod,
  serverStreamingMethod,
  unaryMethod
} from "./internal/grpcClientCall.js"
import * as Skipper from "./Skipper.js"

export type { CallOptions } from "./internal/grpcClientCall.js"

/** A unary method of a client. */
export type Unary<Req, Res> = (request: Req, options?: CallOptions) => Effect.Effect<Res, GrpcStatus.GrpcStatusError>

/** A server-streaming method of a client. */
export type ServerStreaming<Req, Res> = (
  request: Req,
  options?: CallOptions
) => Stream.Stream<Res, GrpcStatus.GrpcStatusError>

/**
 * A client-streaming method of a client: the requests as a Stream (a failure of it cancels the
 * call and fails the Effect with it), the one response as an Effect.
 */
export type ClientStreaming<Req, Res> = <E = never, R = never>(
  requests: Stream.Stream<Req, E, R>,
  options?: CallOptions
) => Effect.Effect<Res, GrpcStatus.GrpcStatusError | E, R>

/**
 * A bidirectional-streaming method of a client: the requests as a Stream, sent as the responses
 * come; a failure of the requests cancels the call and fails the responses with it.
 */
export type BidiStreaming<Req, Res> = <E = never, R = never>(
  requests: Stream.Stream<Req, E, R>,
  options?: CallOptions
) => Stream.Stream<Res, GrpcStatus.GrpcStatusError | E, R>

/** A client whose methods are not typed (the shape `dial` returns unless told otherwise). */
export type Untyped = Readonly<Record<string, (request: any, options?: CallOptions) => any>>

/** Options of `dial`. */
export interface Options {
  /** Default: plaintext (`credentials.createInsecure()`). */
  readonly credentials?: Grpc.ChannelCredentials | undefined
  readonly channelOptions?: Grpc.ChannelOptions | undefined
  /** The default deadline of every call, from its start; default: none. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Replaces the configured propagator (`Propagation.Propagator`) for injection. */
  readonly propagator?: TextMapPropagator | undefined
  /** Calls to make without a span and without metrics; replaces `Skipper.defaultGrpc`. */
  readonly skipper?: Skipper.GrpcSkipper | undefined
  /** The Effect tracer that creates the client spans; default: the program's tracer. */
  readonly tracer?: Tracer.Tracer | undefined
}

const METHODS = {
  unary: unaryMethod,
  server_streaming: serverStreamingMethod,
  client_streaming: clientStreamingMethod,
  bidi_streaming: bidiStreamingMethod
} as const

/**
 * Dials `target` and returns a client whose methods (named like the service's, in both their
 * proto and camel-case forms) are Effects (unary, client-streaming) or Streams (server-streaming,
 * bidirectional). The channel is
 * closed when the scope closes. Type the client with a type argument listing its methods.
 *
 * @example
 * ```ts
 * const users = yield* GrpcClient.dial<UsersClient>(UserServiceDefinition, process.env.GRPC_TARGET ?? "127.0.0.1:50051")
 * const user = yield* users.getUser({ id: "1" }, { timeout: "500 millis" })
 * ```
 */
export const dial = <Client extends object = Untyped>(
  service: ServiceInput,
  target: string,
  options: Options = {}
): Effect.Effect<Client, never, Scope.Scope> =>
  Effect.gen(function*() {
    const definition = definitionOf(service)
    const client = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new Grpc.Client(target, options.credentials ?? Grpc.credentials.createInsecure(), options.channelOptions)
      ),
      (client) => Effect.sync(() => client.close())
    )
    const address = targetAddress(target)
    const context: ClientContext = {
      client,
      timeout: options.timeout,
      propagator: options.propagator,
      tracer: options.tracer,
      skipper: options.skipper ?? Skipper.defaultGrpc,
      server: { host: address.host, port: address.port }
    }
    const methods: Record<string, unknown> = {}
    for (const [key, method] of Object.entries(definition)) {
      const call = METHODS[RpcSemConv.callKind(method)](method, context)
      methods[key] = call
      if (method.originalName !== undefined) methods[method.originalName] = call
    }
    return methods as Client
  })
