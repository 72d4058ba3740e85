/**
 * gRPC servers (`@grpc/grpc-js`) whose handlers are Effects, on Effect 4: unary and
 * client-streaming handlers return an Effect, server-streaming and bidirectional ones a Stream,
 * and all run on the program's runtime (its services, its tracer, its logger). Each call gets a
 * server span `package.Service/Method` with the `rpc.*` attributes, `rpc.grpc.status_code` and a
 * `message` event per message received and sent (with its size), parented on the context
 * extracted from the metadata with the registered propagator, and `rpc.server.call.duration` is
 * recorded.
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
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as Skipper from "@lingo-obs/otlp/Skipper"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as Instrumentation from "../Instrumentation.js"
import { extract, globalPropagator, IncomingContext } from "../internal/propagation.js"
import * as GrpcStatus from "./GrpcStatus.js"
import {
  callKind,
  type CallKind,
  deadlinePassed,
  definitionOf,
  describePath,
  metadataGetter,
  methodKey,
  rpcAttributes,
  type ServiceInput
} from "./internal/grpc.js"
import { messageEvents, readStream, write } from "./internal/messages.js"
import * as RpcMetrics from "./RpcMetrics.js"

/** What a handler knows about the call it serves. */
export interface CallInfo {
  /** `/package.Service/Method`. */
  readonly path: string
  /** `package.Service`. */
  readonly service: string
  /** `Method`. */
  readonly method: string
  /** The request metadata (headers). */
  readonly metadata: Grpc.Metadata
  /** The client's address, `host:port`. */
  readonly peer: string
  /** The client's deadline; `Infinity` when it set none. */
  readonly deadline: Grpc.Deadline
}

/** The call being served, also available to handlers as a service. */
export class Call extends Context.Service<Call, CallInfo>()("lingo-obs/grpc/GrpcServer/Call") {}

/** The stream of request messages a client-streaming or bidirectional handler reads. */
export type Requests<Req> = Stream.Stream<Req, GrpcStatus.GrpcStatusError>

/** A unary handler: one request, one response. */
export interface UnaryHandler<R> {
  readonly _tag: "Unary"
  readonly handle: (request: any, call: CallInfo) => Effect.Effect<unknown, unknown, R>
}

/** A server-streaming handler: one request, a stream of responses. */
export interface ServerStreamingHandler<R> {
  readonly _tag: "ServerStreaming"
  readonly handle: (request: any, call: CallInfo) => Stream.Stream<unknown, unknown, R>
}

/** A client-streaming handler: a stream of requests, one response. */
export interface ClientStreamingHandler<R> {
  readonly _tag: "ClientStreaming"
  readonly handle: (requests: Requests<any>, call: CallInfo) => Effect.Effect<unknown, unknown, R>
}

/** A bidirectional handler: a stream of requests, a stream of responses. */
export interface BidiStreamingHandler<R> {
  readonly _tag: "BidiStreaming"
  readonly handle: (requests: Requests<any>, call: CallInfo) => Stream.Stream<unknown, unknown, R>
}

export type Handler<R> = UnaryHandler<R> | ServerStreamingHandler<R> | ClientStreamingHandler<R> | BidiStreamingHandler<R>

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
  /** Replaces the registered propagator (`tracing.propagators`) for extraction. */
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

interface ServeContext {
  readonly options: Options
  readonly skipper: Skipper.GrpcSkipper
  /** Set once bound. */
  server: { host: string; port: number | undefined }
}

/** The server span, or none when the call is skipped (it then runs under the extracted parent). */
const startSpan = (info: CallInfo, parent: Tracer.ExternalSpan | undefined, context: ServeContext) => {
  const span = Effect.makeSpan(describePath(info.path).name, {
    kind: "server",
    ...(parent === undefined ? { root: true } : { parent }),
    attributes: {
      ...rpcAttributes(info.path),
      ...RpcSemConv.serverAttributes(context.server.host, context.server.port),
      ...RpcSemConv.peerAttributes(info.peer)
    }
  })
  const tracer = context.options.tracer
  return tracer === undefined ? span : Effect.provideService(Tracer.Tracer)(span, tracer)
}

/**
 * Serves one call: extracts the context, opens the span and runs `body` on it (`body` gets the
 * call's message events to record what it reads and writes); maps its exit to the status to
 * answer, ends the span and records the duration. Never fails; the exit and status are for the
 * transport to send.
 */
