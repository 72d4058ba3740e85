/**
 * gRPC clients (`@grpc/grpc-js`) whose calls are Effects: `dial` returns a client with one method
 * per RPC of the service; a unary call is an Effect, a server-streaming call a Stream. Each call
 * gets a client span `package.Service/Method` with the `rpc.*` attributes and
 * `rpc.grpc.status_code`, the span's context and the current baggage are injected into the
 * metadata with the configured propagator, and `rpc.client.duration` is recorded.
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
 * }
 * const users = yield* GrpcClient.dial<UsersClient>(UserServiceDefinition, "127.0.0.1:50051", { timeout: "2 seconds" })
 * const user = yield* users.getUser({ id: "1" })
 * ```
 */
import * as Grpc from "@grpc/grpc-js"
import { Instrumentation, Propagation } from "@lingo-obs/core"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as GrpcStatus from "./GrpcStatus.js"
import {
  deadlineAfter,
  definitionOf,
  describePath,
  rpcAttributes,
  type ServiceInput,
  targetAddress
} from "./internal/grpc.js"
import { metadataSetter, unsafeInject } from "./internal/propagation.js"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as Spans from "./internal/spans.js"
import * as RequestMetrics from "./RequestMetrics.js"
import * as Skipper from "./Skipper.js"

/** Options of one call. */
export interface CallOptions {
  /** The call's deadline, from now; replaces the client's default `timeout`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Request metadata to send along (trace context is added to it). */
  readonly metadata?: Grpc.Metadata | Readonly<Record<string, string>> | undefined
}

/** A unary method of a client. */
export type Unary<Req, Res> = (request: Req, options?: CallOptions) => Effect.Effect<Res, GrpcStatus.GrpcStatusError>

/** A server-streaming method of a client. */
export type ServerStreaming<Req, Res> = (
  request: Req,
  options?: CallOptions
) => Stream.Stream<Res, GrpcStatus.GrpcStatusError>

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

interface ClientContext {
  readonly client: Grpc.Client
  readonly options: Options
  readonly skipper: Skipper.GrpcSkipper
  readonly server: { readonly host: string; readonly port: number | undefined }
}

const toStatusError = (error: unknown): GrpcStatus.GrpcStatusError => {
  const status = RpcSemConv.statusOfError(error)
  return GrpcStatus.make(status.code, status.details, status.metadata)
}

const toMetadata = (input: CallOptions["metadata"]): Grpc.Metadata => {
  if (input instanceof Grpc.Metadata) return input.clone()
  const metadata = new Grpc.Metadata()
  for (const [key, value] of Object.entries(input ?? {})) metadata.set(key, value)
  return metadata
}

/** The code a call ended with, from the exit of its Effect. */
const codeOf = (exit: Exit.Exit<unknown, unknown>): GrpcStatus.Code => {
  if (Exit.isSuccess(exit)) return GrpcStatus.Code.OK
  const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
  if (GrpcStatus.isGrpcStatusError(failure)) return failure.code
  if (Cause.isInterruptedOnly(exit.cause)) return GrpcStatus.Code.CANCELLED
  return GrpcStatus.Code.INTERNAL
}

/** What every call does around the transport: span, injection, status, metrics. */
interface Instrumented {
  readonly span: Tracer.Span | undefined
  readonly metadata: Grpc.Metadata
  readonly deadline: Date | undefined
  /** Ends the span and records the duration, given the call's code and the exit to end the span with. */
  readonly finish: (fiber: Fiber.RuntimeFiber<any, any>, code: GrpcStatus.Code, exit: Exit.Exit<unknown, unknown>) => void
}

