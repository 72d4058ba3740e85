/**
 * Tracing and request metrics for `@effect/platform`'s `HttpClient`: one client span per request
 * with the stable HTTP client semantic-convention attributes, the span's context and the current
 * baggage injected into the request headers with the configured propagator, and
 * `http.client.request.duration`.
 *
 * The platform's client has a tracer of its own (a span per request, `traceparent`/`b3` headers
 * only); the instrumented client switches it off underneath, so each request has one client span
 * and its headers follow the configured propagator (B3, Jaeger, custom).
 *
 * @example
 * ```ts
 * import { HttpClientMiddleware } from "@lingo-obs/http-middleware"
 *
 * // every HttpClient taken from the context is instrumented
 * const HttpClientLive = HttpClientMiddleware.layer().pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import { Instrumentation, Propagation } from "@lingo-obs/core"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { constTrue } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { headersSetter, unsafeInject } from "./internal/propagation.js"
import { clientTarget, errorTypeOf } from "@lingo-obs/otlp/HttpRequestAttributes"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import * as Spans from "./internal/spans.js"
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
  fiber: Fiber.RuntimeFiber<any, any>,
  request: HttpClientRequest.HttpClientRequest,
  propagator: TextMapPropagator,
  span: Tracer.AnySpan | undefined
): HttpClientRequest.HttpClientRequest => {
  const headers: Record<string, string> = {}
  unsafeInject(fiber, propagator, headers, headersSetter, span)
  return HttpClientRequest.setHeaders(request, headers)
}

/** The request's URL as the conventions record it (the engine's rules, shared with the Effect 4 line). */
const targetOf = (request: HttpClientRequest.HttpClientRequest) =>
  clientTarget(
    request.url,
    request.urlParams.length === 0 && request.hash._tag === "None",
    () => Either.getOrUndefined(UrlParams.makeUrl(request.url, request.urlParams, request.hash))
  )

/**
 * One request: one fiber step opens the span, injects and sends; one exit hook ends the span and
 * records the duration, synchronously.
 */
const execute = <E, R>(
  request: HttpClientRequest.HttpClientRequest,
  inner: HttpClient.HttpClient.With<E, R>,
  options: Options
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, E, R>((fiber) => {
      const context = fiber.currentContext
      const propagator = options.propagator ?? Context.get(context, Propagation.Propagator)
      if (options.skipper?.(request) === true) return restore(inner.execute(injected(fiber, request, propagator, undefined)))

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

      const span = Spans.unsafeStart(
        fiber,
        options.spanName?.(request) ?? SemConv.methodForName(method),
        { kind: "client", parent: undefined, attributes, tracer: options.tracer },
        Spans.nowNanos(fiber)
      )
      const outgoing = injected(fiber, request, propagator, span)
      const startTime = Spans.nowNanos(fiber)
      const sent = restore(inner.execute(outgoing))
      const running = span === undefined ? sent : Spans.provideAll(sent, context, [[Tracer.ParentSpan.key, span]])

      const finish = (exit: Exit.Exit<HttpClientResponse.HttpClientResponse, E>): void => {
        const endTime = Spans.nowNanos(fiber)
        const status = Exit.isSuccess(exit) ? exit.value.status : undefined
        const interrupted = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
        const errorType = status !== undefined
          ? (status >= 400 ? String(status) : undefined)
          : Exit.isFailure(exit) && !interrupted
          ? errorTypeOf(Option.getOrUndefined(Cause.failureOption(exit.cause)) ?? Cause.squash(exit.cause))
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
        if (!interrupted && Context.get(context, Instrumentation.Settings).requestMetrics) {
          RequestMetrics.unsafeRecordHttpClient(fiber, {
            ...metricAttributes,
            [SemConv.HTTP_RESPONSE_STATUS_CODE]: status,
            [SemConv.ERROR_TYPE]: errorType
          }, Number(endTime - startTime) / 1e9)
        }
      }
      return Spans.finishing(running, finish)
    })
  )

/**
 * Instruments a client: a client span per request, context injected with the configured
 * propagator, `http.client.request.duration`. Apply it to the base client; request mappings
 * added afterwards (`HttpClient.mapRequest(prependUrl(...))`) are seen by the span.
 *
 * @example
 * ```ts
 * const client = (yield* HttpClient.HttpClient).pipe(HttpClientMiddleware.instrument())
 * const response = yield* client.get("http://127.0.0.1:8080/users/1")
 * ```
 */
export const instrument = (options: Options = {}) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> => {
  // The platform tracer of the wrapped client is off: ours replaces it, and ours injects.
  const inner = HttpClient.withTracerDisabledWhen(client, constTrue)
  return HttpClient.makeWith<never, never, E, R>(
    (request) => Effect.flatMap(request, (request) => execute(request, inner, options)),
    Effect.succeed
  )
}

/**
 * Replaces the `HttpClient` of the context with an instrumented one.
 *
 * @example
 * ```ts
 * const HttpClientLive = HttpClientMiddleware.layer().pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) => instrument(options)(client) as HttpClient.HttpClient)
  )