const serveCall = <A, E, R>(
  info: CallInfo,
  kind: CallKind,
  body: (messages: RpcSemConv.MessageEvents) => Effect.Effect<A, E, R>,
  context: ServeContext,
  cancelled: () => boolean
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly status: GrpcStatus.Status }, never, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const settings = yield* Instrumentation.Settings
      const clock = yield* Clock.Clock
      const traced = !context.skipper(info.path)
      const measured = Skipper.isGrpcHealthCheck(info.path) ? settings.grpcIncludeHealth : traced
      const extracted = extract(context.options.propagator ?? globalPropagator, info.metadata, metadataGetter)
      const startTime = clock.currentTimeNanosUnsafe()
      const span = traced ? yield* startSpan(info, extracted.parent, context) : undefined
      const parent = span ?? extracted.parent
      const logged = Effect.tapCause(body(messageEvents(span, clock, kind)), (cause) => {
        const status = GrpcStatus.fromExit(Exit.failCause(cause))
        return status.kind === "failure" || status.kind === "defect"
          ? Effect.logError(`${info.path} failed; answered ${GrpcStatus.codeName(status.code)}`, cause).pipe(
            Effect.annotateLogs({ "rpc.service": info.service, "rpc.method": info.method })
          )
          : Effect.void
      })
      const provided = restore(logged).pipe(
        Effect.provideService(Call, info),
        Effect.provideService(IncomingContext, extracted.context)
      )
      const parented: Effect.Effect<A, E, R> = parent === undefined ? provided : Effect.withParentSpan(provided, parent)
      const exit = yield* Effect.exit(parented)
      const deadline = () => deadlinePassed(info.deadline)
      // A call the client gave up on ended so, even if the handler finished in the meantime.
      const status = cancelled() && Exit.isSuccess(exit)
        ? GrpcStatus.fromExit(Exit.interrupt(), deadline)
        : GrpcStatus.fromExit(exit, deadline)
      const endTime = clock.currentTimeNanosUnsafe()
      const error = RpcSemConv.isSpanError("server", status.code)
      const errorType = RpcSemConv.errorType("server", status.code, status.errorType)
      if (span !== undefined && span.status._tag === "Started") {
        span.attribute("rpc.grpc.status_code", status.code)
        if (errorType !== undefined) span.attribute("error.type", errorType)
        span.end(
          endTime,
          // Without a server error the status stays Unset (the RPC semantic conventions), never OK.
          !error
            ? Instrumentation.unsetExit
            : Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)
            ? exit
            : Exit.fail(GrpcStatus.make(status.code, status.details))
        )
      }
      if (measured) {
        const call = RpcSemConv.rpcCall("server", info.path, status.code, context.server, status.errorType)
        yield* RpcMetrics.record("server", call, Number(endTime - startTime) / 1e9)
      }
      return { exit, status }
    })
  )

const callInfo = (path: string, call: ServerSurfaceCall): CallInfo => {
  const { method, service } = describePath(path)
  return { path, service, method, metadata: call.metadata, peer: call.getPeer(), deadline: call.getDeadline() }
}

/** What every grpc-js server call has (grpc-js does not export the type by name). */
interface ServerSurfaceCall {
  readonly metadata: Grpc.Metadata
  getPeer(): string
  getDeadline(): Grpc.Deadline
  on(event: "cancelled", listener: () => void): unknown
  readonly cancelled: boolean
}

type RunFork<R> = <A, E>(effect: Effect.Effect<A, E, R>) => { interruptUnsafe(): void }

const statusObject = (status: GrpcStatus.Status): Partial<Grpc.StatusObject> => ({
  code: status.code,
  details: status.details,
  ...(status.metadata === undefined ? {} : { metadata: status.metadata })
})

/**
 * The server is registered with pass-through (de)serializers: each handler decodes and encodes
 * the messages itself, so that it knows the size of every message for its event.
 */
type Method = Grpc.MethodDefinition<unknown, unknown>

const decodeWith = (method: Method, messages: RpcSemConv.MessageEvents) => (buffer: Buffer): unknown => {
  messages.received(buffer.length)
  return method.requestDeserialize(buffer)
}

const encodeWith = (method: Method, messages: RpcSemConv.MessageEvents) => (message: unknown): Buffer => {
  const buffer = method.responseSerialize(message)
  messages.sent(buffer.length)
  return buffer
}

/**
 * Request messages of a streaming call; a cancelled call ends the stream (the handler is
 * interrupted anyway). grpc-js reports a client's cancellation (HTTP/2 RST_STREAM) as the end of
 * the requests first and as the call's cancellation some milliseconds later: a handler that
 * answers as soon as the requests end may finish first, and its span then says what it saw.
 */
