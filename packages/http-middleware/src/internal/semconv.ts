/**
 * Attribute names of the OpenTelemetry semantic conventions the middleware writes: the stable
 * HTTP, URL, server/client and error conventions, and the RPC conventions (still incubating).
 * Kept as plain strings so the package needs no semantic-conventions dependency for a handful of
 * names that the conventions promise never to rename.
 */

export const HTTP_REQUEST_METHOD = "http.request.method"
export const HTTP_REQUEST_METHOD_ORIGINAL = "http.request.method_original"
export const HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
export const HTTP_ROUTE = "http.route"
export const URL_FULL = "url.full"
export const URL_PATH = "url.path"
export const URL_QUERY = "url.query"
export const URL_SCHEME = "url.scheme"
export const SERVER_ADDRESS = "server.address"
export const SERVER_PORT = "server.port"
export const CLIENT_ADDRESS = "client.address"
export const NETWORK_PEER_ADDRESS = "network.peer.address"
export const NETWORK_PEER_PORT = "network.peer.port"
export const NETWORK_PROTOCOL_VERSION = "network.protocol.version"
export const USER_AGENT_ORIGINAL = "user_agent.original"
export const ERROR_TYPE = "error.type"

export const RPC_SYSTEM = "rpc.system"
export const RPC_SERVICE = "rpc.service"
export const RPC_METHOD = "rpc.method"
export const RPC_GRPC_STATUS_CODE = "rpc.grpc.status_code"

/** The methods the HTTP conventions know; any other is reported as `_OTHER`. */
const KNOWN_METHODS = new Set(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY"])

/**
 * The method as the conventions want it on spans and metrics: a known method in upper case, or
 * `_OTHER` so that arbitrary client input cannot create unbounded attribute values.
 */
export const normalizeMethod = (method: string): { readonly method: string; readonly original: string | undefined } => {
  const upper = method.toUpperCase()
  if (KNOWN_METHODS.has(upper)) return { method: upper, original: upper === method ? undefined : method }
  return { method: "_OTHER", original: method }
}

/** The span name for a method: the conventions use `HTTP` when the method is `_OTHER`. */
export const methodForName = (method: string): string => (method === "_OTHER" ? "HTTP" : method)
