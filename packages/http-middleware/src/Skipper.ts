/**
 * Which requests the middleware leaves alone: no span, no metric. By default the health routes
 * that load balancers and orchestrators poll every few seconds (`/_health`, `/_health/*`,
 * `/healthz`, `/readyz`) and the gRPC health check (`/grpc.health.v1.Health/Check`). A custom
 * skipper given to a middleware replaces the default; combine with `any` to extend it.
 *
 * @example
 * ```ts
 * import { Skipper } from "@lingo-obs/http-middleware"
 *
 * const skipper = Skipper.any(Skipper.defaultHttp, Skipper.httpPaths(["/metrics", "/internal/*"]))
 * HttpServerMiddleware.serve({ skipper })(router)
 * ```
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Skipper from "@lingo-obs/otlp/Skipper"

/** Decides, per HTTP request, whether the middleware skips it. */
export type HttpSkipper = (request: HttpServerRequest.HttpServerRequest) => boolean

/** Decides, per gRPC call, whether the middleware skips it; gets the full method path `/pkg.Service/Method`. */
export type GrpcSkipper = Skipper.GrpcSkipper

/** Skips requests whose path matches one of `patterns` (see `pathMatcher`). */
export const httpPaths: (patterns: Iterable<string>) => HttpSkipper = Skipper.httpPaths

/** The default HTTP skipper: the health routes. */
export const defaultHttp: HttpSkipper = Skipper.defaultHttp

/** The default gRPC skipper: the health check. */
export const defaultGrpc: GrpcSkipper = Skipper.defaultGrpc

// The matching rules are the engine's, shared with the Effect 4 line.
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
