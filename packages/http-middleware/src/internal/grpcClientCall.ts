/**
 * How `GrpcClient` makes one call of each kind (unary, server-streaming, client-streaming,
 * bidirectional): every call opens its client span and injects its context in one fiber step
 * (`unsafeBegin`), and ends the span and records the duration once, with the status the call
 * ended with. Streaming calls get an `rpc.message` event per message with its size, taken from
 * the call's own (de)serializers, so no message is serialized twice.
 */
import type * as Grpc from "@grpc/grpc-js"
import { Instrumentation, Propagation } from "@lingo-obs/core"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as GrpcStatus from "../GrpcStatus.js"
import * as RequestMetrics from "../RequestMetrics.js"
import * as Skipper from "../Skipper.js"
import { deadlineAfter, describePath, rpcAttributes } from "./grpc.js"
import * as GrpcStreams from "./grpcStreams.js"
import { metadataSetter, unsafeInject } from "./propagation.js"
import * as Spans from "./spans.js"

/** Options of one call. */
export interface CallOptions {
  /** The call's deadline, from now; replaces the client's default `timeout`. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Request metadata to send along (trace context is added to it). */
  readonly metadata?: Grpc.Metadata | Readonly<Record<string, string>> | undefined
}

/** What calling needs from the client and its options. */
export interface ClientContext {
  readonly client: Grpc.Client
  readonly timeout: Duration.DurationInput | undefined
  readonly propagator: TextMapPropagator | undefined
  readonly tracer: Tracer.Tracer | undefined
  readonly skipper: Skipper.GrpcSkipper
  readonly server: { readonly host: string; readonly port: number | undefined }
}

type Method = Grpc.MethodDefinition<unknown, unknown>

const toStatusError = (error: unknown): GrpcStatus.GrpcStatusError => {
  const status = RpcSemConv.statusOfError(error)
  return GrpcStatus.make(status.code, status.details, status.metadata)
}

/**
 * The code a call ended with, from the exit of its Effect: a status error its own; a failure of
 * the requests stream, or an interruption, CANCELLED (the call was cancelled); a defect INTERNAL.
 */
const codeOf = (exit: Exit.Exit<unknown, unknown>): GrpcStatus.Code => {
  if (Exit.isSuccess(exit)) return GrpcStatus.Code.OK
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    return GrpcStatus.isGrpcStatusError(failure.value) ? failure.value.code : GrpcStatus.Code.CANCELLED
  }
  if (Cause.isInterruptedOnly(exit.cause)) return GrpcStatus.Code.CANCELLED
  return GrpcStatus.Code.INTERNAL
}

const NO_MESSAGES: RpcSemConv.MessageEvents = { sent: () => {}, received: () => {} }

/** What every call does around the transport: span, injection, message events, status, metrics. */
interface Instrumented {
  readonly span: Tracer.Span | undefined
  readonly metadata: Grpc.Metadata
  readonly options: Grpc.CallOptions
  /** The method's (de)serializers, reporting a message event with each message's size on streaming calls. */
  readonly serialize: (message: unknown) => Buffer
  readonly deserialize: (bytes: Buffer) => unknown
  /** Ends the span and records the duration, given the call's code and the exit to end the span with. */
  readonly finish: (fiber: Fiber.RuntimeFiber<any, any>, code: GrpcStatus.Code, exit: Exit.Exit<unknown, unknown>) => void
}

