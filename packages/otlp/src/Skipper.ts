/**
 * Which requests instrumentation leaves alone: no span, no metric. By default the health routes
 * that load balancers and orchestrators poll every few seconds (`/_health`, `/_health/*`,
 * `/healthz`, `/readyz`) and the gRPC health check (`/grpc.health.v1.Health/Check`). Each line's
 * middleware takes these as they are; combine with `any` to extend a default.
 *
 * @example
 * ```ts
 * const skip = Skipper.any(Skipper.defaultHttp, Skipper.httpPaths(["/metrics", "/internal/*"]))
 * skip({ url: "/healthz?probe=1" }) // true
 * ```
 */

/** Decides, per HTTP request (anything with the request's `url`), whether instrumentation skips it. */
export type HttpSkipper = (request: { readonly url: string }) => boolean

/** Decides, per gRPC call, whether instrumentation skips it; gets the full method path `/pkg.Service/Method`. */
export type GrpcSkipper = (path: string) => boolean

/** The path of a request URL, without query string or fragment. */
export const pathOf = (url: string): string => {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/**
 * A matcher for the patterns: an exact path (`/healthz`), or a prefix ending in `/*` that matches
 * the prefix itself and everything under it (`/_health/*` matches `/_health` and `/_health/db`).
 */
export const pathMatcher = (patterns: Iterable<string>): (path: string) => boolean => {
  const exact = new Set<string>()
  const prefixes: Array<string> = []
  for (const pattern of patterns) {
    if (pattern.endsWith("/*")) {
      const prefix = pattern.slice(0, -2)
      exact.add(prefix)
      prefixes.push(prefix + "/")
    } else {
      exact.add(pattern)
    }
  }
  return (path) => exact.has(path) || prefixes.some((prefix) => path.startsWith(prefix))
}

/** The HTTP health routes skipped by default. */
export const HEALTH_PATHS: ReadonlyArray<string> = ["/_health/*", "/healthz", "/readyz"]

/** The gRPC health check skipped by default. */
export const GRPC_HEALTH_CHECK = "/grpc.health.v1.Health/Check"

/**
 * Skips requests whose path matches one of `patterns` (see `pathMatcher`).
 */
export const httpPaths = (patterns: Iterable<string>): HttpSkipper => {
  const matches = pathMatcher(patterns)
  return (request) => matches(pathOf(request.url))
}

/** The default HTTP skipper: the health routes. */
export const defaultHttp: HttpSkipper = httpPaths(HEALTH_PATHS)

/** Whether `path` is the gRPC health check. */
export const isGrpcHealthCheck = (path: string): boolean => path === GRPC_HEALTH_CHECK

/** The default gRPC skipper: the health check. */
export const defaultGrpc: GrpcSkipper = isGrpcHealthCheck

/**
 * Skips the gRPC methods listed as full paths (`/pkg.Service/Method`) or whole services
 * (`/pkg.Service/*`).
 */
export const grpcMethods = (patterns: Iterable<string>): GrpcSkipper => pathMatcher(patterns)

/** Skips nothing: every request is traced and measured. */
export const none = (): boolean => false

/** Skips what any of the skippers skips. */
export const any = <A>(...skippers: ReadonlyArray<(input: A) => boolean>) => (input: A): boolean =>
  skippers.some((skip) => skip(input))
