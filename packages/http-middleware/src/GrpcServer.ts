/**
 * gRPC servers (`@grpc/grpc-js`) whose handlers are Effects: unary handlers return an Effect,
 * server-streaming handlers a Stream, and both run on the program's runtime (its services, its
 * tracer, its logger). Each call gets a server span `package.Service/Method` with the `rpc.*`
 * attributes and `rpc.grpc.status_code`, parented on the context extracted from the metadata with
 * the configured propagator, and `rpc.server.duration` is recorded.
 *
 * A handler chooses the status by failing with a `GrpcStatusError`; any other failure answers
 * UNKNOWN and a defect INTERNAL, with a message that reveals nothing, and the cause is logged.
 * Nothing a handler does can crash the server. The client cancelling the call (or its deadline
 * passing) interrupts the handler. The health check `/grpc.health.v1.Health/Check` is skipped by
 * default: no span, and a metric only with `metrics.grpcIncludeHealth`.
 *
 * @example
 * ```ts
 * import { GrpcServer, GrpcStatus } from "@lingo-obs/http-middleware"
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
import { Instrumentation, Propagation } from "@lingo-obs/core"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as GrpcStatus from "./GrpcStatus.js"
import {
  definitionOf,
  deadlinePassed,
  describePath,
  rpcAttributes,
  type ServiceInput
} from "./internal/grpc.js"
import { extract, IncomingContext, metadataGetter } from "./internal/propagation.js"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as Spans from "./internal/spans.js"
import * as RequestMetrics from "./RequestMetrics.js"
import * as Skipper from "./Skipper.js"

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
export class Call extends Context.Tag("@lingo-obs/http-middleware/GrpcServer/Call")<Call, CallInfo>() {}

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

export type Handler<R> = UnaryHandler<R> | ServerStreamingHandler<R>

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
  readonly shutdownTimeout?: Duration.DurationInput | undefined
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
export class GrpcServer extends Context.Tag("@lingo-obs/http-middleware/GrpcServer")<GrpcServer, RunningServer>() {}

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

/**
 * Serves one call: one fiber step extracts the context, opens the span and runs `body` on it; one
 * exit hook maps its exit to the status to answer, ends the span and records the duration. Never
 * fails; the exit and status are for the transport to send.
 */
const serveCall = <A, E, R>(
  info: CallInfo,
  body: Effect.Effect<A, E, R>,
  context: ServeContext
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly status: GrpcStatus.Status }, never, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      const services = fiber.currentContext
      const settings = Context.get(services, Instrumentation.Settings)
      const traced = !context.skipper(info.path)
      const measured = Skipper.isGrpcHealthCheck(info.path) ? settings.grpcIncludeHealth : traced
      const propagator = context.options.propagator ?? Context.get(services, Propagation.Propagator)
      const extracted = extract(propagator, info.metadata, metadataGetter)
      const startTime = Spans.nowNanos(fiber)

      const span = traced
        ? Spans.unsafeStart(fiber, describePath(info.path).name, {
          kind: "server",
          parent: extracted.parent ?? null,
          attributes: {
            ...rpcAttributes(info.path),
            ...RpcSemConv.serverAttributes(context.server.host, context.server.port),
            ...RpcSemConv.peerAttributes(info.peer)
          },
          tracer: context.options.tracer
        }, startTime)
        : undefined
      const parent = span ?? extracted.parent
      const logged = Effect.tapErrorCause(body, (cause) => {
        const status = GrpcStatus.fromExit(Exit.failCause(cause))
        return status.kind === "failure" || status.kind === "defect"
          ? Effect.logError(`${info.path} failed; answered ${GrpcStatus.codeName(status.code)}`, cause).pipe(
            Effect.annotateLogs({ [SemConv.RPC_SERVICE_LEGACY]: info.service, [SemConv.RPC_METHOD]: info.method })
          )
          : Effect.void
      })
      const running = Spans.provideAll(restore(logged), services, [
        [Call.key, info],
        [IncomingContext.key, extracted.context],
        ...(parent === undefined ? [] : [[Tracer.ParentSpan.key, parent] as const])
      ])
      return Effect.map(Effect.exit(running), (exit) => {
        const status = GrpcStatus.fromExit(exit, () => deadlinePassed(info.deadline))
        const endTime = Spans.nowNanos(fiber)
        const error = RpcSemConv.isSpanError("server", status.code)
        const errorType = RpcSemConv.errorType("server", status.code, status.errorType)
        if (span !== undefined) {
          span.attribute(SemConv.RPC_GRPC_STATUS_CODE, status.code)
          if (errorType !== undefined) span.attribute(SemConv.ERROR_TYPE, errorType)
          Spans.unsafeEnd(
            span,
            // Without a server error the status stays Unset (the RPC semantic conventions), never OK.
            !error
              ? Instrumentation.unsetExit
              : Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)
              ? exit
              : Exit.fail(GrpcStatus.make(status.code, status.details)),
            endTime
          )
        }
        if (measured) {
          RequestMetrics.unsafeRecordRpc(fiber, "server", {
            service: info.service,
            method: info.method,
            code: status.code,
            status: GrpcStatus.codeName(status.code),
            serverAddress: context.server.host,
            serverPort: context.server.port,
            errorType
          }, Number(endTime - startTime) / 1e9)
        }
        return { exit, status }
      })
    })
  )