/** Opens the call's span and injects its context, in the fiber's step. */
const unsafeBegin = (
  fiber: Fiber.RuntimeFiber<any, any>,
  method: Method,
  callOptions: CallOptions | undefined,
  context: ClientContext
): Instrumented => {
  const path = method.path
  const services = fiber.currentContext
  const settings = Context.get(services, Instrumentation.Settings)
  const traced = !context.skipper(path)
  const measured = Skipper.isGrpcHealthCheck(path) ? settings.grpcIncludeHealth : traced
  const propagator = context.propagator ?? Context.get(services, Propagation.Propagator)
  const span = traced
    ? Spans.unsafeStart(fiber, describePath(path).name, {
      kind: "client",
      parent: undefined,
      attributes: { ...rpcAttributes(path), ...RpcSemConv.serverAttributes(context.server.host, context.server.port) },
      tracer: context.tracer
    }, Spans.nowNanos(fiber))
    : undefined
  const metadata = RpcSemConv.outgoingMetadata(callOptions?.metadata)
  unsafeInject(fiber, propagator, metadata, metadataSetter, span)
  const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
  const messages = span !== undefined && RpcSemConv.hasMessageEvents(RpcSemConv.callKind(method))
    ? RpcSemConv.messageEvents((attributes) => span.event(RpcSemConv.MESSAGE_EVENT, clock.unsafeCurrentTimeNanos(), attributes))
    : NO_MESSAGES
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
  const deadline = deadlineAfter(callOptions?.timeout ?? context.timeout)
  return {
    span,
    metadata,
    options: deadline === undefined ? {} : { deadline },
    serialize: messages === NO_MESSAGES ? method.requestSerialize : (message) => {
      const bytes = method.requestSerialize(message)
      messages.sent(bytes.length)
      return bytes
    },
    deserialize: messages === NO_MESSAGES ? method.responseDeserialize : (bytes) => {
      messages.received(bytes.length)
      return method.responseDeserialize(bytes)
    },
    finish
  }
}

/** Runs a call with one response: opens it with `begin`, waits for the answer, ends the span with its exit. */
const singleResponse = <E, R>(
  method: Method,
  callOptions: CallOptions | undefined,
  context: ClientContext,
  transport: (call: Instrumented) => Effect.Effect<unknown, GrpcStatus.GrpcStatusError | E, R>
): Effect.Effect<unknown, GrpcStatus.GrpcStatusError | E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      const call = unsafeBegin(fiber, method, callOptions, context)
      const running = call.span === undefined
        ? restore(transport(call))
        : Spans.provideAll(restore(transport(call)), fiber.currentContext, [[Tracer.ParentSpan.key, call.span]])
      return Spans.finishing(running, (exit) => call.finish(fiber, codeOf(exit), exit))
    })
  )

/** A unary method: one request, an Effect of the response. */
export const unaryMethod = (method: Method, context: ClientContext) =>
(request: unknown, callOptions?: CallOptions): Effect.Effect<unknown, GrpcStatus.GrpcStatusError> =>
  singleResponse(method, callOptions, context, (call) =>
    Effect.async<unknown, GrpcStatus.GrpcStatusError>((resume) => {
      const pending = context.client.makeUnaryRequest(
        method.path,
        call.serialize,
        call.deserialize,
        request,
        call.metadata,
        call.options,
        (error, value) => resume(error === null ? Effect.succeed(value) : Effect.fail(toStatusError(error)))
      )
      return Effect.sync(() => pending.cancel())
    }))

/** Writes `requests` to the call and half-closes it; cancels the call if the requests fail. */
const send = <E, R>(
  call: GrpcStreams.MessageWriter & { end(): unknown; cancel(): void },
  requests: Stream.Stream<unknown, E, R>
): Effect.Effect<void, E, R> =>
  Stream.runForEach(requests, (message) => GrpcStreams.write(call, message)).pipe(
    Effect.zipRight(Effect.sync(() => call.end())),
    Effect.tapErrorCause(() => Effect.sync(() => call.cancel()))
  )

/** A client-streaming method: a Stream of requests, an Effect of the one response. */
export const clientStreamingMethod = (method: Method, context: ClientContext) =>
<E, R>(requests: Stream.Stream<unknown, E, R>, callOptions?: CallOptions) =>
  singleResponse(method, callOptions, context, (call) =>
    Effect.suspend(() => {
      let answered = false
      const response = Deferred.unsafeMake<unknown, GrpcStatus.GrpcStatusError>(FiberId.none)
      const pending = context.client.makeClientStreamRequest(
        method.path,
        call.serialize,
        call.deserialize,
        call.metadata,
        call.options,
        (error, value) => {
          answered = true
          Deferred.unsafeDone(response, error === null ? Exit.succeed(value) : Exit.fail(toStatusError(error)))
        }
      )
      // The server may answer before the client has sent everything: its answer wins the race.
      return Effect.raceFirst(Effect.zipRight(send(pending, requests), Effect.never), Deferred.await(response)).pipe(
        Effect.onExit(() => Effect.sync(() => answered || pending.cancel()))
      )
    }))

