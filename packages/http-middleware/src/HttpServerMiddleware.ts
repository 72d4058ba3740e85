/**
 * Tracing and request metrics for `@effect/platform` HTTP servers: one server span per request,
 * named `{method} {route template}` (`GET /users/:id`), with the stable HTTP semantic-convention
 * attributes; the incoming context extracted with the configured propagator, so business spans
 * become children of the caller's trace and its baggage is forwarded by the client middleware;
 * `http.server.request.duration` and `http.server.active_requests`. Health routes are skipped.
 *
 * `@effect/platform` has a server tracer of its own, applied by every `HttpServer.serve`; `serve`
 * here switches it off for the server it builds, so each request has exactly one server span.
 *
 * @example
 * ```ts
 * import { HttpServerMiddleware } from "@lingo-obs/http-middleware"
 *
 * const router = HttpRouter.empty.pipe(HttpRouter.get("/users/:id", getUser))
 * const HttpLive = router.pipe(
 *   HttpServerMiddleware.serve(),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8080, host: "127.0.0.1" }))
 * )
 * ```
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Instrumentation, Propagation } from "@lingo-obs/core"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { constTrue } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { extract, headersGetter, IncomingContext } from "./internal/propagation.js"
import { serverRequest } from "@lingo-obs/otlp/HttpRequestAttributes"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import * as Spans from "./internal/spans.js"
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

/** Options of `serve`: the middleware's, plus the app's own middleware to run inside it. */
export interface ServeOptions extends Options {
  /**
   * Middleware of the application (e.g. `HttpMiddleware.logger`, CORS), applied inside the
   * server span, so what it logs carries the request's trace id.
   */
  readonly middleware?: (<E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<any, any>) | undefined
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

/** The request being handled, for the route hook of `router` (a service of the request's context). */
class CurrentRequest extends Context.Reference<CurrentRequest>()(
  "@lingo-obs/http-middleware/HttpServerMiddleware/CurrentRequest",
  { defaultValue: (): RequestState | undefined => undefined }
) {}

/** What a server resolves once (`serve`) rather than per request; `middleware()` reads it per request. */
interface Resolved {
  readonly propagator: TextMapPropagator
  readonly settings: Instrumentation.SettingsShape
}

const errorTypeOf = (exit: Exit.Exit<unknown, unknown>, status: number): string => {
  if (Exit.isFailure(exit)) {
    const error = Option.orElse(Cause.failureOption(exit.cause), () => Cause.dieOption(exit.cause))
    if (Option.isSome(error)) {
      const value = error.value
      if (Predicate.hasProperty(value, "_tag") && typeof value._tag === "string") return value._tag
      if (value instanceof Error && value.name !== "Error") return value.name
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
  if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) return exit
  return Exit.fail(new HttpServerErrorStatus({ status, message: `HTTP ${status}` }))
}

const stringValue = (value: unknown): string | undefined => typeof value === "string" ? value : undefined

/** The request matched `route`: its span gets `http.route` and the name `{method} {route}`. */
const routeMatched = (state: RequestState, route: string): void => {
  state.route = route
  const span = state.span
  if (span !== undefined) {
    span.attribute(SemConv.HTTP_ROUTE, route)
    Spans.rename(span, `${state.method} ${route}`)
  }
}

const resolvedIn = (context: Context.Context<never>): Resolved => ({
  propagator: Context.get(context, Propagation.Propagator),
  settings: Context.get(context, Instrumentation.Settings)
})

/** The HTTP version Node's incoming message reports (`network.protocol.version`). */
const protocolVersion = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const source: unknown = request.source
  return Predicate.hasProperty(source, "httpVersion") && typeof source.httpVersion === "string"
    ? source.httpVersion
    : undefined
}

/**
 * The request path: one fiber step opens the span (named by the method; the route hook renames it
 * once the router has matched, or the exit hook after the platform's router did), counts the request as active and provides the span, the incoming
 * context and the request's state to the app in one context change; one exit hook ends the span
 * and records the metrics, synchronously.
 */
const handle = <E, R>(
  fiber: Fiber.RuntimeFiber<any, any>,
  request: HttpServerRequest.HttpServerRequest,
  app: HttpApp.Default<E, R>,
  options: Options,
  resolved: Resolved,
  restore: <A, E1, R1>(effect: Effect.Effect<A, E1, R1>) => Effect.Effect<A, E1, R1>
): HttpApp.Default<E, R> => {
  const context = fiber.currentContext
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

  const parentForApp = span ?? parent
  const running = Spans.provideAll(restore(app), context, [
    [IncomingContext.key, incoming],
    [CurrentRequest.key, state],
    ...(parentForApp === undefined ? [] : [[Tracer.ParentSpan.key, parentForApp] as const])
  ])

  const finish = (exit: Exit.Exit<HttpServerResponse.HttpServerResponse, E>): void => {
    const status = HttpServerError.exitResponse(exit).status
    const endTime = Spans.nowNanos(fiber)
    if (state.route === undefined) {
      // Served without `router(...)` (`HttpApiBuilder.serve`, `HttpServer.serve(router, middleware())`):
      // the platform's router put the matched template on the span as `http.route`; name it after it.
      const matched = stringValue(span?.attributes.get(SemConv.HTTP_ROUTE))
      if (matched !== undefined) routeMatched(state, matched)
    }
    const route = state.route
    const errorType = status >= 500 ? errorTypeOf(exit, status) : undefined
    if (span !== undefined) {
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
  }
  return Spans.finishing(running, finish)
}

const make = (options: Options, fixed: Resolved | undefined) => {
  const skipper = options.skipper ?? Skipper.defaultHttp
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime((fiber) => {
        const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
        if (skipper(request)) return restore(app)
        return handle(fiber, request, app, options, fixed ?? resolvedIn(fiber.currentContext), restore)
      })
    )
}

/**
 * The middleware on its own, for composing with other platform APIs (`HttpServer.serve(app,
 * middleware)`, `HttpApiBuilder.serve(middleware)` for an `HttpApi`). It opens the span on arrival,
 * before any router runs, named by the method; when the platform's router matches a route (an
 * `HttpRouter`, or the endpoints of an `HttpApi`), the span is named `{method} {route template}`
 * as it ends, and the template goes on `http.route` and the metrics. Switch the platform's own
 * tracer off with `withoutPlatformTracer`. For an `HttpRouter`, `serve` names the span as soon as
 * the route matches and resolves the propagator once per server.
 *
 * @example
 * ```ts
 * // An HttpApi: spans named "GET /users/:id" after the endpoint's path
 * const HttpLive = HttpApiBuilder.serve(HttpServerMiddleware.middleware()).pipe(
 *   HttpServerMiddleware.withoutPlatformTracer,
 *   Layer.provide(HttpApiBuilder.api(Api).pipe(Layer.provide(UsersLive))),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8080, host: "127.0.0.1" }))
 * )
 * ```
 */
export const middleware = (options: Options = {}): <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> =>
  make(options, undefined)

/** The route template of a matched route, including the prefix of a mounted app (`/api/*`). */
const templateOf = (route: HttpRouter.Route<unknown, unknown>): string => {
  const prefix = Option.getOrUndefined(route.prefix)
  if (prefix === undefined || route.path.startsWith(prefix)) return route.path
  return route.path === "/" ? prefix : `${prefix}${route.path}`
}

/** Renames the request's server span once the router has matched a route, after its template. */
const routeHook = <A, E, R>(handler: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | HttpRouter.RouteContext> =>
  Effect.withFiberRuntime((fiber) => {
    const context = fiber.currentContext
    const state = Context.get(context, CurrentRequest)
    if (state === undefined || state.route !== undefined) return handler
    routeMatched(state, templateOf(Context.unsafeGet(context, HttpRouter.RouteContext).route))
    return handler
  })

const instrumentedRouters = globalValue(
  Symbol.for("@lingo-obs/http-middleware/HttpServerMiddleware/instrumentedRouters"),
  () => new WeakSet<object>()
)

/**
 * Makes every route of `router` (and every mounted app) open the request's server span, named
 * after the route template, as soon as it is matched. `serve` does this itself; this is for
 * servers composed by hand, together with `middlewareFor`.
 *
 * @example
 * ```ts
 * HttpServer.serve(HttpServerMiddleware.router(router), HttpServerMiddleware.middlewareFor()).pipe(
 *   HttpServerMiddleware.withoutPlatformTracer
 * )
 * ```
 */
export const router = <E, R>(self: HttpRouter.HttpRouter<E, R>): HttpRouter.HttpRouter<E, R> => {
  if (instrumentedRouters.has(self)) return self
  // Rebuilt rather than mapped with `HttpRouter.use`, which drops the options of mounted apps.
  let result: HttpRouter.HttpRouter<any, any> = HttpRouter.fromIterable(
    Chunk.map(self.routes, (route) =>
      HttpRouter.makeRoute(route.method, route.path, routeHook(route.handler), {
        prefix: Option.getOrUndefined(route.prefix),
        uninterruptible: route.uninterruptible
      }))
  )
  for (const [path, app, mountOptions] of self.mounts) {
    result = HttpRouter.mountApp(result, path as `/${string}`, routeHook(app), mountOptions)
  }
  instrumentedRouters.add(result)
  return result as HttpRouter.HttpRouter<E, R>
}

/**
 * The middleware for an app made by `router(...)`: the span it opens on arrival (named by the
 * method) is renamed `{method} {route}` by the matched route, as soon as it matches. Requests no
 * route matches keep the method-only name. It is `middleware`, named for the pairing with `router`.
 *
 * @example
 * ```ts
 * MyRouter.unwrap((router) =>
 *   HttpServer.serve(HttpServerMiddleware.router(router), HttpServerMiddleware.middlewareFor({ skipper }))
 * )
 * ```
 */
export const middlewareFor = (
  options: Options = {}
): <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> => make(options, undefined)

/**
 * Switches `@effect/platform`'s own server tracer off for everything served by `layer` (it would
 * open a second server span per request, and extracts only `traceparent`/`b3`).
 *
 * @example
 * ```ts
 * HttpServer.serve(app, HttpServerMiddleware.middleware()).pipe(HttpServerMiddleware.withoutPlatformTracer)
 * ```
 */
export const withoutPlatformTracer = <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  HttpMiddleware.withTracerDisabledWhen(layer, constTrue)

const isRouter = (u: unknown): u is HttpRouter.HttpRouter<unknown, unknown> =>
  Predicate.hasProperty(u, HttpRouter.TypeId)

/**
 * `HttpServer.serve` with the middleware: one server span per request named `{method} {route}`
 * (when `app` is an `HttpRouter`; by the method alone otherwise), request metrics, context
 * extraction, health routes skipped, and the platform's tracer switched off for this server.
 *
 * @example
 * ```ts
 * const HttpLive = router.pipe(
 *   HttpServerMiddleware.serve({ middleware: HttpMiddleware.logger }),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8080, host: "127.0.0.1" }))
 * )
 * ```
 */
export const serve = (options: ServeOptions = {}) =>
<E, R>(
  app: HttpApp.Default<E, R>
): Layer.Layer<never, never, HttpServer.HttpServer | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>> => {
  const routed = isRouter(app)
  const instrumented: HttpApp.Default<E, R> = routed ? router(app) as unknown as HttpApp.Default<E, R> : app
  const inner = options.middleware
  // The propagator and the settings are the server's: resolved once, when the layer is built.
  const served = Layer.unwrapEffect(Effect.map(Effect.context<never>(), (context) => {
    const outer = make(options, resolvedIn(context))
    const applied = (self: HttpApp.Default<any, any>) => outer(inner === undefined ? self : inner(self))
    return HttpServer.serve(instrumented, applied)
  }))
  return withoutPlatformTracer(served) as Layer.Layer<
    never,
    never,
    HttpServer.HttpServer | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
  >
}
