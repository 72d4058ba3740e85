/**
 * gRPC clients (`@grpc/grpc-js`) whose calls are Effects, on Effect 4: `dial` returns a client with
 * one method per RPC of the service; a unary or client-streaming call is an Effect, a
 * server-streaming or bidirectional call a Stream, and client-streaming and bidirectional calls
 * take their request messages as a Stream. Each call gets a client span `package.Service/Method`
 * with the `rpc.*` attributes, `rpc.grpc.status_code` and a `message` event per message sent and
 * received (with its size); the span's context and the current baggage are injected into the
 * metadata with the configured propagator (`Propagation.Propagator`), and
 * `rpc.client.call.duration` is recorded.
 *
 * A non-OK status fails with a `GrpcStatusError`. Interrupting the Effect (or stopping to consume
 * the Stream) cancels the call; a timeout (per call, or a default per client) becomes the call's
 * gRPC deadline, which the server sees too.
 *
 * @example
 * ```ts
 * import { GrpcClient } from "lingo-obs/grpc"
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
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as Skipper from "@lingo-obs/otlp/Skipper"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as Instrumentation from "../Instrumentation.js"
import { injectUnsafe } from "../internal/propagation.js"
import * as Propagation from "../Propagation.js"
import * as GrpcStatus from "./GrpcStatus.js"
import {
  callKind,
  deadlineAfter,
  definitionOf,
  describePath,
  metadataSetter,
  rpcAttributes,
  type ServiceInput,
  targetAddress
} from "./internal/grpc.js"
import { messageEvents, readStream, write } from "./internal/messages.js"
import * as RpcMetrics from "./RpcMetrics.js"

/** Options of one call. */
export interface CallOptions {
  /** The call's deadline, from now; replaces the client's default `timeout`. */
  readonly timeout?: Duration.Input | undefined
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

/**
 * A client-streaming method of a client: the request messages are a Stream, sent with the
 * transport's backpressure; the call half-closes when it ends. A failure of the request stream
 * cancels the call and fails the Effect with it.
 */
export type ClientStreaming<Req, Res> = <E = never, R = never>(
  requests: Stream.Stream<Req, E, R>,
  options?: CallOptions
) => Effect.Effect<Res, GrpcStatus.GrpcStatusError | E, R>

/**
 * A bidirectional method of a client: request messages in as a Stream (sent while the responses
 * are read; the call half-closes when it ends), response messages out as a Stream.
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
  readonly timeout?: Duration.Input | undefined
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

type Method = Grpc.MethodDefinition<unknown, unknown>

const toStatusError = (error: unknown): GrpcStatus.GrpcStatusError => {
  const status = RpcSemConv.statusOfError(error)
  return GrpcStatus.make(status.code, status.details, status.metadata)
}

/**
 * The code a call ended with, from the exit of its Effect: its status, or CANCELLED when the
 * caller gave up on it (interruption, or a failing request stream that cancelled it).
 */
const codeOf = (exit: Exit.Exit<unknown, unknown>): GrpcStatus.Code => {
  if (Exit.isSuccess(exit)) return GrpcStatus.Code.OK
  const failure = Cause.findErrorOption(exit.cause)
  if (failure._tag === "Some" && GrpcStatus.isGrpcStatusError(failure.value)) return failure.value.code
  return GrpcStatus.Code.CANCELLED
}

/** One call on its way: its span, metadata, deadline and message events, and how to finish it. */
interface Outgoing {
  readonly span: Tracer.Span | undefined
  readonly metadata: Grpc.Metadata
  readonly callOptions: Grpc.CallOptions
  /** The method's (de)serializers, counting each message for its event. */
  readonly serialize: (value: unknown) => Buffer
  readonly deserialize: (buffer: Buffer) => unknown
  /** Ends the span and records the duration, given the call's code and the exit to end the span with. */
  readonly finish: (code: GrpcStatus.Code, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
}

const startSpan = (path: string, context: ClientContext) => {
  const span = Effect.makeSpan(describePath(path).name, {
    kind: "client",
    attributes: { ...rpcAttributes(path), ...RpcSemConv.serverAttributes(context.server.host, context.server.port) }
  })
  const tracer = context.options.tracer
  return tracer === undefined ? span : Effect.provideService(Tracer.Tracer)(span, tracer)
}

/** Opens the call's span and injects its context into the call's metadata. */
const begin = (method: Method, callOptions: CallOptions | undefined, context: ClientContext): Effect.Effect<Outgoing> =>
  Effect.gen(function*() {
    const path = method.path
    const settings = yield* Instrumentation.Settings
    const clock = yield* Clock.Clock
    const traced = !context.skipper(path)
    const measured = Skipper.isGrpcHealthCheck(path) ? settings.grpcIncludeHealth : traced
    const span = traced ? yield* startSpan(path, context) : undefined
    const metadata = RpcSemConv.outgoingMetadata(callOptions?.metadata)
    yield* Effect.withFiber((fiber) => {
      const propagator = context.options.propagator ?? fiber.getRef(Propagation.Propagator)
      injectUnsafe(fiber, propagator, metadata, metadataSetter, span)
      return Effect.void
    })
    const messages = messageEvents(span, clock, callKind(method))
    const deadline = deadlineAfter(callOptions?.timeout ?? context.options.timeout)
    const startTime = clock.currentTimeNanosUnsafe()
    const finish = (code: GrpcStatus.Code, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
      Effect.suspend(() => {
        const endTime = clock.currentTimeNanosUnsafe()
        const errorType = RpcSemConv.errorType("client", code)
        if (span !== undefined && span.status._tag === "Started") {
          span.attribute("rpc.grpc.status_code", code)
          if (errorType !== undefined) span.attribute("error.type", errorType)
          span.end(endTime, exit)
        }
        if (!measured) return Effect.void
        return RpcMetrics.record("client", RpcSemConv.rpcCall("client", path, code, context.server), Number(endTime - startTime) / 1e9)
      })
    return {
      span,
      metadata,
      callOptions: deadline === undefined ? {} : { deadline },
      serialize: (value) => {
        const buffer = method.requestSerialize(value)
        messages.sent(buffer.length)
        return buffer
      },
      deserialize: (buffer) => {
        messages.received(buffer.length)
        return method.responseDeserialize(buffer)
      },
      finish
    }
  })

/** A call answered once (unary, client-streaming): `body` runs under the call's span; its exit ends it. */
const once = <A, E, R>(
  method: Method,
  callOptions: CallOptions | undefined,
  context: ClientContext,
  body: (call: Outgoing) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const call = yield* begin(method, callOptions, context)
      const running = call.span === undefined ? restore(body(call)) : Effect.withParentSpan(restore(body(call)), call.span)
      const exit = yield* Effect.exit(running)
      yield* call.finish(codeOf(exit), exit)
      return yield* exit
    })
  )

const unaryMethod = (method: Method, context: ClientContext) =>
(request: unknown, callOptions?: CallOptions): Effect.Effect<unknown, GrpcStatus.GrpcStatusError> =>
  once(method, callOptions, context, (call) =>
    Effect.callback<unknown, GrpcStatus.GrpcStatusError>((resume) => {
      const pending = context.client.makeUnaryRequest(
        method.path,
        call.serialize,
        call.deserialize,
        request,
        call.metadata,
        call.callOptions,
        (error, value) => resume(error === null ? Effect.succeed(value) : Effect.fail(toStatusError(error)))
      )
      return Effect.sync(() => pending.cancel())
    }))

/** Sends `requests` on `stream`, then half-closes it. */
const sendAll = <E, R>(stream: Grpc.ClientWritableStream<unknown>, requests: Stream.Stream<unknown, E, R>) =>
  Stream.runForEach(requests, (message) => write(stream, message)).pipe(
    Effect.andThen(Effect.sync(() => stream.end()))
  )

const clientStreamingMethod = (method: Method, context: ClientContext) =>
<E, R>(requests: Stream.Stream<unknown, E, R>, callOptions?: CallOptions): Effect.Effect<unknown, GrpcStatus.GrpcStatusError | E, R> =>
  once(method, callOptions, context, (call) =>
    Effect.scoped(Effect.gen(function*() {
      const answer = Deferred.makeUnsafe<unknown, GrpcStatus.GrpcStatusError>()
      const stream = yield* Effect.acquireRelease(
        Effect.sync(() =>
          context.client.makeClientStreamRequest(
            method.path,
            call.serialize,
            call.deserialize,
            call.metadata,
            call.callOptions,
            (error, value) =>
              Deferred.doneUnsafe(answer, error === null ? Exit.succeed(value) : Exit.fail(toStatusError(error)))
          )
        ),
        // Cancelling an answered call does nothing; an unanswered one is given up.
        (stream) => Effect.sync(() => stream.cancel())
      )
      // The server may answer before every request is sent; a failing request stream cancels the call.
      return yield* Effect.raceFirst(Deferred.await(answer), Effect.andThen(sendAll(stream, requests), Effect.never))
    })))

/**
 * A call answered with a stream (server-streaming, bidirectional): the span lives as long as the
 * response stream is consumed; stopping early cancels the call.
 */
const streamed = <E, R>(
  method: Method,
  callOptions: CallOptions | undefined,
  context: ClientContext,
  open: (call: Outgoing) => Grpc.ClientReadableStream<unknown>,
  send: (stream: Grpc.ClientReadableStream<unknown>) => Effect.Effect<void, E, R>
): Stream.Stream<unknown, GrpcStatus.GrpcStatusError | E, R> =>
  Stream.unwrap(Effect.gen(function*() {
    const call = yield* begin(method, callOptions, context)
    // The outcome as the transport reports it; a consumer that stops early leaves it unset.
    let outcome: GrpcStatus.GrpcStatusError | "ended" | undefined
    let sendFailure: Cause.Cause<E> | undefined
    const stream = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const stream = open(call)
        stream.on("end", () => {
          outcome ??= "ended"
        })
        return stream
      }),
      (stream) =>
        Effect.suspend(() => {
          if (outcome === undefined) stream.cancel()
          const code = outcome === undefined ? GrpcStatus.Code.CANCELLED : outcome === "ended" ? GrpcStatus.Code.OK : outcome.code
          const exit = sendFailure !== undefined
            ? Exit.failCause(sendFailure)
            : outcome === undefined || outcome === "ended"
            ? Exit.void
            : Exit.fail(outcome)
          return call.finish(code, exit)
        })
    )
    yield* Effect.forkScoped(Effect.catchCause(send(stream), (cause) =>
      Effect.sync(() => {
        if (Cause.hasInterruptsOnly(cause)) return
        sendFailure = cause
        stream.cancel()
      })))
    const responses = readStream(stream, (message) => message, (error) => {
      const status = toStatusError(error)
      // Cancelled by this side (the consumer stopped, or the requests failed): not the server's answer.
      if (status.code === GrpcStatus.Code.CANCELLED && (outcome === undefined || sendFailure !== undefined)) return undefined
      outcome = status
      return status
    })
    return Stream.concat(responses, Stream.suspend(() => sendFailure === undefined ? Stream.empty : Stream.failCause(sendFailure)))
  }))

