/**
 * The contract between the export pipeline and its transports (OTLP/gRPC, OTLP/HTTP): a transport
 * sends one encoded request and classifies its own protocol's answer; the pipeline only reads
 * `retryable`, `retryDelayMillis` and `rejected`. Plain TypeScript, no Effect, so that the export
 * engine can be shared by other lines of the toolkit.
 *
 * @example
 * ```ts
 * const result: SendResult = await transport.send(request)
 * if (!result.ok && result.retryable) retryLater(result.retryDelayMillis)
 * ```
 */

/** The signals a pipeline exports. */
export type Signal = "traces" | "metrics" | "logs"

/** What one export call came to. */
export type SendResult =
  | {
    readonly ok: true
    /** Items (spans, data points, log records) the server accepted the request but rejected (partial success). */
    readonly rejected?: number | undefined
    /** The server's reason for the rejected items. */
    readonly rejectedMessage?: string | undefined
  }
  | SendFailure

/** A failed export call, classified by the transport. */
export interface SendFailure {
  readonly ok: false
  /** Whether the same request may succeed later (a reset connection, UNAVAILABLE, HTTP 503, …). */
  readonly retryable: boolean
  /** The gRPC status code, or the HTTP status. */
  readonly code: number
  /** The status as operators know it: `"UNAVAILABLE"`, `"HTTP 503"`. */
  readonly status: string
  readonly message: string
  /** The server's requested delay (gRPC RetryInfo, HTTP Retry-After), when it sent one. */
  readonly retryDelayMillis?: number | undefined
  /**
   * No connection could be made (refused, unknown host, TLS handshake failed): the request
   * reached no server. A pipeline that never reached its endpoint does not wait for it at shutdown.
   */
  readonly unreachable?: boolean | undefined
}

/** Sends encoded OTLP export requests; one per signal and endpoint. */
export interface Transport {
  readonly endpoint: string
  send(request: Uint8Array): Promise<SendResult>
  /** Resolves once the endpoint accepts a connection (TLS handshake included), rejects after `timeoutMillis`. */
  probe(timeoutMillis: number): Promise<void>
  /**
   * Resolves `true` as soon as a connection that is down now is up again, `false` when it is not
   * down (the server itself answered the failure) or not back within `timeoutMillis`: the
   * pipeline then ends a back-off early. A transport without connection state resolves `false`.
   */
  awaitReconnect(timeoutMillis: number): Promise<boolean>
  /** Cancels calls in flight and closes the connection. */
  close(): void
}
