/**
 * Attribute names of the OpenTelemetry semantic conventions the middleware writes, imported from
 * `@opentelemetry/semantic-conventions` (stable names from the root, the rest from `/incubating`):
 * the stable HTTP, URL, server/client, network and error conventions, the stable RPC conventions
 * (1.38 and later), and the RPC names of 1.37 and earlier that the legacy RPC metrics and the RPC
 * spans still carry.
 */
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  RPC_SYSTEM_NAME_VALUE_GRPC as RPC_SYSTEM_NAME_GRPC
} from "@opentelemetry/semantic-conventions"
import { ATTR_RPC_GRPC_STATUS_CODE, ATTR_RPC_SERVICE, ATTR_RPC_SYSTEM } from "@opentelemetry/semantic-conventions/incubating"

export const HTTP_REQUEST_METHOD = ATTR_HTTP_REQUEST_METHOD
export const HTTP_REQUEST_METHOD_ORIGINAL = ATTR_HTTP_REQUEST_METHOD_ORIGINAL
export const HTTP_RESPONSE_STATUS_CODE = ATTR_HTTP_RESPONSE_STATUS_CODE
export const HTTP_ROUTE = ATTR_HTTP_ROUTE
export const URL_FULL = ATTR_URL_FULL
export const URL_PATH = ATTR_URL_PATH
export const URL_QUERY = ATTR_URL_QUERY
export const URL_SCHEME = ATTR_URL_SCHEME
export const SERVER_ADDRESS = ATTR_SERVER_ADDRESS
export const SERVER_PORT = ATTR_SERVER_PORT
export const CLIENT_ADDRESS = ATTR_CLIENT_ADDRESS
export const NETWORK_PEER_ADDRESS = ATTR_NETWORK_PEER_ADDRESS
export const NETWORK_PEER_PORT = ATTR_NETWORK_PEER_PORT
export const NETWORK_PROTOCOL_VERSION = ATTR_NETWORK_PROTOCOL_VERSION
export const USER_AGENT_ORIGINAL = ATTR_USER_AGENT_ORIGINAL
export const ERROR_TYPE = ATTR_ERROR_TYPE

/** Stable RPC conventions: `rpc.system.name`, `rpc.method` (`package.Service/Method`), `rpc.status_code` (`OK`). */
export const RPC_SYSTEM_NAME = ATTR_RPC_SYSTEM_NAME
export const RPC_SYSTEM_NAME_VALUE_GRPC = RPC_SYSTEM_NAME_GRPC
export const RPC_METHOD = ATTR_RPC_METHOD
export const RPC_STATUS_CODE = ATTR_RPC_STATUS_CODE

/** RPC conventions of 1.37 and earlier (deprecated): kept on spans and the legacy metrics. */
export const RPC_SYSTEM_LEGACY = ATTR_RPC_SYSTEM
export const RPC_SERVICE_LEGACY = ATTR_RPC_SERVICE
export const RPC_GRPC_STATUS_CODE = ATTR_RPC_GRPC_STATUS_CODE

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

/** Names of the HTTP request metrics (stable, except `active_requests`, still incubating). */
export { METRIC_HTTP_CLIENT_REQUEST_DURATION, METRIC_HTTP_SERVER_REQUEST_DURATION } from "@opentelemetry/semantic-conventions"
export { METRIC_HTTP_SERVER_ACTIVE_REQUESTS } from "@opentelemetry/semantic-conventions/incubating"