/**
 * A call with a stream of responses (server-streaming, or bidirectional when `requests` is given):
 * the span ends when the stream ends, fails, or its consumer stops (CANCELLED, no error).
 */
const streamingResponses = <E, R>(
  method: Method,
  callOptions: CallOptions | undefined,
  context: ClientContext,
  open: (call: Instrumented) => Grpc.ClientReadableStream<unknown> & Partial<GrpcStreams.MessageWriter>,
  requests: Stream.Stream<unknown, E, R> | undefined
): Stream.Stream<unknown, GrpcStatus.GrpcStatusError | E, R> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const call = yield* Effect.withFiberRuntime<Instrumented>((fiber) =>
      Effect.succeed(unsafeBegin(fiber, method, callOptions, context))
    )
    // The outcome as the transport reports it; a consumer that stops early leaves it unset.
    let outcome: GrpcStatus.GrpcStatusError | "ended" | undefined
    let requestsFailed: Option.Option<E> = Option.none()
    const stream = yield* Effect.acquireRelease(
      Effect.sync(() => open(call)),
      (stream) =>
        Effect.withFiberRuntime((fiber) => {
          const code = outcome === undefined ? GrpcStatus.Code.CANCELLED : outcome === "ended" ? GrpcStatus.Code.OK : outcome.code
          const exit = outcome === undefined || outcome === "ended"
            ? Option.match(requestsFailed, { onNone: () => Exit.void, onSome: Exit.fail })
            : Exit.fail(outcome)
          if (outcome === undefined) stream.cancel()
          call.finish(fiber, code, exit)
          return Effect.void
        })
    )
    const responses = GrpcStreams.read(stream, {
      decode: (message: unknown) => message,
      decodeError: (error) => toStatusError(error),
      error: (error: Grpc.ServiceError) => {
        if (error.code === GrpcStatus.Code.CANCELLED && outcome === undefined) return undefined
        return outcome = toStatusError(error)
      },
      end: (finish) => {
        outcome ??= "ended"
        finish()
      }
    })
    if (requests === undefined) return responses
    const sending = send(stream as unknown as Grpc.ClientDuplexStream<unknown, unknown>, requests).pipe(
      Effect.tapError((error) => Effect.sync(() => (requestsFailed = Option.some(error))))
    )
    // Ends with the responses; a failure of the requests fails the call's stream too, even when
    // the cancellation it causes ends the responses first.
    return Stream.merge(responses, Stream.drain(Stream.fromEffect(sending)), { haltStrategy: "left" }).pipe(
      Stream.concat(Stream.suspend(() => Option.match(requestsFailed, { onNone: () => Stream.empty, onSome: Stream.fail })))
    )
  }))

/** A server-streaming method: one request, a Stream of responses. */
export const serverStreamingMethod = (method: Method, context: ClientContext) =>
(request: unknown, callOptions?: CallOptions): Stream.Stream<unknown, GrpcStatus.GrpcStatusError> =>
  streamingResponses(
    method,
    callOptions,
    context,
    (call) =>
      context.client.makeServerStreamRequest(
        method.path,
        call.serialize,
        call.deserialize,
        request,
        call.metadata,
        call.options
      ),
    undefined
  )

/** A bidirectional-streaming method: a Stream of requests, a Stream of responses. */
export const bidiStreamingMethod = (method: Method, context: ClientContext) =>
<E, R>(requests: Stream.Stream<unknown, E, R>, callOptions?: CallOptions) =>
  streamingResponses(
    method,
    callOptions,
    context,
    (call) => context.client.makeBidiStreamRequest(method.path, call.serialize, call.deserialize, call.metadata, call.options),
    requests
  )
