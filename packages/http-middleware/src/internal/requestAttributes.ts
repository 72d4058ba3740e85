/**
 * The attributes of an incoming HTTP request known on its arrival (the stable HTTP server
 * semantic conventions), for the server middleware's span.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Skipper from "../Skipper.js"
import { redactQuery } from "./redact.js"

const protocolVersion = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const source: unknown = request.source
  return Predicate.hasProperty(source, "httpVersion") && typeof source.httpVersion === "string"
    ? source.httpVersion
    : undefined
}

/** Characters a path or query may hold for `URL` to leave it as is (no percent-encoding, no dot segments). */
const PLAIN_PATH = /^\/[\w\-~!$&'()*+,;=:@%/]*$/
const PLAIN_QUERY = /^[\w\-.~!$&()*+,;=:@%/?]*$/
const PLAIN_HOST = /^([\w\-.]+)(?::(\d{1,5}))?$/

export interface Described {
  readonly method: string
  readonly scheme: string
  readonly attributes: Record<string, unknown>
}

/**
 * The request attributes known on arrival (the stable HTTP server conventions), as
 * `HttpServerRequest.toURL` would give them; a plain origin-form URL and host (nearly every
 * request) are split by hand, anything else goes through `URL`.
 */
export const describe = (request: HttpServerRequest.HttpServerRequest): Described => {
  const { method, original } = SemConv.normalizeMethod(request.method)
  const headers = request.headers
  const scheme = headers["x-forwarded-proto"] === "https" ? "https" : "http"
  const url = request.url
  const queryAt = url.indexOf("?")
  const path = queryAt === -1 ? url : url.slice(0, queryAt)
  const search = queryAt === -1 ? "" : url.slice(queryAt)
  const host = PLAIN_HOST.exec(headers.host ?? "localhost")
  let pathname: string | undefined
  let query: string | undefined
  let hostname: string | undefined
  let port: number | undefined
  if (
    host !== null && PLAIN_PATH.test(path) && !path.includes("/.") && !url.includes("#") &&
    PLAIN_QUERY.test(search.slice(1))
  ) {
    pathname = path
    query = search === "?" ? "" : search
    hostname = host[1]!.toLowerCase()
    port = host[2] !== undefined ? Number(host[2]) : scheme === "https" ? 443 : 80
  } else {
    const parsed = Option.getOrUndefined(HttpServerRequest.toURL(request))
    if (parsed !== undefined) {
      pathname = parsed.pathname
      query = parsed.search
      hostname = parsed.hostname
      port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80
    }
  }
  const attributes: Record<string, unknown> = { [SemConv.HTTP_REQUEST_METHOD]: method }
  if (original !== undefined) attributes[SemConv.HTTP_REQUEST_METHOD_ORIGINAL] = original
  attributes[SemConv.URL_PATH] = pathname ?? Skipper.pathOf(url)
  const redacted = query === undefined ? undefined : redactQuery(query)
  if (redacted !== undefined) attributes[SemConv.URL_QUERY] = redacted
  attributes[SemConv.URL_SCHEME] = scheme
  if (hostname !== undefined) attributes[SemConv.SERVER_ADDRESS] = hostname
  if (port !== undefined) attributes[SemConv.SERVER_PORT] = port
  const client = request.remoteAddress
  if (client._tag === "Some") attributes[SemConv.CLIENT_ADDRESS] = client.value
  const userAgent = headers["user-agent"]
  if (userAgent !== undefined) attributes[SemConv.USER_AGENT_ORIGINAL] = userAgent
  const version = protocolVersion(request)
  if (version !== undefined) attributes[SemConv.NETWORK_PROTOCOL_VERSION] = version
  return { method, scheme, attributes }
}
