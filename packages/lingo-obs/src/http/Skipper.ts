/**
 * Which requests the middleware leaves alone: no span, no metric. By default the health routes
 * that load balancers and orchestrators poll every few seconds (`/_health`, `/_health/*`,
 * `/healthz`, `/readyz`). A custom skipper given to a middleware replaces the default; combine
 * with `any` to extend it. The matching rules are the engine's, shared with the Effect 3 line.
 *
 * @example
 * ```ts
 * import { HttpServerMiddleware, Skipper } from "lingo-obs/http"
 *
 * const skipper = Skipper.any(Skipper.defaultHttp, Skipper.httpPaths(["/metrics", "/internal/*"]))
 * HttpServerMiddleware.serve(Routes, { skipper })
 * ```
 */
import * as Skipper from "@lingo-obs/otlp/Skipper"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"

/** Decides, per HTTP request, whether the middleware skips it. */
export type HttpSkipper = (request: HttpServerRequest.HttpServerRequest) => boolean

/** Decides, per gRPC call, whether the middleware skips it; gets the full method path `/pkg.Service/Method`. */
export type GrpcSkipper = Skipper.GrpcSkipper

/** Skips requests whose path matches one of `patterns` (see `pathMatcher`). */
export const httpPaths: (patterns: Iterable<string>) => HttpSkipper = Skipper.httpPaths

/** The default HTTP skipper: the health routes. */
export const defaultHttp: HttpSkipper = Skipper.defaultHttp

export {
  any,
  GRPC_HEALTH_CHECK,
  grpcMethods,
  HEALTH_PATHS,
  isGrpcHealthCheck,
  none,
  pathMatcher,
  pathOf
} from "@lingo-obs/otlp/Skipper"
