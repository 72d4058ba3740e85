/**
 * How `GrpcServer` serves one call of each kind (unary, server-streaming, client-streaming,
 * bidirectional): the call's description, the handler shapes, and the one place (`serveCall`)
 * that opens the server span, runs the handler on it, maps its exit to the status to answer, ends
 * the span and records the duration. Streaming calls get an `rpc.message` event per message with
 * its size: their methods are registered with pass-through (de)serializers so that the wrapper
 * (de)serializes each message itself and knows its exact size at no extra cost.
 */
import type * as Grpc from "@grpc/grpc-js"
import { Instrumentation, Propagation } from "@lingo-obs/core"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as GrpcStatus from "../GrpcStatus.js"
import * as RequestMetrics from "../RequestMetrics.js"
import * as Skipper from "../Skipper.js"
import { deadlinePassed, describePath, rpcAttributes } from "./grpc.js"
import * as GrpcStreams from "./grpcStreams.js"
import { extract, IncomingContext, metadataGetter } from "./propagation.js"
import * as Spans from "./spans.js"

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

/** A client-streaming handler: a stream of requests, one response. */
export interface ClientStreamingHandler<R> {
  readonly _tag: "ClientStreaming"
  readonly handle: (
    requests: Stream.Stream<any, GrpcStatus.GrpcStatusError>,
    call: CallInfo
  ) => Effect.Effect<unknown, unknown, R>
}

/** A bidirectional-streaming handler: a stream of requests, a stream of responses. */
export interface BidiStreamingHandler<R> {
  readonly _tag: "BidiStreaming"
  readonly handle: (
    requests: Stream.Stream<any, GrpcStatus.GrpcStatusError>,
    call: CallInfo
  ) => Stream.Stream<unknown, unknown, R>
}

export type Handler<R> = UnaryHandler<R> | ServerStreamingHandler<R> | ClientStreamingHandler<R> | BidiStreamingHandler<R>

/** The call kind each handler serves, and the constructor that makes it. */
export const handlerKinds: Readonly<Record<Handler<never>["_tag"], { kind: RpcSemConv.CallKind; make: string }>> = {
  Unary: { kind: "unary", make: "unary" },
  ServerStreaming: { kind: "server_streaming", make: "serverStreaming" },
  ClientStreaming: { kind: "client_streaming", make: "clientStreaming" },
  BidiStreaming: { kind: "bidi_streaming", make: "bidiStreaming" }
}

/** What serving needs from the server's options. */
export interface ServeContext {
  readonly propagator: TextMapPropagator | undefined
  readonly tracer: Tracer.Tracer | undefined
  readonly skipper: Skipper.GrpcSkipper
  /** Set once bound. */
  readonly server: { host: string; port: number | undefined }
}

/**
 * A server learns that a deadline passed from its own timer or from the client's cancellation,
 * sent at the client's deadline, a hair earlier than the server's: a cancellation this close to
 * the deadline is the deadline.
 */
const DEADLINE_SLACK_MILLIS = 50

const NO_MESSAGES: RpcSemConv.MessageEvents = { sent: () => {}, received: () => {} }

/**
 * Serves one call: one fiber step extracts the context, opens the span and runs `body` on it; one
 * exit hook maps its exit to the status to answer, ends the span and records the duration. Never
 * fails; the exit and status are for the transport to send.
 */
