/**
 * Tracing and request metrics for Effect 4 HTTP servers (`effect/http`'s `HttpRouter`, and
 * `HttpApi`, which registers its endpoints on the same router): one server span per request,
 * named `{method} {route template}` (`GET /users/:id`), with the stable HTTP semantic-convention
 * attributes and `http.route`; the incoming context extracted with the configured propagator
 * (W3C, baggage, B3, Jaeger), so business spans become children of the caller's trace and its
 * baggage is forwarded by the client middleware; `http.server.request.duration` and
 * `http.server.active_requests` by route. Health routes are skipped.
 *
 * Effect 4's `HttpRouter` is a registration service: routes are layers that add themselves to it.
 * `serve` is `HttpRouter.serve` with a router that hooks every route it is given (router routes,
 * `HttpApi` endpoints, mounted prefixes), so the span is named after the matched template as soon
 * as the router has matched it. Effect's own server tracer (applied by every `HttpServer.serve`)
 * is switched off for the server, so each request has exactly one server span.
 *
 * @example
 * ```ts
 * import { HttpServerMiddleware } from "lingo-obs/http"
 *
 * const Routes = HttpRouter.add("GET", "/users/:id", getUser)
 * const HttpLive = HttpServerMiddleware.serve(Routes).pipe(
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8080, host: "127.0.0.1" }))
 * )
 * ```
 */
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import { serverRequest } from "@lingo-obs/otlp/HttpRequestAttributes"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { constTrue } from "effect/Function"
import * as HttpMiddleware from "effect/http/HttpMiddleware"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as FindMyWay from "effect/http/FindMyWay"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import * as Instrumentation from "../Instrumentation.js"
import { extract, headersGetter, IncomingContext } from "../internal/propagation.js"
import * as Spans from "../internal/spans.js"
import * as Propagation from "../Propagation.js"
import * as RequestMetrics from "./RequestMetrics.js"
import * as Skipper from "./Skipper.js"

/** Options of the HTTP server middleware. */
export interface Options {
  /** Replaces the configured propagator (`Propagation.Propagator`) for extraction. */
  readonly propagator?: TextMapPropagator | undefined
  /** Requests to leave alone (no span, no metric); replaces `Skipper.defaultHttp`. */
  readonly skipper?: Skipper.HttpSkipper | undefined
  /** The Effect tracer that creates the server spans; default: the program's tracer. */
  readonly tracer?: Tracer.Tracer | undefined
}

/** An HTTP app as middleware sees it. */
export type App<E = any, R = any> = Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>

/** Options of `serve`: the middleware's, plus those of `HttpRouter.serve`. */
export interface ServeOptions extends Options {
  readonly routerConfig?: Partial<FindMyWay.RouterConfig> | undefined
  /** Leaves out Effect's response logger (`HttpMiddleware.logger`). */
  readonly disableLogger?: boolean | undefined
  readonly disableListenLog?: boolean | undefined
  /**
   * Middleware of the application (e.g. CORS), applied inside the server span, so what it logs
   * carries the request's trace id. As with `HttpRouter.serve`, it wraps the sending of the
   * response too; use `HttpRouter.middleware` to change responses.
   */
  readonly middleware?: ((app: App) => App) | undefined
}

/** A 5xx answer produced without an Effect failure; it marks the server span as an error. */
export class HttpServerErrorStatus extends Data.TaggedError("HttpServerErrorStatus")<{
  readonly status: number
  readonly message: string
}> {}

/** What the middleware knows of a request while it is handled; the route hook completes it. */
interface RequestState {
  /** The method as span names use it (`GET`, `HTTP` for unknown methods). */
  readonly method: string
  readonly span: Tracer.Span | undefined
  route: string | undefined
}

/** The request being handled, for the route hook (a reference of the request's context). */
const CurrentRequest = Context.Reference<RequestState | undefined>("lingo-obs/http/HttpServerMiddleware/CurrentRequest", {
  defaultValue: () => undefined
})

