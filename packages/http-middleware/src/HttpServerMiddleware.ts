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
import { Propagation } from "@lingo-obs/core"
import type { TextMapPropagator } from "@opentelemetry/api"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import { constTrue } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import { extract, headersGetter, incomingContext } from "./internal/propagation.js"
import { redactQuery } from "./internal/redact.js"
import * as SemConv from "./internal/semconv.js"
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

/** What the middleware knows of a request between its arrival and the opening of its span. */
interface RequestState {
  readonly method: string
  readonly startTime: bigint
  readonly parent: Tracer.ExternalSpan | undefined
  readonly attributes: Readonly<Record<string, unknown>>
  readonly tracer: Tracer.Tracer | undefined
  span: Tracer.Span | undefined
  route: string | undefined
}

/**
 * The request being handled, for the route hook of `router`: the router knows the route template
 * only after matching, so the span is opened there (backdated to the request's arrival).
 */
const currentRequest = globalValue(
  Symbol.for("@lingo-obs/http-middleware/HttpServerMiddleware/currentRequest"),
  () => FiberRef.unsafeMake<RequestState | undefined>(undefined)
)

const protocolVersion = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const source: unknown = request.source
  return Predicate.hasProperty(source, "httpVersion") && typeof source.httpVersion === "string"
    ? source.httpVersion
    : undefined
}

const defined = (attributes: Record<string, unknown>): Record<string, unknown> => {
  for (const key of Object.keys(attributes)) if (attributes[key] === undefined) delete attributes[key]
  return attributes
}

/** The request attributes known on arrival (the stable HTTP server conventions). */
const describe = (request: HttpServerRequest.HttpServerRequest) => {
  const { method, original } = SemConv.normalizeMethod(request.method)
  const url = Option.getOrUndefined(HttpServerRequest.toURL(request))
  const scheme = url === undefined ? "http" : url.protocol.slice(0, -1)
  const port = url === undefined ? undefined : url.port !== "" ? Number(url.port) : scheme === "https" ? 443 : 80
  return {
    method,
    scheme,
    attributes: defined({
      [SemConv.HTTP_REQUEST_METHOD]: method,
      [SemConv.HTTP_REQUEST_METHOD_ORIGINAL]: original,
      [SemConv.URL_PATH]: url?.pathname ?? Skipper.pathOf(request.url),
      [SemConv.URL_QUERY]: url === undefined ? undefined : redactQuery(url.search),
      [SemConv.URL_SCHEME]: scheme,
      [SemConv.SERVER_ADDRESS]: url?.hostname,
      [SemConv.SERVER_PORT]: port,
      [SemConv.CLIENT_ADDRESS]: Option.getOrUndefined(request.remoteAddress),
      [SemConv.USER_AGENT_ORIGINAL]: request.headers["user-agent"],
      [SemConv.NETWORK_PROTOCOL_VERSION]: protocolVersion(request)
    })
  }
}

const openSpan = (state: RequestState, route: string | undefined): Effect.Effect<Tracer.Span> => {
  const method = SemConv.methodForName(state.method)
  const make = Spans.make(
    route === undefined ? method : `${method} ${route}`,
    {
      kind: "server",
      ...(state.parent === undefined ? { root: true } : { parent: state.parent }),
      attributes: route === undefined ? state.attributes : { ...state.attributes, [SemConv.HTTP_ROUTE]: route }
    },
    state.startTime
  )
  return state.tracer === undefined ? make : Effect.withTracer(make, state.tracer)
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
 */
const spanExit = (exit: Exit.Exit<unknown, unknown>, status: number): Exit.Exit<unknown, unknown> => {
  if (status < 500) return Exit.void
  if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) return exit
  return Exit.fail(new HttpServerErrorStatus({ status, message: `HTTP ${status}` }))
}

