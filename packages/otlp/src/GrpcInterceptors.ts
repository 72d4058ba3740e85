/**
 * Tracing and metrics for plain `@grpc/grpc-js` code, without rewriting it: a client interceptor
 * and a wrapper for a service's handlers. They give each call the spans and metrics of the
 * toolkit's own gRPC server and client on either Effect line: a span `package.Service/Method`
 * with the `rpc.*` attributes and `rpc.grpc.status_code`, context carried in the metadata, an
 * `rpc.message` event per message of a streaming call (with its size), and
 * `rpc.{server,client}.call.duration`. They use only the OpenTelemetry API (the global tracer
 * provider, meter provider and propagator unless given others), which the Observability layer of
 * either line registers, so their spans join the Effect spans of the same trace.
 *
 * @example
 * ```ts
 * import { GrpcInterceptors } from "@lingo-obs/otlp"
 *
 * const server = new Grpc.Server()
 * server.addService(UserService.service, GrpcInterceptors.instrumentService(UserService.service, handlers))
 * const client = new UserService(target, Grpc.credentials.createInsecure(), {
 *   interceptors: [GrpcInterceptors.clientInterceptor({ target, services: [UserService.service] })]
 * })
 * ```
 */
import * as Grpc from "@grpc/grpc-js"
import {
  type Attributes,
  context as otelContext,
  type Context,
  type Histogram,
  type MeterProvider,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  trace,
  type TracerProvider
} from "@opentelemetry/api"
import { Code } from "./GrpcCodes.js"
import * as SemConv from "./HttpSemConv.js"
import * as RpcSemConv from "./RpcSemConv.js"
import { defaultGrpc, type GrpcSkipper, isGrpcHealthCheck } from "./Skipper.js"

/** Options of the interceptor and of the handler wrapper. */
export interface Options {
  /** Default: the global tracer provider (`trace.getTracerProvider()`), looked up at each call. */
  readonly tracerProvider?: TracerProvider | undefined
  /** Default: the global meter provider, looked up at each call. */
  readonly meterProvider?: MeterProvider | undefined
  /** Default: the global propagator (`propagation`). */
  readonly propagator?: TextMapPropagator | undefined
  /** Calls to make without a span and without metrics; default: the health check. */
  readonly skipper?: GrpcSkipper | undefined
  /** Record `rpc.*.call.duration`; default true. */
  readonly metrics?: boolean | undefined
  /** Count health checks in the metrics (still without spans); default false. */
  readonly includeHealth?: boolean | undefined
  /** Also record the metric names of semantic conventions 1.37 (`rpc.server.duration`, ms); default false. */
  readonly legacyMetrics?: boolean | undefined
}

/** Options of the client interceptor. */
export interface ClientOptions extends Options {
  /** The target the client dials, for `server.address`/`server.port`; default: the peer the call reached. */
  readonly target?: string | undefined
  /**
   * The services the client calls, so that received messages get their size too (an interceptor
   * sees received messages only decoded; their size is measured by re-serializing them).
   */
  readonly services?: ReadonlyArray<RpcSemConv.ServiceInput> | undefined
}

const SCOPE = "@lingo-obs/otlp/GrpcInterceptors"

interface Instruments {
  readonly duration: Record<RpcSemConv.Side, Histogram>
  readonly legacy: Record<RpcSemConv.Side, Histogram>
}

const instrumentsByProvider = new WeakMap<MeterProvider, Instruments>()

/** The histograms of `provider`, made once (the global provider changes when a layer starts). */
const instrumentsOf = (provider: MeterProvider): Instruments => {
  let instruments = instrumentsByProvider.get(provider)
  if (instruments === undefined) {
    const meter = provider.getMeter(SCOPE)
    const histogram = (definition: RpcSemConv.HistogramDefinition) =>
      meter.createHistogram(definition.name, {
        description: definition.description,
        unit: definition.unit,
        advice: { explicitBucketBoundaries: [...definition.boundaries] }
      })
    instruments = {
      duration: { server: histogram(RpcSemConv.callDuration.server), client: histogram(RpcSemConv.callDuration.client) },
      legacy: { server: histogram(RpcSemConv.legacyDuration.server), client: histogram(RpcSemConv.legacyDuration.client) }
    }
    instrumentsByProvider.set(provider, instruments)
  }
  return instruments
}

