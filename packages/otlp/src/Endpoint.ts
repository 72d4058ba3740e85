/**
 * Where a signal's OTLP goes, resolved as the OTLP exporter specification says: absent, the
 * endpoint is `http://localhost:4317` (gRPC) or `http://localhost:4318` (HTTP); a URL's scheme
 * decides TLS (`https`) or plaintext (`http`); `insecure` applies only to a bare `host:port`. For
 * OTLP/HTTP the signal path (`/v1/traces`, `/v1/metrics`, `/v1/logs`) is appended to an endpoint
 * without a path (the general `OTEL_EXPORTER_OTLP_ENDPOINT` has it appended even with a path, by
 * `ConfigSource`), and an endpoint with a path is used as-is.
 *
 * @example
 * ```ts
 * const target = Endpoint.resolve("traces", { protocol: "http/protobuf", endpoint: undefined, insecure: false })
 * // target.url === "http://localhost:4318/v1/traces", target.tls === false
 * ```
 */
import type { EndpointConfig, Protocol } from "./ExportConfig.js"
import { StartError } from "./StartError.js"
import type { Signal } from "./Transport.js"

export type { EndpointConfig } from "./ExportConfig.js"

/**
 * The OTLP exporter specification's defaults, used when `endpoint` is absent: a plaintext
 * collector on the same host, on the port of the signal's `protocol`.
 */
export const DEFAULT_ENDPOINTS = { grpc: "http://localhost:4317", http: "http://localhost:4318" } as const

/** The OTLP/HTTP path of each signal. */
export const SIGNAL_PATHS: Readonly<Record<Signal, string>> = {
  traces: "/v1/traces",
  metrics: "/v1/metrics",
  logs: "/v1/logs"
}

export interface Target {
  readonly protocol: Protocol
  /** TLS, or plaintext. */
  readonly tls: boolean
  /** `host:port`, what gRPC dials. */
  readonly authority: string
  /** The full URL: for HTTP what is POSTed to; for gRPC the scheme and authority. */
  readonly url: string
  /** For log lines: gRPC's `host:port`, HTTP's URL without user name or password. */
  readonly display: string
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i

/** Whether an endpoint is written as a URL (with a scheme). */
export const hasScheme = (endpoint: string): boolean => SCHEME.test(endpoint.trim())

/**
 * The target of a signal. Throws a `TypeError` naming the endpoint when it is not a valid URL or
 * `host:port`, or its scheme is neither `http` nor `https`.
 */
export const resolve = (signal: Signal, config: EndpointConfig): Target => {
  const http = config.protocol !== "grpc"
  const written = config.endpoint?.trim() ?? (http ? DEFAULT_ENDPOINTS.http : DEFAULT_ENDPOINTS.grpc)
  const scheme = SCHEME.exec(written)?.[1]?.toLowerCase()
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    throw new TypeError(`endpoint ${JSON.stringify(redact(written))}: the scheme must be http:// or https://, got ${scheme}://`)
  }
  const tls = scheme === undefined ? !config.insecure : scheme === "https"
  let url: URL
  try {
    url = new URL(scheme === undefined ? `${tls ? "https" : "http"}://${written}` : written)
  } catch {
    throw new TypeError(`endpoint ${JSON.stringify(redact(written))} is neither a URL (http://host:port) nor host:port`)
  }
  if (http && (url.pathname === "" || url.pathname === "/")) url.pathname = SIGNAL_PATHS[signal]
  const port = url.port === "" ? (tls ? "443" : "80") : url.port
  const target = http ? url.href : `${url.protocol}//${url.host}`
  const authority = `${url.hostname}:${port}`
  return { protocol: config.protocol, tls, authority, url: target, display: http ? redact(target) : authority }
}

/** `resolve` for starting a pipeline: an endpoint that cannot be used throws a `StartError`. */
export const target = (signal: Signal, config: EndpointConfig): Target => {
  try {
    return resolve(signal, config)
  } catch (cause) {
    throw new StartError({
      signal,
      endpoint: redact(config.endpoint ?? ""),
      reason: cause instanceof Error ? cause.message : String(cause),
      cause
    })
  }
}

/** A URL without the password of its user information, which must never reach a log line. */
export const redact = (endpoint: string): string => endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1***@")

/**
 * The general `OTEL_EXPORTER_OTLP_ENDPOINT` as a signal's OTLP/HTTP URL: the signal path joined
 * to the base URL's own path (`http://gw/otlp` → `http://gw/otlp/v1/traces`), as the spec says.
 */
export const joinSignalPath = (base: string, signal: Signal): string =>
  `${base.trim().replace(/\/+$/, "")}${SIGNAL_PATHS[signal]}`