/** What a server resolves once (`serve`) rather than per request; `middleware()` reads it per request. */
interface Resolved {
  readonly propagator: TextMapPropagator
  readonly settings: Instrumentation.SettingsShape
}

const resolvedIn = (context: Context.Context<never>): Resolved => ({
  propagator: Context.get(context, Propagation.Propagator),
  settings: Context.get(context, Instrumentation.Settings)
})

const protocolVersion = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const version = (request.source as { readonly httpVersion?: unknown }).httpVersion
  return typeof version === "string" ? version : undefined
}

/** The failure of a cause, without the response defect Effect adds once it has answered. */
const failureOf = (cause: Cause.Cause<unknown>): unknown => {
  for (const reason of cause.reasons) {
    if (reason._tag === "Fail") return reason.error
    if (reason._tag === "Die" && !HttpServerResponse.isHttpServerResponse(reason.defect)) return reason.defect
  }
  return undefined
}


const errorTypeOf = (exit: Exit.Exit<unknown, unknown>, status: number): string => {
  if (Exit.isFailure(exit)) {
    const error = failureOf(exit.cause)
    if (typeof error === "object" && error !== null) {
      // `HttpServerError` says what went wrong in its reason (`RouteNotFound`, `InternalError`, …).
      const reason = (error as { readonly reason?: { readonly _tag?: unknown } }).reason
      if (typeof reason?._tag === "string") return reason._tag
      const tag = (error as { readonly _tag?: unknown })._tag
      if (typeof tag === "string") return tag
      if (error instanceof Error && error.name !== "Error") return error.name
    }
  }
  return String(status)
}

/**
 * The exit the server span ends with: only a 5xx answer is an error. A failed Effect that the
 * platform answered with a 4xx (e.g. `RouteNotFound`) is the client's mistake, not the server's.
 * Below 5xx the status stays Unset, never OK: the semantic conventions leave OK to the application.
 */
const spanExit = (exit: Exit.Exit<unknown, unknown>, status: number): Exit.Exit<unknown, unknown> => {
  if (status < 500) return Instrumentation.unsetExit
  if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
    const [, cause] = HttpServerError.causeResponseStripped(exit.cause)
    if (Option.isSome(cause)) return Exit.failCause(cause.value)
  }
  return Exit.fail(new HttpServerErrorStatus({ status, message: `HTTP ${status}` }))
}

const stringValue = (value: unknown): string | undefined => typeof value === "string" ? value : undefined

/**
 * The request path: one fiber step opens the span (named by the method; the route hook renames it
 * once the router has matched), counts the request as active and sets the span, the incoming
 * context and the request's state in the fiber's context in one change; one exit hook ends the
 * span and records the metrics, synchronously.
 */