/** One call in flight: its span (if traced), its message events, and `end`, which acts once. */
interface CallRecord {
  readonly span: Span | undefined
  /** The context the call runs in: its span's, over the parent's. */
  readonly context: Context
  readonly messages: RpcSemConv.MessageEvents
  readonly end: (status: RpcSemConv.CallStatus, server: { host: string; port: number | undefined }) => void
}

const NO_MESSAGES: RpcSemConv.MessageEvents = { sent: () => {}, received: () => {} }

/** Opens the span of a call on `side` and returns how to end it; nothing is recorded twice. */
const begin = (
  side: RpcSemConv.Side,
  method: { readonly path: string; readonly requestStream: boolean; readonly responseStream: boolean },
  parent: Context,
  attributes: Attributes,
  options: Options
): CallRecord => {
  const path = method.path
  const traced = !(options.skipper ?? defaultGrpc)(path)
  const measured = options.metrics !== false && (isGrpcHealthCheck(path) ? options.includeHealth === true : traced)
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE)
  const span = traced
    ? tracer.startSpan(RpcSemConv.spanName(path), {
      kind: side === "server" ? SpanKind.SERVER : SpanKind.CLIENT,
      attributes: { ...RpcSemConv.spanAttributes(path), ...attributes }
    }, parent)
    : undefined
  const messages = span !== undefined && RpcSemConv.hasMessageEvents(RpcSemConv.callKind(method))
    ? RpcSemConv.messageEvents((attributes) => span.addEvent(RpcSemConv.MESSAGE_EVENT, attributes))
    : NO_MESSAGES
  const start = performance.now()
  let ended = false
  const end = (status: RpcSemConv.CallStatus, server: { host: string; port: number | undefined }) => {
    if (ended) return
    ended = true
    const seconds = (performance.now() - start) / 1000
    const errorType = RpcSemConv.errorType(side, status.code)
    if (span !== undefined) {
      span.setAttribute(SemConv.RPC_GRPC_STATUS_CODE, status.code)
      if (errorType !== undefined) span.setAttribute(SemConv.ERROR_TYPE, errorType)
      // As the toolkit's own wrappers: a server span stays Unset unless the server failed; a
      // client span is an error on any non-OK status, OK otherwise.
      if (RpcSemConv.isSpanError(side, status.code)) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: status.details })
      } else if (side === "client") span.setStatus({ code: SpanStatusCode.OK })
      span.end()
    }
    if (measured) {
      const instruments = instrumentsOf(options.meterProvider ?? metrics.getMeterProvider())
      const call = RpcSemConv.rpcCall(side, path, status.code, server)
      instruments.duration[side].record(seconds, RpcSemConv.defined(RpcSemConv.metricAttributes(call)))
      if (options.legacyMetrics === true) {
        instruments.legacy[side].record(seconds * 1000, RpcSemConv.defined(RpcSemConv.legacyMetricAttributes(call, side)))
      }
    }
  }
  return { span, context: span === undefined ? parent : trace.setSpan(parent, span), messages, end }
}

// ---------------------------------------------------------------------------------------------
// Client

/** The response serializers of the services a client calls, by path, for the sizes of received messages. */
const responseSerializers = (services: ReadonlyArray<RpcSemConv.ServiceInput> | undefined) => {
  const byPath = new Map<string, (message: any) => Buffer>()
  for (const service of services ?? []) {
    for (const method of Object.values(RpcSemConv.definitionOf(service))) byPath.set(method.path, method.responseSerialize)
  }
  return byPath
}

/**
 * A client interceptor (`new Client(target, credentials, { interceptors: [...] })`, or per call):
 * a client span per call, parented on the active context, whose context and baggage are injected
 * into the metadata.
 *
 * @example
 * ```ts
 * const client = new UserService(target, Grpc.credentials.createInsecure(), {
 *   interceptors: [GrpcInterceptors.clientInterceptor({ target, services: [UserService.service] })]
 * })
 * ```
 */