const serveCall = <A, E, R>(
  info: CallInfo,
  kind: RpcSemConv.CallKind,
  body: (messages: RpcSemConv.MessageEvents) => Effect.Effect<A, E, R>,
  context: ServeContext
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly status: GrpcStatus.Status }, never, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      const services = fiber.currentContext
      const settings = Context.get(services, Instrumentation.Settings)
      const traced = !context.skipper(info.path)
      const measured = Skipper.isGrpcHealthCheck(info.path) ? settings.grpcIncludeHealth : traced
      const propagator = context.propagator ?? Context.get(services, Propagation.Propagator)
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
          tracer: context.tracer
        }, startTime)
        : undefined
      const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
      const messages = span !== undefined && RpcSemConv.hasMessageEvents(kind)
        ? RpcSemConv.messageEvents((attributes) =>
          span.event(RpcSemConv.MESSAGE_EVENT, clock.unsafeCurrentTimeNanos(), attributes)
        )
        : NO_MESSAGES
      const parent = span ?? extracted.parent
      const logged = Effect.tapErrorCause(Effect.suspend(() => body(messages)), (cause) => {
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
        const status = GrpcStatus.fromExit(exit, () => deadlinePassed(info.deadline, DEADLINE_SLACK_MILLIS))
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

interface AnyServerCall {
  readonly metadata: Grpc.Metadata
  getPeer(): string
  getDeadline(): Grpc.Deadline
  on(event: "cancelled", listener: () => void): unknown
}

const callInfo = (path: string, call: AnyServerCall): CallInfo => {
  const { method, service } = describePath(path)
  return { path, service, method, metadata: call.metadata, peer: call.getPeer(), deadline: call.getDeadline() }
}

export type RunFork<R> = <A, E>(effect: Effect.Effect<A, E, R>) => { unsafeInterruptAsFork(id: FiberId.FiberId): void }

const statusObject = (status: GrpcStatus.Status): Partial<Grpc.StatusObject> => ({
  code: status.code,
  details: status.details,
  ...(status.metadata === undefined ? {} : { metadata: status.metadata })
})

type Method = Grpc.MethodDefinition<unknown, unknown>

const DESERIALIZE_FAILED = "Error deserializing request"

/** Decodes one request of a streaming call (registered with a pass-through deserializer). */
const decode = (method: Method, bytes: Buffer, messages: RpcSemConv.MessageEvents): unknown => {
  messages.received(bytes.length)
  return method.requestDeserialize(bytes)
}

/** Serializes one response of a streaming call; the event carries the size that goes on the wire. */
const encode = (method: Method, message: unknown, messages: RpcSemConv.MessageEvents): Buffer => {
  const bytes = method.responseSerialize(message)
  messages.sent(bytes.length)
  return bytes
}

const CLIENT_CANCELLED = GrpcStatus.make(GrpcStatus.Code.CANCELLED, "Cancelled by the client")

/** The requests of a client- or bidirectional-streaming call, read once by the handler. */
const requests = (
  call: GrpcStreams.MessageReader & { readonly cancelled: boolean },
  method: Method,
  messages: RpcSemConv.MessageEvents
): Stream.Stream<unknown, GrpcStatus.GrpcStatusError> =>
  GrpcStreams.read(call, {
    decode: (bytes: Buffer) => decode(method, bytes, messages),
    decodeError: () => GrpcStatus.internal(DESERIALIZE_FAILED),
    // The client went away (the handler is being interrupted through `cancelled` too): the
    // requests must not look complete, or the handler could answer OK to nobody first.
    error: () => CLIENT_CANCELLED,
    // Node ends the request side of a stream the client reset too; grpc-js says `cancelled` a
    // tick later. Only a real half-close ends the requests.
    end: (finish) => setImmediate(() => finish(call.cancelled ? CLIENT_CANCELLED : undefined))
  })

/** The same definition, with the streaming methods' requests and responses passed through as bytes. */
export const wireDefinition = (definition: Grpc.ServiceDefinition): Grpc.ServiceDefinition => {
  const wire: Record<string, Method> = {}
  for (const [key, method] of Object.entries(definition) as Array<[string, Method]>) {
    wire[key] = RpcSemConv.hasMessageEvents(RpcSemConv.callKind(method))
      ? {
        ...method,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (message: unknown) => Buffer.isBuffer(message) ? message : method.responseSerialize(message)
      }
      : method
  }
  return wire as Grpc.ServiceDefinition
}

/** Answers a streaming response: ends it, or turns the status into the call's (grpc-js does on `error`). */
const endStream = (call: Grpc.ServerWritableStream<unknown, unknown>, exit: Exit.Exit<unknown, unknown>, status: GrpcStatus.Status) => {
  if (call.cancelled) return
  if (Exit.isSuccess(exit)) call.end()
  else call.emit("error", statusObject(status))
}

/** The grpc-js handler function serving `method` with `handler`. */
/** Answers a call that has one response (unary, client-streaming): the response, or its status. */
const answer = (callback: Grpc.sendUnaryData<unknown>, exit: Exit.Exit<unknown, unknown>, status: GrpcStatus.Status) =>
  Effect.sync(() => {
    if (Exit.isSuccess(exit)) callback(null, exit.value)
    else callback(statusObject(status))
  })

/** Runs a call's fiber; the client's cancel interrupts it. */
const runUntilCancelled = <R>(runFork: RunFork<R>, call: AnyServerCall, effect: Effect.Effect<void, never, R>): void => {
  const fiber = runFork(effect)
  call.on("cancelled", () => fiber.unsafeInterruptAsFork(FiberId.none))
}

export const serve = <R>(
  method: Method,
  handler: Handler<R>,
  runFork: RunFork<R>,
  context: ServeContext
): Grpc.UntypedHandleCall => {
  const path = method.path
  switch (handler._tag) {
    case "Unary":
      return (call: Grpc.ServerUnaryCall<unknown, unknown>, callback: Grpc.sendUnaryData<unknown>): void => {
        const info = callInfo(path, call)
        runUntilCancelled(
          runFork,
          call,
          Effect.flatMap(serveCall(info, "unary", () => handler.handle(call.request, info), context), ({ exit, status }) =>
            answer(callback, exit, status))
        )
      }
    case "ServerStreaming":
      return (call: Grpc.ServerWritableStream<Buffer, unknown>): void => {
        const info = callInfo(path, call)
        const body = (messages: RpcSemConv.MessageEvents) =>
          Effect.try({
            try: () => decode(method, call.request, messages),
            catch: () => GrpcStatus.internal(DESERIALIZE_FAILED)
          }).pipe(Effect.flatMap((request) =>
            Stream.runForEach(handler.handle(request, info), (message) =>
              Effect.suspend(() => GrpcStreams.write(call, encode(method, message, messages))))
          ))
        runUntilCancelled(
          runFork,
          call,
          Effect.flatMap(serveCall(info, "server_streaming", body, context), ({ exit, status }) =>
            Effect.sync(() => endStream(call, exit, status)))
        )
      }
    case "ClientStreaming":
      return (call: Grpc.ServerReadableStream<Buffer, unknown>, callback: Grpc.sendUnaryData<unknown>): void => {
        const info = callInfo(path, call)
        const body = (messages: RpcSemConv.MessageEvents) =>
          Effect.flatMap(
            handler.handle(requests(call, method, messages), info),
            (response) => Effect.sync(() => encode(method, response, messages))
          )
        runUntilCancelled(
          runFork,
          call,
          Effect.flatMap(serveCall(info, "client_streaming", body, context), ({ exit, status }) =>
            answer(callback, exit, status))
        )
      }
    case "BidiStreaming":
      return (call: Grpc.ServerDuplexStream<Buffer, unknown>): void => {
        const info = callInfo(path, call)
        const body = (messages: RpcSemConv.MessageEvents) =>
          Stream.runForEach(handler.handle(requests(call, method, messages), info), (message) =>
            Effect.suspend(() => GrpcStreams.write(call, encode(method, message, messages))))
        runUntilCancelled(
          runFork,
          call,
          Effect.flatMap(serveCall(info, "bidi_streaming", body, context), ({ exit, status }) =>
            Effect.sync(() => endStream(call as unknown as Grpc.ServerWritableStream<unknown, unknown>, exit, status)))
        )
      }
  }
}