/** Opens the call's span and injects its context, in the fiber's step. */
const unsafeBegin = (
  fiber: Fiber.RuntimeFiber<any, any>,
  path: string,
  callOptions: CallOptions | undefined,
  context: ClientContext
): Instrumented => {
  const services = fiber.currentContext
  const settings = Context.get(services, Instrumentation.Settings)
  const traced = !context.skipper(path)
  const measured = Skipper.isGrpcHealthCheck(path) ? settings.grpcIncludeHealth : traced
  const propagator = context.options.propagator ?? Context.get(services, Propagation.Propagator)
  const server = RpcSemConv.serverAttributes(context.server.host, context.server.port)
  const span = traced
    ? Spans.unsafeStart(fiber, describePath(path).name, {
      kind: "client",
      parent: undefined,
      attributes: { ...rpcAttributes(path), ...server },
      tracer: context.options.tracer
    }, Spans.nowNanos(fiber))
    : undefined
  const metadata = toMetadata(callOptions?.metadata)
  unsafeInject(fiber, propagator, metadata, metadataSetter, span)
  const startTime = Spans.nowNanos(fiber)
  const finish = (fiber: Fiber.RuntimeFiber<any, any>, code: GrpcStatus.Code, exit: Exit.Exit<unknown, unknown>) => {
    const endTime = Spans.nowNanos(fiber)
    const errorType = RpcSemConv.errorType("client", code)
    if (span !== undefined) {
      span.attribute(SemConv.RPC_GRPC_STATUS_CODE, code)
      if (errorType !== undefined) span.attribute(SemConv.ERROR_TYPE, errorType)
      Spans.unsafeEnd(span, exit, endTime)
    }
    if (measured) {
      const { method, service } = describePath(path)
      RequestMetrics.unsafeRecordRpc(fiber, "client", {
        service,
        method,
        code,
        status: GrpcStatus.codeName(code),
        serverAddress: context.server.host,
        serverPort: context.server.port,
        errorType
      }, Number(endTime - startTime) / 1e9)
    }
  }
  return { span, metadata, deadline: deadlineAfter(callOptions?.timeout ?? context.options.timeout), finish }
}

const unaryMethod = (method: Grpc.MethodDefinition<unknown, unknown>, context: ClientContext) =>
(request: unknown, callOptions?: CallOptions): Effect.Effect<unknown, GrpcStatus.GrpcStatusError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      const call = unsafeBegin(fiber, method.path, callOptions, context)
      const transport = Effect.async<unknown, GrpcStatus.GrpcStatusError>((resume) => {
        const pending = context.client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          request,
          call.metadata,
          call.deadline === undefined ? {} : { deadline: call.deadline },
          (error, value) => resume(error === null ? Effect.succeed(value) : Effect.fail(toStatusError(error)))
        )
        return Effect.sync(() => pending.cancel())
      })
      const running = call.span === undefined
        ? restore(transport)
        : Spans.provideAll(restore(transport), fiber.currentContext, [[Tracer.ParentSpan.key, call.span]])
      return Spans.finishing(running, (exit) => call.finish(fiber, codeOf(exit), exit))
    })
  )

const serverStreamingMethod = (method: Grpc.MethodDefinition<unknown, unknown>, context: ClientContext) =>
(request: unknown, callOptions?: CallOptions): Stream.Stream<unknown, GrpcStatus.GrpcStatusError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const call = yield* Effect.withFiberRuntime<Instrumented>((fiber) =>
      Effect.succeed(unsafeBegin(fiber, method.path, callOptions, context))
    )
    // The outcome as the transport reports it; a consumer that stops early leaves it unset.
    let outcome: GrpcStatus.GrpcStatusError | "ended" | undefined
    const stream = yield* Effect.acquireRelease(
      Effect.sync(() =>
        context.client.makeServerStreamRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          request,
          call.metadata,
          call.deadline === undefined ? {} : { deadline: call.deadline }
        )
      ),
      (stream) =>
        Effect.withFiberRuntime((fiber) => {
          const code = outcome === undefined ? GrpcStatus.Code.CANCELLED : outcome === "ended" ? GrpcStatus.Code.OK : outcome.code
          const exit = outcome === undefined || outcome === "ended" ? Exit.void : Exit.fail(outcome)
          if (outcome === undefined) stream.cancel()
          call.finish(fiber, code, exit)
          return Effect.void
        })
    )
    return Stream.async<unknown, GrpcStatus.GrpcStatusError>((emit) => {
      stream.on("data", (message: unknown) => {
        // Pause the transport until the consumer has taken the message: backpressure end to end.
        stream.pause()
        void emit.single(message).then(() => stream.resume())
      })
      stream.on("error", (error: Grpc.ServiceError) => {
        if (error.code === GrpcStatus.Code.CANCELLED && outcome === undefined) return
        outcome = toStatusError(error)
        void emit.fail(outcome)
      })
      stream.on("end", () => {
        outcome ??= "ended"
        void emit.end()
      })
    })
  }))

/**
 * Dials `target` and returns a client whose methods (named like the service's, in both their
 * proto and camel-case forms) are Effects (unary) or Streams (server-streaming). The channel is
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
      options,
      skipper: options.skipper ?? Skipper.defaultGrpc,
      server: { host: address.host, port: address.port }
    }
    const methods: Record<string, unknown> = {}
    for (const [key, method] of Object.entries(definition)) {
      // Client- and bidirectional-streaming methods are not offered (yet).
      if (method.requestStream) continue
      const call = method.responseStream ? serverStreamingMethod(method, context) : unaryMethod(method, context)
      methods[key] = call
      if (method.originalName !== undefined) methods[method.originalName] = call
    }
    return methods as Client
  })