const handle = <E, R>(
  request: HttpServerRequest.HttpServerRequest,
  app: HttpApp.Default<E, R>,
  options: Options,
  deferToRoute: boolean
): HttpApp.Default<E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const propagator = options.propagator ?? (yield* Propagation.Propagator)
      const { context, parent } = extract(propagator, request.headers, headersGetter)
      const startTime = yield* Clock.currentTimeNanos
      const { attributes, method, scheme } = describe(request)
      const state: RequestState = {
        method,
        startTime,
        parent,
        attributes,
        tracer: options.tracer,
        span: undefined,
        route: undefined
      }
      if (!deferToRoute) state.span = yield* openSpan(state, undefined)
      const active = { [SemConv.HTTP_REQUEST_METHOD]: method, [SemConv.URL_SCHEME]: scheme }
      yield* RequestMetrics.addActiveHttpServer(active, 1)

      const parentForApp = state.span ?? parent
      const running = restore(app).pipe(
        Effect.locally(incomingContext, context),
        Effect.locally(currentRequest, state)
      )
      const exit = yield* Effect.exit(parentForApp === undefined ? running : Effect.withParentSpan(running, parentForApp))

      const status = HttpServerError.exitResponse(exit).status
      const route = state.route ?? stringValue(state.span?.attributes.get(SemConv.HTTP_ROUTE))
      // A request no route matched has no span yet: it gets one named by its method alone.
      const span = state.span ?? (yield* openSpan(state, undefined))
      const errorType = status >= 500 ? errorTypeOf(exit, status) : undefined
      span.attribute(SemConv.HTTP_RESPONSE_STATUS_CODE, status)
      if (errorType !== undefined) span.attribute(SemConv.ERROR_TYPE, errorType)
      yield* Spans.end(span, spanExit(exit, status))

      const endTime = yield* Clock.currentTimeNanos
      yield* RequestMetrics.recordHttpServer({
        ...active,
        [SemConv.HTTP_ROUTE]: route,
        [SemConv.HTTP_RESPONSE_STATUS_CODE]: status,
        [SemConv.ERROR_TYPE]: errorType
      }, Number(endTime - startTime) / 1e9)
      yield* RequestMetrics.addActiveHttpServer(active, -1)
      return yield* exit
    })
  )

const stringValue = (value: unknown): string | undefined => typeof value === "string" ? value : undefined

const make = (options: Options, deferToRoute: boolean) => <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    return (options.skipper ?? Skipper.defaultHttp)(request) ? app : handle(request, app, options, deferToRoute)
  })

/**
 * The middleware on its own, for composing with other platform APIs (`HttpServer.serve(app,
 * middleware)`, `HttpApiBuilder.serve(middleware)`). It opens the span on arrival, before any
 * router runs, so the span is named by the method alone (`GET`); the route template still reaches
 * the `http.route` attribute and the metrics. Switch the platform's own tracer off with
 * `withoutPlatformTracer`. Prefer `serve`, which names spans by route.
 *
 * @example
 * ```ts
 * HttpServer.serve(app, HttpServerMiddleware.middleware()).pipe(HttpServerMiddleware.withoutPlatformTracer)
 * ```
 */
export const middleware = (options: Options = {}): <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> =>
  make(options, false)

/** The route template of a matched route, including the prefix of a mounted app (`/api/*`). */
const templateOf = (route: HttpRouter.Route<unknown, unknown>): string => {
  const prefix = Option.getOrUndefined(route.prefix)
  if (prefix === undefined || route.path.startsWith(prefix)) return route.path
  return route.path === "/" ? prefix : `${prefix}${route.path}`
}

/** Opens the request's server span once the router has matched a route, named after its template. */
const routeHook = <A, E, R>(handler: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | HttpRouter.RouteContext> =>
  Effect.flatMap(FiberRef.get(currentRequest), (state): Effect.Effect<A, E, R | HttpRouter.RouteContext> => {
    if (state === undefined || state.span !== undefined) return handler
    return Effect.flatMap(HttpRouter.RouteContext, (context) => {
      const route = templateOf(context.route)
      state.route = route
      return Effect.flatMap(openSpan(state, route), (span) => {
        state.span = span
        return Effect.withParentSpan(span)(handler)
      })
    })
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
 * The middleware for an app made by `router(...)`: it extracts the context, measures and skips,
 * and leaves the opening of the span to the matched route. Requests no route matches get a span
 * named by their method when they end. Business spans of code that runs outside the router
 * (another middleware inside this one) are parented on the caller's span, not the server span.
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
): <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> => make(options, true)

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
  const outer = make(options, routed)
  const applied = (self: HttpApp.Default<any, any>) => outer(inner === undefined ? self : inner(self))
  return withoutPlatformTracer(HttpServer.serve(instrumented, applied)) as Layer.Layer<
    never,
    never,
    HttpServer.HttpServer | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
  >
}
