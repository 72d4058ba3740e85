/**
 * Tracing and request metrics for Effect 4's `HttpClient` (`effect/http`): one client span per
 * request with the stable HTTP client semantic-convention attributes, the span's context and the
 * current baggage injected into the request headers with the configured propagator (W3C, B3,
 * Jaeger, custom), and `http.client.request.duration`.
 *
 * Effect's client has a tracer of its own (a span per request, `traceparent`/`b3` headers only);
 * the instrumented client switches it off underneath, so each request has one client span and its
 * headers follow the configured propagator.
 *
 * @example
 * ```ts
 * import { HttpClientMiddleware } from "lingo-obs/http"
 *
 * // every HttpClient taken from the context is instrumented
 * const HttpClientLive = HttpClientMiddleware.layer().pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 */
import { clientTarget, errorTypeOf } from "@lingo-obs/otlp/HttpRequestAttributes"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { constTrue } from "effect/Function"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Url from "effect/http/Url"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Tracer from "effect/Tracer"
import * as Instrumentation from "../Instrumentation.js"
import { headersSetter, unsafeInject } from "../internal/propagation.js"
import * as Spans from "../internal/spans.js"
import * as Propagation from "../Propagation.js"
import * as RequestMetrics from "./RequestMetrics.js"

/** Options of the HTTP client middleware. */
export interface Options {
  /** Replaces the configured propagator (`Propagation.Propagator`) for injection. */
  readonly propagator?: TextMapPropagator | undefined
  /** Requests to send without a span and without metrics (their context is still injected). */
  readonly skipper?: ((request: HttpClientRequest.HttpClientRequest) => boolean) | undefined
  /** The span name; default: the method (`GET`), as the conventions say when no URL template is known. */
  readonly spanName?: ((request: HttpClientRequest.HttpClientRequest) => string) | undefined
  /** The Effect tracer that creates the client spans; default: the program's tracer. */
  readonly tracer?: Tracer.Tracer | undefined
}

/** A response with a 4xx or 5xx status; it marks the client span as an error (the request is not failed). */
export class HttpClientErrorStatus extends Data.TaggedError("HttpClientErrorStatus")<{
  readonly status: number
  readonly message: string
}> {}

/** `request` with the context of `span` (or of the current span) and the baggage in its headers. */
const injected = (
  fiber: Fiber.Fiber<unknown, unknown>,
  request: HttpClientRequest.HttpClientRequest,
  propagator: TextMapPropagator,
  span: Tracer.AnySpan | undefined
): HttpClientRequest.HttpClientRequest => {
  const headers: Record<string, string> = {}
  unsafeInject(fiber, propagator, headers, headersSetter, span)
  return HttpClientRequest.setHeaders(request, headers)
}

const targetOf = (request: HttpClientRequest.HttpClientRequest) =>
  clientTarget(
    request.url,
    request.urlParams.params.length === 0 && request.hash._tag === "None",
    () => Result.getOrUndefined(Url.make(request.url, request.urlParams, Option.getOrUndefined(request.hash)))
  )

/** Runs `inner`'s request with Effect's own client tracer off: this middleware's span replaces it. */
const sendUntraced = <E, R>(
  inner: HttpClient.HttpClient.With<E, R>,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
  Effect.provideService(inner.execute(request), HttpClient.TracerDisabledWhen, constTrue)

/**
 * One request: one fiber step opens the span, injects and sends; one exit hook ends the span and
 * records the duration, synchronously.
 */
const execute = <E, R>(
  request: HttpClientRequest.HttpClientRequest,
  inner: HttpClient.HttpClient.With<E, R>,
  options: Options
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
  Effect.withFiber<HttpClientResponse.HttpClientResponse, E, R>((fiber) => {
    const propagator = options.propagator ?? fiber.getRef(Propagation.Propagator)
    if (options.skipper?.(request) === true) return sendUntraced(inner, injected(fiber, request, propagator, undefined))

    const { method, original } = SemConv.normalizeMethod(request.method)
    const target = targetOf(request)
    const metricAttributes = {
      [SemConv.HTTP_REQUEST_METHOD]: method,
      [SemConv.SERVER_ADDRESS]: target.host,
      [SemConv.SERVER_PORT]: target.port,
      [SemConv.URL_SCHEME]: target.scheme
    }
    const attributes: Record<string, unknown> = { ...metricAttributes }
    if (original !== undefined) attributes[SemConv.HTTP_REQUEST_METHOD_ORIGINAL] = original
    if (target.full !== undefined) attributes[SemConv.URL_FULL] = target.full

    const startTime = Spans.nowNanos(fiber)
    const span = Spans.unsafeStart(
      fiber,
      options.spanName?.(request) ?? SemConv.methodForName(method),
      { kind: "client", parent: undefined, attributes, tracer: options.tracer },
      startTime
    )
    const sent = sendUntraced(inner, injected(fiber, request, propagator, span))
    const finish = (exit: Exit.Exit<HttpClientResponse.HttpClientResponse, E>): void => {
      const endTime = Spans.nowNanos(fiber)
      const status = Exit.isSuccess(exit) ? exit.value.status : undefined
      const interrupted = Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
      const errorType = status !== undefined
        ? (status >= 400 ? String(status) : undefined)
        : Exit.isFailure(exit) && !interrupted
        ? errorTypeOf(Cause.squash(exit.cause))
        : undefined
      if (span !== undefined) {
        if (status !== undefined) span.attribute(SemConv.HTTP_RESPONSE_STATUS_CODE, status)
        if (errorType !== undefined) span.attribute(SemConv.ERROR_TYPE, errorType)
        Spans.unsafeEnd(
          span,
          status === undefined
            ? exit
            : status >= 400
            ? Exit.fail(new HttpClientErrorStatus({ status, message: `HTTP ${status}` }))
            : Exit.void,
          endTime
        )
      }
      if (!interrupted && fiber.getRef(Instrumentation.Settings).requestMetrics) {
        RequestMetrics.unsafeRecordHttpClient(fiber, {
          ...metricAttributes,
          [SemConv.HTTP_RESPONSE_STATUS_CODE]: status,
          [SemConv.ERROR_TYPE]: errorType
        }, Number(endTime - startTime) / 1e9)
      }
    }
    const within = span === undefined ? fiber.context : Context.add(fiber.context, Tracer.ParentSpan, span)
    return Spans.runIn(fiber, sent, within, finish)
  })

/**
 * Instruments a client: a client span per request, context injected with the configured
 * propagator, `http.client.request.duration`. Apply it to the base client; request mappings
 * added afterwards (`HttpClient.mapRequest(HttpClientRequest.prependUrl(...))`) are seen by the span.
 *
 * @example
 * ```ts
 * const client = (yield* HttpClient.HttpClient).pipe(HttpClientMiddleware.instrument())
 * const response = yield* client.get("http://127.0.0.1:8080/users/1")
 * ```
 */
export const instrument = (options: Options = {}) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.makeWith<never, never, E, R>(
    (request) => Effect.flatMap(request, (request) => execute(request, client, options)),
    Effect.succeed
  )

/**
 * Replaces the `HttpClient` of the context with an instrumented one.
 *
 * @example
 * ```ts
 * const HttpClientLive = HttpClientMiddleware.layer().pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient)(
    Effect.map(Effect.service(HttpClient.HttpClient), (client) => instrument(options)(client) as HttpClient.HttpClient)
  )
