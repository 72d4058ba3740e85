/**
 * What the HTTP middleware of both Effect lines records of a request, Effect-free: the stable
 * HTTP server attributes of an incoming request, the target of an outgoing one, and URLs made safe
 * to store (no credentials, no values of query parameters that carry secrets: the semantic
 * conventions' list, plus anything whose name looks like a secret to `Redact.looksSecret`).
 *
 * Each line passes its own request object through the small structural shapes below.
 */
import { decodeURIComponentSafe } from "./Environment.js"
import * as SemConv from "./HttpSemConv.js"
import { looksSecret } from "./Redact.js"
import { pathOf } from "./Skipper.js"

/** Query parameters whose values are credentials by convention (the semantic conventions' list). */
const SECRET_QUERY_PARAMS = new Set(["awsaccesskeyid", "signature", "sig", "x-goog-signature"])

/** The query without its leading `?`, with secret-looking values replaced by `REDACTED`. */
export const redactQuery = (search: string): string | undefined => {
  const query = search.startsWith("?") ? search.slice(1) : search
  if (query === "") return undefined
  return query
    .split("&")
    .map((pair) => {
      const at = pair.indexOf("=")
      if (at <= 0) return pair
      const name = decodeURIComponentSafe(pair.slice(0, at))
      const secret = SECRET_QUERY_PARAMS.has(name.toLowerCase()) || looksSecret(name)
      return secret ? `${pair.slice(0, at)}=REDACTED` : pair
    })
    .join("&")
}

/** A URL as recorded in `url.full`: user and password, and secret query values, replaced by `REDACTED`. */
export const redactUrl = (url: URL): string => {
  const copy = new URL(url.toString())
  if (copy.username !== "" || copy.password !== "") {
    copy.username = "REDACTED"
    copy.password = "REDACTED"
  }
  const query = redactQuery(copy.search)
  copy.search = query === undefined ? "" : `?${query}`
  return copy.toString()
}

/** An incoming request as the server attributes need it (both lines' `HttpServerRequest` fit). */
export interface IncomingRequest {
  readonly method: string
  readonly url: string
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly remoteAddress: { readonly _tag: "Some"; readonly value: string } | { readonly _tag: "None" }
}

/** What `serverRequest` found. */
export interface ServerRequest {
  /** The normalised method (`_OTHER` for unknown ones). */
  readonly method: string
  readonly scheme: string
  readonly attributes: Record<string, unknown>
}

/** Characters a path or query may hold for `URL` to leave it as is (no percent-encoding, no dot segments). */
const PLAIN_PATH = /^\/[\w\-~!$&'()*+,;=:@%/]*$/
const PLAIN_QUERY = /^[\w\-.~!$&()*+,;=:@%/?]*$/
const PLAIN_HOST = /^([\w\-.]+)(?::(\d{1,5}))?$/

/**
 * The request attributes known on arrival (the stable HTTP server conventions), as the platform's
 * `toURL` would give them; a plain origin-form URL and host (nearly every request) are split by
 * hand, anything else goes through `parseUrl` (the platform's `toURL`).
 */
export const serverRequest = (
  request: IncomingRequest,
  parseUrl: () => URL | undefined,
  protocolVersion: string | undefined
): ServerRequest => {
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
    const parsed = parseUrl()
    if (parsed !== undefined) {
      pathname = parsed.pathname
      query = parsed.search
      hostname = parsed.hostname
      port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80
    }
  }
  const attributes: Record<string, unknown> = { [SemConv.HTTP_REQUEST_METHOD]: method }
  if (original !== undefined) attributes[SemConv.HTTP_REQUEST_METHOD_ORIGINAL] = original
  attributes[SemConv.URL_PATH] = pathname ?? pathOf(url)
  const redacted = query === undefined ? undefined : redactQuery(query)
  if (redacted !== undefined) attributes[SemConv.URL_QUERY] = redacted
  attributes[SemConv.URL_SCHEME] = scheme
  if (hostname !== undefined) attributes[SemConv.SERVER_ADDRESS] = hostname
  if (port !== undefined) attributes[SemConv.SERVER_PORT] = port
  const client = request.remoteAddress
  if (client._tag === "Some") attributes[SemConv.CLIENT_ADDRESS] = client.value
  const userAgent = headers["user-agent"]
  if (userAgent !== undefined) attributes[SemConv.USER_AGENT_ORIGINAL] = userAgent
  if (protocolVersion !== undefined) attributes[SemConv.NETWORK_PROTOCOL_VERSION] = protocolVersion
  return { method, scheme, attributes }
}

/** Where an outgoing request goes, as the client conventions record it. */
export interface ClientTarget {
  readonly scheme: string | undefined
  readonly host: string | undefined
  readonly port: number | undefined
  /** `url.full`, redacted. */
  readonly full: string | undefined
}

/** An absolute `http(s)` URL `URL` would leave as it is: no credentials, no default port, no escaping needed. */
const PLAIN_URL = /^(https?):\/\/([\w\-.]+)(?::(\d{1,5}))?(\/[\w\-.~!$&'()*+,;=:@%/]*)(\?[\w\-.~!$&()*+,;=:@%/?]*)?$/

const UNKNOWN_TARGET: ClientTarget = { scheme: undefined, host: undefined, port: undefined, full: undefined }

/**
 * The target of a request to `url`; a plain URL (no extra parameters or fragment: `plain`) is
 * split by hand, anything else goes through `parseUrl` (the platform's URL builder).
 */
export const clientTarget = (url: string, plain: boolean, parseUrl: () => URL | undefined): ClientTarget => {
  const match = plain ? PLAIN_URL.exec(url) : null
  if (match !== null && match[2] === match[2]!.toLowerCase() && !match[4]!.includes("/.")) {
    const scheme = match[1]!
    const defaultPort = scheme === "https" ? 443 : 80
    const port = match[3] === undefined ? defaultPort : Number(match[3])
    if (port !== defaultPort || match[3] === undefined) {
      const query = match[5] === undefined ? undefined : redactQuery(match[5])
      const base = match[5] === undefined ? url : url.slice(0, url.length - match[5].length)
      return { scheme, host: match[2], port, full: query === undefined ? base : `${base}?${query}` }
    }
  }
  const parsed = parseUrl()
  if (parsed === undefined) return UNKNOWN_TARGET
  const scheme = parsed.protocol.slice(0, -1)
  return {
    scheme,
    host: parsed.hostname,
    port: parsed.port !== "" ? Number(parsed.port) : scheme === "https" ? 443 : 80,
    full: redactUrl(parsed)
  }
}

/**
 * `error.type` of a failed call: the error's `reason` (platform client errors: a string on
 * Effect 3, a tagged value on Effect 4), its `_tag`, its
 * class name, else `_OTHER`.
 */
export const errorTypeOf = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const record = error as { readonly reason?: unknown; readonly _tag?: unknown }
    if (typeof record.reason === "string") return record.reason
    // Effect 4's client errors carry the reason as a tagged value (`TransportError`, …).
    const reasonTag = typeof record.reason === "object" && record.reason !== null
      ? (record.reason as { readonly _tag?: unknown })._tag
      : undefined
    if (typeof reasonTag === "string") return reasonTag
    if (typeof record._tag === "string") return record._tag
  }
  return error instanceof Error ? error.name : "_OTHER"
}