const callInfo = (path: string, call: Grpc.ServerUnaryCall<unknown, unknown> | Grpc.ServerWritableStream<unknown, unknown>): CallInfo => {
  const { method, service } = describePath(path)
  return { path, service, method, metadata: call.metadata, peer: call.getPeer(), deadline: call.getDeadline() }
}

type RunFork<R> = <A, E>(effect: Effect.Effect<A, E, R>) => { unsafeInterruptAsFork(id: FiberId.FiberId): void }

const statusObject = (status: GrpcStatus.Status): Partial<Grpc.StatusObject> => ({
  code: status.code,
  details: status.details,
  ...(status.metadata === undefined ? {} : { metadata: status.metadata })
})

const unaryCall = <R>(path: string, handler: UnaryHandler<R>, runFork: RunFork<R>, context: ServeContext) =>
(call: Grpc.ServerUnaryCall<unknown, unknown>, callback: Grpc.sendUnaryData<unknown>): void => {
  const info = callInfo(path, call)
  const body = Effect.suspend(() => handler.handle(call.request, info))
  const fiber = runFork(
    Effect.flatMap(serveCall(info, body, context), ({ exit, status }) =>
      Effect.sync(() => {
        if (Exit.isSuccess(exit)) callback(null, exit.value)
        else callback(statusObject(status))
      }))
  )
  call.on("cancelled", () => fiber.unsafeInterruptAsFork(FiberId.none))
}

/** Writes one message, waiting for the transport to drain when its buffer is full. */
const write = (call: Grpc.ServerWritableStream<unknown, unknown>, message: unknown): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (call.write(message)) return resume(Effect.void)
    const onDrain = () => resume(Effect.void)
    call.once("drain", onDrain)
    return Effect.sync(() => call.off("drain", onDrain))
  })

const serverStreamingCall =
  <R>(path: string, handler: ServerStreamingHandler<R>, runFork: RunFork<R>, context: ServeContext) =>
  (call: Grpc.ServerWritableStream<unknown, unknown>): void => {
    const info = callInfo(path, call)
    const body = Stream.runForEach(Stream.suspend(() => handler.handle(call.request, info)), (message) => write(call, message))
    const fiber = runFork(
      Effect.flatMap(serveCall(info, body, context), ({ exit, status }) =>
        Effect.sync(() => {
          if (call.cancelled) return
          if (Exit.isSuccess(exit)) call.end()
          // grpc-js turns an `error` event into the call's status and ends the stream.
          else call.emit("error", statusObject(status))
        }))
    )
    call.on("cancelled", () => fiber.unsafeInterruptAsFork(FiberId.none))
  }

const implementation = <R>(
  service: ServiceImplementation<R>,
  runFork: RunFork<R>,
  context: ServeContext
): Effect.Effect<Grpc.UntypedServiceImplementation> =>
  Effect.gen(function*() {
    const implementation: Grpc.UntypedServiceImplementation = {}
    const definition = service.definition
    for (const [name, handler] of Object.entries(service.handlers)) {
      const key = Object.keys(definition).find((key) => key === name || definition[key]?.originalName === name)
      const method = key === undefined ? undefined : definition[key]
      if (key === undefined || method === undefined) {
        return yield* Effect.dieMessage(
          `GrpcServer: "${name}" is not a method of the service (methods: ${Object.keys(definition).join(", ")})`
        )
      }
      if (method.requestStream) {
        return yield* Effect.dieMessage(
          `GrpcServer: ${method.path} is client-streaming or bidirectional, which this server does not support yet`
        )
      }
      if (method.responseStream !== (handler._tag === "ServerStreaming")) {
        return yield* Effect.dieMessage(
          `GrpcServer: ${method.path} is ${method.responseStream ? "server-streaming" : "unary"}; use GrpcServer.${
            method.responseStream ? "serverStreaming" : "unary"
          } for its handler`
        )
      }
      implementation[key] = handler._tag === "Unary"
        ? unaryCall(method.path, handler, runFork, context)
        : serverStreamingCall(method.path, handler, runFork, context)
    }
    return implementation
  })

/** Graceful first (calls in flight may finish), then forced once `timeout` has passed. */
const shutdown = (server: Grpc.Server, timeout: Duration.DurationInput) =>
  Effect.async<void>((resume) => server.tryShutdown(() => resume(Effect.void))).pipe(
    Effect.timeoutOption(timeout),
    Effect.zipRight(Effect.sync(() => server.forceShutdown()))
  )

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
      server.addService(service.definition, yield* implementation(service, runFork, context))
    }
    const address = `${host.includes(":") ? `[${host}]` : host}:${options.port ?? 0}`
    const port = yield* Effect.async<number, GrpcServeError>((resume) =>
      server.bindAsync(address, options.credentials ?? Grpc.ServerCredentials.createInsecure(), (error, port) =>
        resume(error === null ? Effect.succeed(port) : Effect.fail(new GrpcServeError({ address, cause: error }))))
    )
    context.server.port = port
    return { server, host, port, address: `${host.includes(":") ? `[${host}]` : host}:${port}` }
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
): Layer.Layer<GrpcServer, GrpcServeError, R> => Layer.scoped(GrpcServer, make(services, options))