const serverStreamingMethod = (method: Method, context: ClientContext) =>
(request: unknown, callOptions?: CallOptions): Stream.Stream<unknown, GrpcStatus.GrpcStatusError> =>
  streamed(method, callOptions, context, (call) =>
    context.client.makeServerStreamRequest(
      method.path,
      call.serialize,
      call.deserialize,
      request,
      call.metadata,
      call.callOptions
    ), () => Effect.void)

const bidiStreamingMethod = (method: Method, context: ClientContext) =>
<E, R>(requests: Stream.Stream<unknown, E, R>, callOptions?: CallOptions): Stream.Stream<unknown, GrpcStatus.GrpcStatusError | E, R> =>
  streamed(
    method,
    callOptions,
    context,
    (call) => context.client.makeBidiStreamRequest(method.path, call.serialize, call.deserialize, call.metadata, call.callOptions),
    (stream) => sendAll(stream as Grpc.ClientDuplexStream<unknown, unknown>, requests)
  )

/**
 * Dials `target` and returns a client whose methods (named like the service's, in both their
 * proto and camel-case forms) are Effects (unary, client-streaming) or Streams (server-streaming,
 * bidirectional). The channel is closed when the scope closes. Type the client with a type
 * argument listing its methods.
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
      const kind = callKind(method)
      const call = kind === "unary"
        ? unaryMethod(method, context)
        : kind === "server_streaming"
        ? serverStreamingMethod(method, context)
        : kind === "client_streaming"
        ? clientStreamingMethod(method, context)
        : bidiStreamingMethod(method, context)
      methods[key] = call
      if (method.originalName !== undefined) methods[method.originalName] = call
    }
    return methods as Client
  })