const handle = <E, R>(
  fiber: Fiber.Fiber<unknown, unknown>,
  request: HttpServerRequest.HttpServerRequest,
  app: App<E, R>,
  options: Options,
  resolved: Resolved
): App<E, R> => {
  const startTime = Spans.nowNanos(fiber)
  const { context: incoming, parent } = extract(options.propagator ?? resolved.propagator, request.headers, headersGetter)
  const { attributes, method, scheme } = serverRequest(
    request,
    () => Option.getOrUndefined(HttpServerRequest.toURL(request)),
    protocolVersion(request)
  )
  const spanMethod = SemConv.methodForName(method)
  const span = Spans.unsafeStart(
    fiber,
    spanMethod,
    { kind: "server", parent: parent ?? null, attributes, tracer: options.tracer },
    startTime
  )
  const state: RequestState = { method: spanMethod, span, route: undefined }
  const measured = resolved.settings.requestMetrics
  const active = { [SemConv.HTTP_REQUEST_METHOD]: method, [SemConv.URL_SCHEME]: scheme }
  if (measured) RequestMetrics.unsafeAddActiveHttpServer(fiber, active, 1)

  let context = Context.add(Context.add(fiber.context, IncomingContext, incoming), CurrentRequest, state)
  const parentForApp = span ?? parent
  if (parentForApp !== undefined) context = Context.add(context, Tracer.ParentSpan, parentForApp)

  return Spans.runIn(fiber, app, context, (exit) => {
    const status = HttpServerError.exitResponse(exit).status
    const endTime = Spans.nowNanos(fiber)
    // The router writes `http.route` on a sampled span itself: a request whose route hook did not
    // run (a route middleware answered first, or a router this module did not build) is named from it.
    const route = state.route ?? stringValue(span?.attributes.get(SemConv.HTTP_ROUTE))
    const errorType = status >= 500 ? errorTypeOf(exit, status) : undefined
    if (span !== undefined) {
      if (state.route === undefined && route !== undefined) Spans.rename(span, `${spanMethod} ${route}`)
      span.attribute(SemConv.HTTP_RESPONSE_STATUS_CODE, status)
      if (errorType !== undefined) span.attribute(SemConv.ERROR_TYPE, errorType)
      Spans.unsafeEnd(span, spanExit(exit, status), endTime)
    }
    if (measured) {
      RequestMetrics.unsafeRecordHttpServer(fiber, {
        ...active,
        [SemConv.HTTP_ROUTE]: route,
        [SemConv.HTTP_RESPONSE_STATUS_CODE]: status,
        [SemConv.ERROR_TYPE]: errorType
      }, Number(endTime - startTime) / 1e9)
      RequestMetrics.unsafeAddActiveHttpServer(fiber, active, -1)
    }
  })
}

const make = (options: Options, fixed: Resolved | undefined) => {
  const skipper = options.skipper ?? Skipper.defaultHttp
  return <E, R>(app: App<E, R>): App<E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.withFiber((fiber) => {
      const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
      if (skipper(request)) return app
      return handle(fiber, request, app, options, fixed ?? resolvedIn(fiber.context))
    })
}

/**
 * The middleware on its own, for servers composed by hand (`HttpRouter.serve(Routes, {
 * middleware })`, `HttpServer.serve(app, middleware)`). The span is opened on arrival, named by
 * the method, and renamed `{method} {route}` at the end from the `http.route` the router writes on
 * sampled spans; request metrics get the route the same way. Switch Effect's own server tracer
 * off with `withoutPlatformTracer`. Prefer `serve`, which names every span (sampled or not) as
 * soon as the route is matched.
 *
 * @example
 * ```ts
 * HttpRouter.serve(Routes, { middleware: HttpServerMiddleware.middleware() }).pipe(
 *   HttpServerMiddleware.withoutPlatformTracer
 * )
 * ```
 */
export const middleware = (
  options: Options = {}
): <E, R>(app: App<E, R>) => App<E, R | HttpServerRequest.HttpServerRequest> => make(options, undefined)

/** Names the request's server span after the matched route's template (its path, prefix included). */
const routeHook = <E, R>(route: HttpRouter.Route<E, R>): HttpRouter.Route<E, R> => {
  const template = route.path
  const handler = route.handler
  return {
    ...route,
    handler: Effect.withFiber((fiber) => {
      const state = fiber.getRef(CurrentRequest)
      if (state === undefined || state.route !== undefined) return handler
      state.route = template
      const span = state.span
      if (span !== undefined) {
        span.attribute(SemConv.HTTP_ROUTE, template)
        Spans.rename(span, `${state.method} ${template}`)
      }
      return handler
    })
  }
}

/**
 * `root` with every route it registers (directly, under a prefix, or from an `HttpApi`) hooked.
 * A prefixed view prefixes the routes itself and hands them to the root, as Effect's own does, so
 * the hook sees the full template.
 */