export const clientInterceptor = (options: ClientOptions = {}): Grpc.Interceptor => {
  const target = options.target === undefined ? undefined : RpcSemConv.targetAddress(options.target)
  const serializers = responseSerializers(options.services)
  return (callOptions, nextCall) => {
    const method = callOptions.method_definition
    const call = begin(
      "client",
      method,
      otelContext.active(),
      target === undefined ? {} : RpcSemConv.serverAttributes(target.host, target.port),
      options
    )
    const responseSerialize = serializers.get(method.path)
    const next = nextCall(callOptions)
    const serverOf = () => target ?? RpcSemConv.splitHostPort(next.getPeer())
    return new Grpc.InterceptingCall(next, {
      start: (metadata, listener, start) => {
        ;(options.propagator ?? propagation).inject(call.context, metadata, RpcSemConv.metadataSetter)
        start(metadata, {
          onReceiveMessage: (message, receive) => {
            call.messages.received(responseSerialize === undefined ? undefined : RpcSemConv.sizeOf(responseSerialize, message))
            receive(message)
          },
          onReceiveStatus: (status, receive) => {
            call.end(status, serverOf())
            receive(status)
          }
        })
      },
      sendMessage: (message, send) => {
        call.messages.sent(RpcSemConv.sizeOf(method.requestSerialize, message))
        send(message)
      }
    })
  }
}

// ---------------------------------------------------------------------------------------------
// Server

/** What every grpc-js server call offers. */
interface ServerCall {
  readonly metadata: Grpc.Metadata
  getPeer(): string
  getHost?(): string
  getDeadline(): Grpc.Deadline
  on(event: "cancelled", listener: () => void): unknown
}

/** A cancellation this close to the deadline is the deadline (the client resets at its own, a hair earlier). */
const DEADLINE_SLACK_MILLIS = 50

const OK: RpcSemConv.CallStatus = { code: Code.OK, details: "OK" }

/**
 * Opens the server span of `call` and ends it on `cancelled` (which grpc-js emits after every
 * call, answered or not) unless the handler's answer ended it first.
 */
const beginServer = (
  method: Grpc.MethodDefinition<unknown, unknown>,
  call: ServerCall,
  options: Options
): CallRecord & { readonly server: { host: string; port: number | undefined } } => {
  const parent = (options.propagator ?? propagation).extract(otelContext.active(), call.metadata, RpcSemConv.metadataGetter)
  const server = RpcSemConv.splitHostPort(call.getHost?.() ?? "")
  const record = begin("server", method, parent, {
    ...(server.host === "" ? {} : RpcSemConv.serverAttributes(server.host, server.port)),
    ...RpcSemConv.peerAttributes(call.getPeer())
  }, options)
  call.on("cancelled", () => {
    const code = RpcSemConv.deadlinePassed(call.getDeadline(), DEADLINE_SLACK_MILLIS) ? Code.DEADLINE_EXCEEDED : Code.CANCELLED
    record.end({ code, details: Grpc.status[code] ?? "CANCELLED" }, server)
  })
  return { ...record, server }
}

/** Counts each message written to a streaming call (its size by the method's serializer). */
const countWrites = (call: { write: (...args: Array<any>) => boolean }, method: Grpc.MethodDefinition<unknown, unknown>, messages: RpcSemConv.MessageEvents) => {
  const write = call.write.bind(call)
  call.write = (message: unknown, ...rest: Array<unknown>) => {
    messages.sent(RpcSemConv.sizeOf(method.responseSerialize, message))
    return write(message, ...rest)
  }
}

/** Counts each message grpc-js hands to a request stream, without changing how the handler reads it. */
const countReads = (call: { push: (chunk: any) => boolean }, method: Grpc.MethodDefinition<unknown, unknown>, messages: RpcSemConv.MessageEvents) => {
  const push = call.push.bind(call)
  call.push = (chunk: unknown) => {
    if (chunk !== null) messages.received(RpcSemConv.sizeOf(method.requestSerialize, chunk))
    return push(chunk)
  }
}

/**
 * Ends a streaming response's span with the handler's answer: `end()` is OK; an `error` event
 * (how a grpc-js handler answers a status on a stream) its status.
 */
const watchStreamAnswer = (
  call: Grpc.ServerWritableStream<unknown, unknown> | Grpc.ServerDuplexStream<unknown, unknown>,
  record: ReturnType<typeof beginServer>
) => {
  let failed: RpcSemConv.CallStatus | undefined
  // Ahead of grpc-js's own listener, which ends the call at once.
  call.prependListener("error", (error: unknown) => {
    failed = RpcSemConv.statusOfError(error)
  })
  const end = call.end.bind(call) as (...args: Array<unknown>) => unknown
  ;(call as { end: (...args: Array<unknown>) => unknown }).end = (...args: Array<unknown>) => {
    record.end(failed ?? OK, record.server)
    return end(...args)
  }
}

