/**
 * What the engine needs to know of a signal's export settings, as plain values (durations in
 * milliseconds). Each line's decoded config section matches it field for field but for the
 * durations, which its wrapper turns into milliseconds.
 *
 * @example
 * ```ts
 * const config: ExportConfig = {
 *   exporter: "otlp_grpc", protocol: "grpc", endpoint: "collector:4317", insecure: true, headers: {},
 *   compression: "none", exportTimeoutMillis: 10_000, maxMessageSize: 4 * 1024 * 1024,
 *   retry: { enabled: true, initialBackoffMillis: 5_000, maxBackoffMillis: 30_000, maxElapsedMillis: 60_000 },
 *   startupProbeTimeoutMillis: 3_000, required: false
 * }
 * ```
 */
import type { RetrySettings } from "./Pipeline.js"

/** The OTLP wire of a signal: gRPC, or HTTP with protobuf or JSON bodies. */
export type Protocol = "grpc" | "http/protobuf" | "http/json"

export type Compression = "none" | "gzip"

/** The fields that decide a signal's target (see `Endpoint.resolve`). */
export interface EndpointConfig {
  readonly protocol: Protocol
  /** A URL (`http://` plaintext, `https://` TLS) or `host:port`; absent, the protocol's default. */
  readonly endpoint?: string | undefined
  /** Plaintext for a bare `host:port`. */
  readonly insecure: boolean
}

/** The PEM files of a TLS connection: the CA, and the client pair for mutual TLS. */
export interface TlsConfig {
  readonly certificate?: string | undefined
  readonly clientKey?: string | undefined
  readonly clientCertificate?: string | undefined
}

/** What a transport needs to connect and send. */
export interface ConnectionConfig extends EndpointConfig, TlsConfig {
  /** Sent with every export (gRPC metadata, HTTP headers); their values are secrets in log lines. */
  readonly headers: Readonly<Record<string, string>>
  readonly compression: Compression
  readonly exportTimeoutMillis: number
}

/** A signal's whole export section. */
export interface ExportConfig extends ConnectionConfig {
  /** `stdout` writes JSON lines; any other value exports OTLP over `protocol`. */
  readonly exporter: string
  /** The largest export request, in bytes: larger batches are split. */
  readonly maxMessageSize: number
  readonly retry: RetrySettings
  /** How long the start-up probe waits for the endpoint to accept a connection. */
  readonly startupProbeTimeoutMillis: number
  /** A failed start-up probe fails the start instead of being one warning. */
  readonly required: boolean
}
