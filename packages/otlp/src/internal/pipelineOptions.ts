/**
 * The options of the export engine (`Pipeline`), in a module of their own so that the engine's
 * parts (its report, back-off, batch queue) read them without importing the engine.
 */
import type { SendResult, Signal } from "../Transport.js"

/** Retry settings in milliseconds. */
export interface RetrySettings {
  readonly enabled: boolean
  readonly initialBackoffMillis: number
  readonly maxBackoffMillis: number
  readonly maxElapsedMillis: number
}

/** Where the engine's lines go (the toolkit passes `Diagnostics.sink`). */
export interface LogSink {
  log(level: "debug" | "info" | "warning" | "error", message: string, fields?: Readonly<Record<string, unknown>>): void
}

export interface Options<Item, Payload> {
  readonly signal: Signal
  /** Where the data goes, for log lines. */
  readonly endpoint: string
  /**
   * The server the endpoint names (`host:port`, an HTTP origin), whose reachability the signals
   * share; defaults to `endpoint`.
   */
  readonly server?: string | undefined
  /** Encodes a batch; `undefined` when there is nothing to send. */
  readonly encode: (items: ReadonlyArray<Item>) => Payload | undefined
  readonly send: (payload: Payload) => Promise<SendResult>
  /**
   * Resolves `true` as soon as a connection that is down now is up again, `false` when it was
   * not down or did not come back within `timeoutMillis`: a back-off then ends early.
   */
  readonly awaitReconnect?: ((timeoutMillis: number) => Promise<boolean>) | undefined
  /** Releases the transport once the pipeline is shut down. */
  readonly close?: (() => void) | undefined
  /** Items held at most (waiting, encoded, retrying or in flight). */
  readonly maxQueueSize: number
  readonly maxBatchSize: number
  /** How long an incomplete batch waits for more items; 0 sends each offer at once. */
  readonly batchDelayMillis: number
  readonly maxConcurrentExports: number
  readonly retry: RetrySettings
  readonly log: LogSink
  /** What the items are called in log lines ("spans", "metric collections"). */
  readonly itemName: string
  /** How many data points an item carries, for the self-metrics (default 1). */
  readonly itemPoints?: ((item: Item) => number) | undefined
  /** The encoded size of a payload in bytes; with `maxMessageBytes`, larger batches are split. */
  readonly sizeOf?: ((payload: Payload) => number) | undefined
  /** The largest payload sent; a single item above it is dropped alone. */
  readonly maxMessageBytes?: number | undefined
  /** How an item is named in a log line (a span's name), for the one that is too large. */
  readonly describeItem?: ((item: Item) => string) | undefined
  /** For tests: the jitter source, in [0, 1). */
  readonly random?: (() => number) | undefined
  /**
   * Encode a batch the moment it is full, inside `offer`, rather than after the producer's turn:
   * for items held only as bytes (traces: the span objects die young).
   */
  readonly encodeWhenFull?: boolean | undefined
}