const instrumentRouter = (root: HttpRouter.HttpRouter, prefix: string | undefined): HttpRouter.HttpRouter => {
  const addAll: HttpRouter.HttpRouter["addAll"] = (routes) =>
    root.addAll(routes.map((route) => routeHook(prefix === undefined ? route : HttpRouter.prefixRoute(route, prefix)))) as any
  return HttpRouter.HttpRouter.of({
    ...root,
    prefixed: (next) => instrumentRouter(root, prefix === undefined ? next : HttpRouter.prefixPath(next, prefix)),
    addAll,
    add: (method, path, handler, options) => addAll([HttpRouter.route(method, path, handler, options)]) as any
  })
}

/**
 * The `HttpRouter` service with every route hooked to name the request's server span after its
 * template: what `serve` uses; for servers composed by hand around `router.asHttpEffect()`.
 *
 * @example
 * ```ts
 * const app = Layer.build(Layer.provideMerge(Routes, HttpServerMiddleware.router)).pipe(
 *   Effect.map((context) => Context.get(context, HttpRouter.HttpRouter).asHttpEffect())
 * )
 * ```
 */
export const router: Layer.Layer<HttpRouter.HttpRouter> = Layer.effect(HttpRouter.HttpRouter)(
  Effect.map(HttpRouter.make, (root) => instrumentRouter(root, undefined))
)

/**
 * Switches Effect's own server tracer off for everything served by `layer` (it would open a
 * second server span per request, and extracts only `traceparent`/`b3`).
 *
 * @example
 * ```ts
 * HttpRouter.serve(Routes, { middleware: HttpServerMiddleware.middleware() }).pipe(HttpServerMiddleware.withoutPlatformTracer)
 * ```
 */
export const withoutPlatformTracer = <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.provide(layer, Layer.succeed(HttpMiddleware.TracerDisabledWhen, constTrue))

/**
 * `HttpRouter.serve` with the middleware: one server span per request named `{method} {route}`,
 * request metrics by route, context extraction, health routes skipped, Effect's server tracer off
 * for this server. Routes and `HttpApi` layers register on its router as on `HttpRouter.serve`'s.
 *
 * @example
 * ```ts
 * const HttpLive = HttpServerMiddleware.serve(Layer.mergeAll(UserRoutes, HttpApiBuilder.layer(Api))).pipe(
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8080, host: "127.0.0.1" }))
 * )
 * ```
 */
export const serve = <A, E, R>(
  appLayer: Layer.Layer<A, E, R>,
  options: ServeOptions = {}
): Layer.Layer<
  A,
  HttpRouter.Request.Without<E>,
  HttpServer.HttpServer | Exclude<HttpRouter.Request.Without<R>, HttpRouter.HttpRouter>
> => {
  const routerLayer = options.routerConfig === undefined
    ? router
    : Layer.provide(router, Layer.succeed(HttpRouter.RouterConfig, options.routerConfig))
  const layerWithRouter = Layer.provideMerge(appLayer, routerLayer)
  const logged = options.disableLogger === true ? undefined : HttpMiddleware.logger
  const inner = options.middleware
  const served = Effect.contextWith((context: Context.Context<never>) => {
    const memoMap = Layer.CurrentMemoMap.forkOrCreate(context)
    return Effect.map(
      Layer.buildWithMemoMap(layerWithRouter, memoMap, Context.get(context as Context.Context<Scope.Scope>, Scope.Scope)),
      (built) => {
        const handler = Context.get(built as Context.Context<HttpRouter.HttpRouter>, HttpRouter.HttpRouter).asHttpEffect()
        // The propagator and the settings are the server's: resolved once, when the layer is built.
        const outer = make(options, resolvedIn(context))
        const applied = (app: App): App => {
          let wrapped = inner === undefined ? app : inner(app)
          if (logged !== undefined) wrapped = logged(wrapped)
          return outer(wrapped)
        }
        return Layer.provideMerge(HttpServer.serve(handler, applied), Layer.succeedContext(built))
      }
    )
  }).pipe(Layer.unwrap)
  const listening = options.disableListenLog === true ? served : HttpServer.withLogAddress(served)
  return withoutPlatformTracer(listening as Layer.Layer<any, any, any>) as any
}