/** The status a unary answer (`callback(error, value)`) means. */
const answerStatus = (error: unknown): RpcSemConv.CallStatus =>
  error === null || error === undefined ? OK : RpcSemConv.statusOfError(error)

const UNKNOWN_ERROR: RpcSemConv.CallStatus = { code: Code.UNKNOWN, details: "Unknown error" }

/** Runs the handler in the call's context; a handler that throws is answered UNKNOWN by grpc-js, and so ends its span. */
const run = (record: ReturnType<typeof beginServer>, handle: () => unknown): void => {
  try {
    otelContext.with(record.context, handle)
  } catch (error) {
    record.end(UNKNOWN_ERROR, record.server)
    throw error
  }
}

const wrapHandler = (
  method: Grpc.MethodDefinition<unknown, unknown>,
  handler: (...args: Array<any>) => unknown,
  options: Options
): Grpc.UntypedHandleCall => {
  switch (RpcSemConv.callKind(method)) {
    case "unary":
      return (call: Grpc.ServerUnaryCall<unknown, unknown>, callback: Grpc.sendUnaryData<unknown>) => {
        const record = beginServer(method, call, options)
        run(record, () =>
          handler(call, (error: Grpc.ServerErrorResponse | null, ...rest: Array<any>) => {
            record.end(answerStatus(error), record.server)
            ;(callback as (...args: Array<unknown>) => void)(error, ...rest)
          }))
      }
    case "client_streaming":
      return (call: Grpc.ServerReadableStream<unknown, unknown>, callback: Grpc.sendUnaryData<unknown>) => {
        const record = beginServer(method, call, options)
        countReads(call, method, record.messages)
        run(record, () =>
          handler(call, (error: Grpc.ServerErrorResponse | null, value?: unknown, ...rest: Array<any>) => {
            if (error === null || error === undefined) record.messages.sent(RpcSemConv.sizeOf(method.responseSerialize, value))
            record.end(answerStatus(error), record.server)
            ;(callback as (...args: Array<unknown>) => void)(error, value, ...rest)
          }))
      }
    case "server_streaming":
      return (call: Grpc.ServerWritableStream<unknown, unknown>) => {
        const record = beginServer(method, call, options)
        record.messages.received(RpcSemConv.sizeOf(method.requestSerialize, call.request))
        countWrites(call, method, record.messages)
        watchStreamAnswer(call, record)
        run(record, () => handler(call))
      }
    case "bidi_streaming":
      return (call: Grpc.ServerDuplexStream<unknown, unknown>) => {
        const record = beginServer(method, call, options)
        countReads(call, method, record.messages)
        countWrites(call, method, record.messages)
        watchStreamAnswer(call, record)
        run(record, () => handler(call))
      }
  }
}

/**
 * The handlers of a service (keyed as for `server.addService`: by the definition's keys or the
 * methods' original names), each wrapped to give its calls a server span, parented on the
 * context extracted from the metadata and active while the handler runs, and the metrics.
 * Handlers for methods the definition lacks are returned unchanged (grpc-js rejects them).
 *
 * @example
 * ```ts
 * server.addService(UserService.service, GrpcInterceptors.instrumentService(UserService.service, {
 *   getUser: (call, callback) => callback(null, users.get(call.request.id))
 * }))
 * ```
 */
export const instrumentService = <Implementation extends Grpc.UntypedServiceImplementation>(
  service: RpcSemConv.ServiceInput,
  implementation: Implementation,
  options: Options = {}
): Implementation => {
  const definition = RpcSemConv.definitionOf(service)
  const wrapped: Grpc.UntypedServiceImplementation = {}
  for (const [name, handler] of Object.entries(implementation)) {
    const key = RpcSemConv.methodKey(definition, name)
    const method = key === undefined ? undefined : definition[key]
    wrapped[name] = method === undefined || typeof handler !== "function"
      ? handler
      : wrapHandler(method as Grpc.MethodDefinition<unknown, unknown>, handler as (...args: Array<any>) => unknown, options)
  }
  return wrapped as Implementation
}
