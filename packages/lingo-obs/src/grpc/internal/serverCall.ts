/**
 * Serving one gRPC call on the Effect 4 line (the part of `GrpcServer` behind its public API):
 * the handler shapes, the call's span, status, metrics and message events, and the grpc-js handler
 * function of each call kind. The server is registered with pass-through (de)serializers, so each
 * handler decodes and encodes its messages here and knows every message's size for its event.
 */
import type * as Grpc from "@grpc/grpc-js"
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import type * as Skipper from "@lingo-obs/otlp/Skipper"
import { isGrpcHealthCheck } from "@lingo-obs/otlp/Skipper"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as Instrumentation from "../../Instrumentation.js"
import { extract, IncomingContext } from "../../internal/propagation.js"
import * as Propagation from "../../Propagation.js"
import * as GrpcStatus from "../GrpcStatus.js"
import * as RpcMetrics from "../RpcMetrics.js"
import { callKind, type CallKind, deadlinePassed, describePath, metadataGetter, rpcAttributes } from "./grpc.js"
import { messageEvents, readStream, write } from "./messages.js"

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

/** What serving a call needs of the server's options. */
export interface ServeOptions {
  readonly propagator?: TextMapPropagator | undefined
  readonly tracer?: Tracer.Tracer | undefined
}

export interface ServeContext {
  readonly options: ServeOptions
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
      const measured = isGrpcHealthCheck(info.path) ? settings.grpcIncludeHealth : traced
      const extracted = extract(
        context.options.propagator ?? (yield* Propagation.Propagator),
        info.metadata,
        metadataGetter
      )
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

export type RunFork<R> = <A, E>(effect: Effect.Effect<A, E, R>) => { interruptUnsafe(): void }

const statusObject = (status: GrpcStatus.Status): Partial<Grpc.StatusObject> => ({
  code: status.code,
  details: status.details,
  ...(status.metadata === undefined ? {} : { metadata: status.metadata })
})

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

/** Serves a call answered with one message (unary, client-streaming): the response, or the status. */
const answerOnce = <R>(
  method: Method,
  call: Grpc.ServerUnaryCall<Buffer, Buffer> | Grpc.ServerReadableStream<Buffer, Buffer>,
  callback: Grpc.sendUnaryData<Buffer>,
  info: CallInfo,
  body: (messages: RpcSemConv.MessageEvents) => Effect.Effect<Buffer, unknown, R>,
  runFork: RunFork<R>,
  context: ServeContext
): void =>
  run(
    runFork,
    call,
    Effect.flatMap(serveCall(info, callKind(method), body, context, () => call.cancelled), ({ exit, status }) =>
      Effect.sync(() => {
        if (Exit.isSuccess(exit)) callback(null, exit.value)
        else callback(statusObject(status))
      }))
  )

const unaryCall = <R>(method: Method, handler: UnaryHandler<R>, runFork: RunFork<R>, context: ServeContext) =>
(call: Grpc.ServerUnaryCall<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>): void => {
  const info = callInfo(method.path, call)
  const body = (messages: RpcSemConv.MessageEvents) =>
    Effect.suspend(() => handler.handle(decodeWith(method, messages)(call.request), info)).pipe(
      Effect.map(encodeWith(method, messages))
    )
  answerOnce(method, call, callback, info, body, runFork, context)
}

const clientStreamingCall =
  <R>(method: Method, handler: ClientStreamingHandler<R>, runFork: RunFork<R>, context: ServeContext) =>
  (call: Grpc.ServerReadableStream<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>): void => {
    const info = callInfo(method.path, call)
    const body = (messages: RpcSemConv.MessageEvents) =>
      Effect.suspend(() => handler.handle(requestsOf(call, decodeWith(method, messages)), info)).pipe(
        Effect.map(encodeWith(method, messages))
      )
    answerOnce(method, call, callback, info, body, runFork, context)
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

/** The grpc-js handler function serving `method` with `handler` (of the method's kind). */
export const handlerFunction = <R>(
  method: Method,
  handler: Handler<R>,
  runFork: RunFork<R>,
  context: ServeContext
): Grpc.UntypedHandleCall =>
  handler._tag === "Unary"
    ? unaryCall(method, handler, runFork, context)
    : handler._tag === "ServerStreaming"
    ? serverStreamingCall(method, handler, runFork, context)
    : handler._tag === "ClientStreaming"
    ? clientStreamingCall(method, handler, runFork, context)
    : bidiStreamingCall(method, handler, runFork, context)