const requestsOf = (
  call: Grpc.ServerReadableStream<Buffer, Buffer> | Grpc.ServerDuplexStream<Buffer, Buffer>,
  decode: (buffer: Buffer) => unknown
): Requests<unknown> =>
  readStream(call, decode, (error) =>
    call.cancelled ? undefined : GrpcStatus.make(GrpcStatus.Code.INTERNAL, error instanceof Error ? error.message : String(error)))

/** Runs one call on the server's runtime and interrupts it when the client cancels. */
const run = <R>(
  runFork: RunFork<R>,
  call: ServerSurfaceCall,
  effect: Effect.Effect<void, never, R>
): void => {
  const fiber = runFork(effect)
  call.on("cancelled", () => fiber.interruptUnsafe())
}

const unaryCall = <R>(method: Method, handler: UnaryHandler<R>, runFork: RunFork<R>, context: ServeContext) =>
(call: Grpc.ServerUnaryCall<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>): void => {
  const info = callInfo(method.path, call)
  const body = (messages: RpcSemConv.MessageEvents) =>
    Effect.suspend(() => handler.handle(decodeWith(method, messages)(call.request), info)).pipe(
      Effect.map(encodeWith(method, messages))
    )
  run(
    runFork,
    call,
    Effect.flatMap(serveCall(info, callKind(method), body, context, () => call.cancelled), ({ exit, status }) =>
      Effect.sync(() => {
        if (Exit.isSuccess(exit)) callback(null, exit.value)
        else callback(statusObject(status))
      }))
  )
}

const clientStreamingCall =
  <R>(method: Method, handler: ClientStreamingHandler<R>, runFork: RunFork<R>, context: ServeContext) =>
  (call: Grpc.ServerReadableStream<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>): void => {
    const info = callInfo(method.path, call)
    const body = (messages: RpcSemConv.MessageEvents) =>
      Effect.suspend(() => handler.handle(requestsOf(call, decodeWith(method, messages)), info)).pipe(
        Effect.map(encodeWith(method, messages))
      )
    run(
      runFork,
      call,
      Effect.flatMap(serveCall(info, callKind(method), body, context, () => call.cancelled), ({ exit, status }) =>
        Effect.sync(() => {
          if (Exit.isSuccess(exit)) callback(null, exit.value)
          else callback(statusObject(status))
        }))
    )
  }

/** Ends a call whose responses are a stream: OK once the stream ended, else its status. */
const endStream = (
  call: Grpc.ServerWritableStream<Buffer, Buffer> | Grpc.ServerDuplexStream<Buffer, Buffer>,
  exit: Exit.Exit<void, unknown>,
  status: GrpcStatus.Status
) =>
  Effect.sync(() => {
    if (call.cancelled) return
    if (Exit.isSuccess(exit)) call.end()
    // grpc-js turns an `error` event into the call's status and ends the stream.
    else call.emit("error", statusObject(status))
  })

const serverStreamingCall =
  <R>(method: Method, handler: ServerStreamingHandler<R>, runFork: RunFork<R>, context: ServeContext) =>
  (call: Grpc.ServerWritableStream<Buffer, Buffer>): void => {
    const info = callInfo(method.path, call)
    const body = (messages: RpcSemConv.MessageEvents) => {
      const encode = encodeWith(method, messages)
      return Stream.runForEach(
        Stream.suspend(() => handler.handle(decodeWith(method, messages)(call.request), info)),
        (message) => write(call, encode(message))
      )
    }
    run(runFork, call, Effect.flatMap(serveCall(info, callKind(method), body, context, () => call.cancelled), ({ exit, status }) => endStream(call, exit, status)))
  }

const bidiStreamingCall =
  <R>(method: Method, handler: BidiStreamingHandler<R>, runFork: RunFork<R>, context: ServeContext) =>
  (call: Grpc.ServerDuplexStream<Buffer, Buffer>): void => {
    const info = callInfo(method.path, call)
    const body = (messages: RpcSemConv.MessageEvents) => {
      const encode = encodeWith(method, messages)
      return Stream.runForEach(
        Stream.suspend(() => handler.handle(requestsOf(call, decodeWith(method, messages)), info)),
        (message) => write(call, encode(message))
      )
    }
    run(runFork, call, Effect.flatMap(serveCall(info, callKind(method), body, context, () => call.cancelled), ({ exit, status }) => endStream(call, exit, status)))
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
    const definition: Record<string, Method> = {}
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
      handlers[key] = handler._tag === "Unary"
        ? unaryCall(method, handler, runFork, context)
        : handler._tag === "ServerStreaming"
        ? serverStreamingCall(method, handler, runFork, context)
        : handler._tag === "ClientStreaming"
        ? clientStreamingCall(method, handler, runFork, context)
        : bidiStreamingCall(method, handler, runFork, context)
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
