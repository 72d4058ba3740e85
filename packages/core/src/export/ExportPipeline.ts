/**
 * The export pipeline every signal shares: items (spans, metric collections) are batched,
 * encoded as soon as a batch is cut (held batches cost bytes, not objects), and sent with
 * several exports in flight while the collector is healthy. Failures are classified by gRPC
 * code: transient ones are retried with jittered exponential back-off (or the server's
 * RetryInfo delay) for up to the retry window, one probe at a time, and the batch keeps its
 * place in the queue; permanent and unexpected ones drop the batch. Everything held counts
 * against `maxQueueSize`; what overflows is dropped, counted in the self-metrics and logged at
 * most once per interval. Every failure is logged once, and recovery once.
 *
 * `flush` drains any queue size (no concurrency limit error), and never rejects.
 *
 * @example
 * ```ts
 * const pipeline = new ExportPipeline({ signal: "traces", endpoint, encode, send: transport.send, ... })
 * pipeline.offer(span)
 * await pipeline.shutdown(5_000)
 * ```
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Config from "../config/Config.js"
import * as Diagnostics from "../Diagnostics.js"
import * as Endpoint from "./Endpoint.js"
import * as OtlpGrpc from "./OtlpGrpc.js"
import * as OtlpHttp from "./OtlpHttp.js"
import type { SendFailure, SendResult, Signal } from "./Transport.js"
import { PipelineStartError } from "../Required.js"
import * as SelfMetrics from "../SelfMetrics.js"
import { ThrottledCount } from "../internal/throttledCount.js"

/** Retry settings in milliseconds. */
export interface RetrySettings {
  readonly enabled: boolean
  readonly initialBackoffMillis: number
  readonly maxBackoffMillis: number
  readonly maxElapsedMillis: number
}

export interface Options<Item, Payload> {
  readonly signal: Signal
  /** Where the data goes, for log lines. */
  readonly endpoint: string
  /** Encodes a batch; `undefined` when there is nothing to send. */
  readonly encode: (items: ReadonlyArray<Item>) => Payload | undefined
  readonly send: (payload: Payload) => Promise<SendResult>
  /** Releases the transport once the pipeline is shut down. */
  readonly close?: (() => void) | undefined
  /** Items held at most (waiting, encoded, retrying or in flight). */
  readonly maxQueueSize: number
  readonly maxBatchSize: number
  /** How long an incomplete batch waits for more items; 0 sends each offer at once. */
  readonly batchDelayMillis: number
  readonly maxConcurrentExports: number
  readonly retry: RetrySettings
  readonly log: Diagnostics.Sink
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
}

interface Batch<Payload> {
  readonly payload: Payload
  readonly count: number
  readonly points: number
  firstFailureAt: number | undefined
}

/** At most one "queue full" line per this interval, with the count since the last one. */
const DROP_LOG_INTERVAL_MILLIS = 10_000
/** The first line of a kind waits this long, so that a burst is reported as one count. */
const FIRST_LOG_DELAY_MILLIS = 1_000
/** At most one line per this interval about items a collector rejected (partial success). */
const REJECTED_LOG_INTERVAL_MILLIS = 60_000
/** Full batches waiting unencoded before `offer` encodes them itself. */
const STARVED_BATCHES = 4
/** While shutting down, retries wait at most this long so the shutdown timeout is used well. */
const SHUTDOWN_MAX_BACKOFF_MILLIS = 500

export class ExportPipeline<Item, Payload> {
  private readonly pending: Array<Item> = []
  private readonly ready: Array<Batch<Payload>> = []
  private readyItems = 0
  private inFlight = 0
  private inFlightItems = 0
  private backoffUntil = 0
  private backoffTimer: NodeJS.Timeout | undefined
  private batchTimer: NodeJS.Timeout | undefined
  private drainScheduled = false
  /** The current failure streak: since when, how many attempts were logged, the last code logged. */
  private failure: { since: number; attempts: number; loggedCode: number | undefined } | undefined
  private consecutiveFailures = 0
  private readonly queueFullDrops: ThrottledCount
  private readonly rejections: ThrottledCount
  private readonly tooLarge: ThrottledCount
  private readonly idleWaiters: Array<() => void> = []
  private shuttingDown = false
  private shutdownDone: Promise<void> | undefined
  private closed = false
  private readonly attributes: { readonly signal: Signal }
  private readonly removeGauges: () => void
  private readonly counters = new Map<string, SelfMetrics.CounterHandle>()

  constructor(private readonly options: Options<Item, Payload>) {
    this.attributes = { signal: options.signal }
    this.tooLarge = new ThrottledCount({
      intervalMillis: REJECTED_LOG_INTERVAL_MILLIS,
      firstDelayMillis: 0,
      report: (dropped, example) =>
        options.log.log(
          "error",
          `${options.signal} export: dropped ${dropped} ${options.itemName} too large for one request (${example}; maxMessageSize ${
            formatBytes(options.maxMessageBytes ?? 0)
          }); not retried`,
          this.fields({ dropped })
        )
    })
    this.queueFullDrops = new ThrottledCount({
      intervalMillis: DROP_LOG_INTERVAL_MILLIS,
      firstDelayMillis: FIRST_LOG_DELAY_MILLIS,
      report: (dropped) =>
        options.log.log(
          "warning",
          `${options.signal} queue full (${options.maxQueueSize} ${options.itemName}): dropped ${dropped} ${options.itemName}`,
          this.fields({ dropped })
        )
    })
    this.rejections = new ThrottledCount({
      intervalMillis: REJECTED_LOG_INTERVAL_MILLIS,
      firstDelayMillis: 0,
      report: (rejected, message) =>
        options.log.log(
          "warning",
          `${options.signal} export: the collector accepted the data but rejected ${rejected} ${
            options.signal === "traces" ? "spans" : options.signal === "metrics" ? "data points" : "log records"
          }${message ? ` (${message})` : ""}; not retried`,
          this.fields({ rejected })
        )
    })
    this.removeGauges = SelfMetrics.addGauges(() => [
      { name: "lingo_obs.queue.size", attributes: this.attributes, value: this.size },
      { name: "lingo_obs.queue.capacity", attributes: this.attributes, value: options.maxQueueSize },
      { name: "lingo_obs.exporter.consecutive_failures", attributes: this.attributes, value: this.consecutiveFailures }
    ])
  }

  /** Items held now: waiting for a batch, encoded and waiting or retrying, and in flight. */
  get size(): number {
    return this.pending.length + this.readyItems + this.inFlightItems
  }

  /** Queues one item; `false` when it was dropped because the queue is full or shut down. */
  offer(item: Item): boolean {
    if (this.closed || this.size >= this.options.maxQueueSize) {
      this.drop(1, this.closed ? "shutdown" : "queue_full")
      return false
    }
    this.pending.push(item)
    if (this.pending.length >= this.options.maxBatchSize * STARVED_BATCHES) {
      // The drain has not run for several batches: the producer is starving the event loop.
      // Encode now, so that what waits is held as bytes, not as span objects.
      this.cutBatches(false)
    } else if (this.pending.length >= this.options.maxBatchSize || this.options.batchDelayMillis === 0) {
      this.scheduleDrain()
    } else if (this.batchTimer === undefined) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined
        this.cutBatches(true)
        this.pump()
      }, this.options.batchDelayMillis).unref()
    }
    return true
  }

  /**
   * Sends everything held now and resolves when the queue is empty. A pending back-off is cut
   * short once. Resolves, never rejects; the caller bounds the wait.
   */
  flush(): Promise<void> {
    this.cutBatches(true)
    this.endBackoff()
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve))
    this.pump()
    return idle
  }

  /**
   * Flushes within `timeoutMillis`, then stops: what is still held is dropped and counted.
   * Calling it again joins the shutdown under way.
   */
  shutdown(timeoutMillis: number): Promise<void> {
    return this.shutdownDone ??= this.runShutdown(timeoutMillis)
  }

  private async runShutdown(timeoutMillis: number): Promise<void> {
    this.shuttingDown = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMillis).unref()))
    ])
    clearTimeout(timer)
    this.closed = true
    for (const t of [this.batchTimer, this.backoffTimer]) clearTimeout(t)
    const undelivered = this.size
    this.pending.length = 0
    this.ready.length = 0
    this.readyItems = 0
    if (undelivered > 0) {
      this.drop(undelivered, "shutdown")
      this.options.log.log(
        "warning",
        `${this.options.signal} shutdown: ${undelivered} ${this.options.itemName} could not be delivered within ${
          Diagnostics.formatMillis(timeoutMillis)
        }`,
        this.fields()
      )
    }
    this.queueFullDrops.flush()
    this.rejections.flush()
    this.tooLarge.flush()
    this.options.close?.()
    this.removeGauges()
    this.notifyIdle()
  }

  // -------------------------------------------------------------------------------------------

  /** A self-metric of this signal, its handle made once per attribute set. */
  private count(name: SelfMetrics.CounterName, attribute: string, value: string, amount = 1) {
    const key = `${name}|${attribute}|${value}`
    let handle = this.counters.get(key)
    if (handle === undefined) {
      handle = SelfMetrics.counter(name, { ...this.attributes, [attribute]: value })
      this.counters.set(key, handle)
    }
    handle.add(amount)
  }

  private fields(extra: Record<string, unknown> = {}) {
    return { signal: this.options.signal, endpoint: this.options.endpoint, ...extra }
  }

  private scheduleDrain() {
    if (this.drainScheduled) return
    this.drainScheduled = true
    // Encoding runs after the producer's current work, not inside `Effect.withSpan`'s end.
    setImmediate(() => {
      this.drainScheduled = false
      this.cutBatches(this.options.batchDelayMillis === 0)
      this.pump()
    })
  }

  /** Cuts full batches (all of them, partial included, when `all`) and encodes them. */
  private cutBatches(all: boolean) {
    const { maxBatchSize } = this.options
    while (this.pending.length >= maxBatchSize || (all && this.pending.length > 0)) {
      this.encodeBatch(this.pending.splice(0, maxBatchSize))
    }
    if (this.pending.length === 0 && this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer)
      this.batchTimer = undefined
    }
  }

  /**
   * Encodes a batch and queues it; a batch whose request would exceed the message size is split
   * in halves until each fits, and a single item that cannot fit is dropped alone, so it never
   * takes its batch-mates with it nor blocks what comes after.
   */
  private encodeBatch(items: Array<Item>) {
    let payload: Payload | undefined
    try {
      payload = this.options.encode(items)
    } catch (error) {
      this.drop(items.length, "unexpected_failure")
      this.options.log.log("error", `${this.options.signal} export: cannot encode a batch: ${String(error)}`, this.fields())
      return
    }
    if (payload === undefined) return
    const { sizeOf, maxMessageBytes } = this.options
    const size = sizeOf === undefined || maxMessageBytes === undefined ? 0 : sizeOf(payload)
    if (size > maxMessageBytes!) {
      if (items.length > 1) {
        const half = Math.ceil(items.length / 2)
        this.encodeBatch(items.slice(0, half))
        this.encodeBatch(items.slice(half))
        return
      }
      this.drop(1, "too_large")
      const name = this.options.describeItem?.(items[0]!)
      this.tooLarge.add(1, `${name === undefined ? "" : `${JSON.stringify(name)}: `}${formatBytes(size)} encoded`)
      return
    }
    const points = this.options.itemPoints === undefined
      ? items.length
      : items.reduce((sum, item) => sum + this.options.itemPoints!(item), 0)
    this.ready.push({ payload, count: items.length, points, firstFailureAt: undefined })
    this.readyItems += items.length
  }

  /** Starts as many exports as the state allows: all slots when healthy, one probe when failing. */
  private pump() {
    const limit = this.failure === undefined ? this.options.maxConcurrentExports : 1
    while (
      !this.closed && this.ready.length > 0 && this.inFlight < limit && Date.now() >= this.backoffUntil
    ) {
      const batch = this.ready.shift()!
      this.readyItems -= batch.count
      this.inFlight++
      this.inFlightItems += batch.count
      this.options.send(batch.payload).then(
        (result) => this.settle(batch, result),
        (error) =>
          this.settle(batch, { ok: false, retryable: false, code: 2, status: "UNKNOWN", message: String(error) })
      )
    }
    this.notifyIdle()
  }

  private settle(batch: Batch<Payload>, result: SendResult) {
    this.inFlight--
    this.inFlightItems -= batch.count
    if (this.closed) {
      this.notifyIdle()
      return
    }
    if (result.ok) this.succeeded(batch, result.rejected ?? 0, result.rejectedMessage)
    else this.failed(batch, result)
    this.pump()
  }

  private succeeded(batch: Batch<Payload>, reportedRejected: number, rejectedMessage: string | undefined) {
    const rejected = Math.min(Math.max(0, reportedRejected), batch.points)
    this.count("lingo_obs.exporter.batches", "outcome", "exported")
    this.count("lingo_obs.exporter.items", "outcome", "exported", batch.points - rejected)
    if (rejected > 0) {
      this.count("lingo_obs.exporter.items", "outcome", "rejected", rejected)
      this.rejections.add(rejected, rejectedMessage)
    }
    this.consecutiveFailures = 0
    if (this.failure !== undefined) {
      const { attempts, since } = this.failure
      this.failure = undefined
      this.options.log.log(
        "info",
        `${this.options.signal} export recovered after ${attempts} failed attempt${attempts === 1 ? "" : "s"} in ${
          Diagnostics.formatMillis(Date.now() - since)
        }`,
        this.fields({ attempts })
      )
    }
  }

  private failed(batch: Batch<Payload>, result: SendFailure) {
    const now = Date.now()
    const code = result.status
    this.count("lingo_obs.exporter.batches", "outcome", "failed")
    this.count("lingo_obs.exporter.items", "outcome", "failed", batch.points)
    this.count("lingo_obs.exporter.failures", "status", code)
    this.consecutiveFailures++
    const kind = result.retryable ? "transient" : "permanent"
    const failure = this.failure ??= { since: now, attempts: 0, loggedCode: undefined }
    const fields = this.fields({ status: code })

    if (!result.retryable || !this.options.retry.enabled) {
      this.drop(batch.count, result.retryable ? "retry_disabled" : "permanent_failure")
      failure.attempts++
      // A collector that rejects every batch would otherwise log each one.
      if (failure.loggedCode !== result.code) {
        failure.loggedCode = result.code
        this.options.log.log(
          "error",
          `${this.options.signal} export ${kind === "transient" ? "failed" : `${kind} failure`}: ${code} (${result.message}); dropped ${batch.count} ${this.options.itemName}${
            kind === "permanent" ? ", not retried" : ""
          }`,
          fields
        )
      }
      return
    }

    batch.firstFailureAt ??= now
    if (now - batch.firstFailureAt >= this.options.retry.maxElapsedMillis) {
      this.drop(batch.count, "retry_exhausted")
      this.options.log.log(
        "error",
        `${this.options.signal} export gave up after retrying for ${
          Diagnostics.formatMillis(now - batch.firstFailureAt)
        }: dropped ${batch.count} ${this.options.itemName}`,
        fields
      )
    } else {
      this.ready.unshift(batch)
      this.readyItems += batch.count
    }
    // Exports in flight together fail together: one attempt, one line.
    if (now < this.backoffUntil) return
    failure.attempts++
    failure.loggedCode = result.code
    const delay = this.backoffDelay(failure.attempts, result.retryDelayMillis)
    this.options.log.log(
      kind === "transient" ? "warning" : "error",
      `${this.options.signal} export ${kind === "transient" ? "failed" : "unexpected failure"}: ${code} (${result.message}); retrying (attempt ${failure.attempts}) in ${
        Diagnostics.formatMillis(delay)
      }${result.retryDelayMillis === undefined ? "" : " as the server asked"}`,
      this.fields({ status: code, attempt: failure.attempts, backoff_ms: delay })
    )
    this.backoffUntil = now + delay
    clearTimeout(this.backoffTimer)
    this.backoffTimer = setTimeout(() => this.endBackoff(), delay).unref()
  }

  /** Exponential back-off with ±50 % jitter, capped; a server's RetryInfo delay wins. */
  private backoffDelay(attempt: number, serverDelay: number | undefined): number {
    const { initialBackoffMillis, maxBackoffMillis } = this.options.retry
    const base = Math.min(maxBackoffMillis, initialBackoffMillis * 2 ** (attempt - 1))
    if (serverDelay !== undefined) return serverDelay
    const jittered = Math.round(base * (0.5 + (this.options.random ?? Math.random)()))
    return this.shuttingDown ? Math.min(jittered, SHUTDOWN_MAX_BACKOFF_MILLIS) : jittered
  }

  private endBackoff() {
    clearTimeout(this.backoffTimer)
    this.backoffTimer = undefined
    this.backoffUntil = 0
    this.pump()
  }

  private drop(count: number, reason: string) {
    this.count("lingo_obs.queue.dropped", "reason", reason, count)
    if (reason === "queue_full") this.queueFullDrops.add(count)
  }

  private notifyIdle() {
    if (this.idleWaiters.length === 0) return
    if (!this.closed && (this.size > 0 || this.inFlight > 0)) return
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }
}

/** Bytes for a log line: `512 B`, `4.0 MiB`. */
const formatBytes = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** What a signal's pipeline needs besides its config section. */
export interface MakeOptions<Item> {
  readonly signal: Signal
  readonly config: Config.ExporterConfig
  /** OTLP protobuf encoding of a batch (the `@opentelemetry/otlp-transformer` serializers). */
  readonly encodeOtlp: (items: ReadonlyArray<Item>) => Uint8Array | undefined
  /** OTLP/JSON encoding of a batch, for `protocol: http/json` (the otlp-transformer JSON serializers). */
  readonly encodeOtlpJson: (items: ReadonlyArray<Item>) => Uint8Array | undefined
  /** One JSON object per line, for the `stdout` exporter. */
  readonly encodeJson: (items: ReadonlyArray<Item>) => string
  readonly maxQueueSize: number
  readonly maxBatchSize: number
  readonly batchDelayMillis: number
  readonly maxConcurrentExports: number
  readonly itemName: string
  readonly itemPoints?: ((item: Item) => number) | undefined
  /** How an item is named in log lines (a span's name). */
  readonly describeItem?: ((item: Item) => string) | undefined
}

const retrySettings = (retry: Config.RetryConfig): RetrySettings => ({
  enabled: retry.enabled,
  initialBackoffMillis: Duration.toMillis(retry.initialBackoff),
  maxBackoffMillis: Duration.toMillis(retry.maxBackoff),
  maxElapsedMillis: Duration.toMillis(retry.maxElapsedTime)
})

/**
 * The pipeline a signal's config describes: OTLP to the endpoint over the config's `protocol`
 * (gRPC, or HTTP with protobuf or JSON bodies), or JSON lines on stdout.
 * For OTLP a startup probe checks that the endpoint accepts a connection within
 * `startupProbeTimeout`: with `required` a failed probe is a `PipelineStartError`; without,
 * one warning, and the pipeline delivers as soon as the collector is up.
 */
export const make = <Item>(
  options: MakeOptions<Item>
): Effect.Effect<ExportPipeline<Item, unknown>, PipelineStartError, Scope.Scope> =>
  Effect.gen(function*() {
    const { config, signal } = options
    const stdout = config.exporter === "stdout"
    const target = stdout ? undefined : yield* Endpoint.target(signal, config)
    const log = yield* Diagnostics.sink({ signal, endpoint: target?.display ?? "stdout" })
    const common = {
      signal,
      log,
      maxQueueSize: options.maxQueueSize,
      maxBatchSize: options.maxBatchSize,
      batchDelayMillis: options.batchDelayMillis,
      maxConcurrentExports: options.maxConcurrentExports,
      retry: retrySettings(config.retry),
      itemName: options.itemName,
      itemPoints: options.itemPoints,
      describeItem: options.describeItem
    }
    if (stdout) {
      return new ExportPipeline<Item, unknown>({
        ...common,
        endpoint: "stdout",
        encode: (items) => options.encodeJson(items),
        send: (lines) => {
          process.stdout.write(lines as string)
          return Promise.resolve({ ok: true })
        }
      })
    }
    const transport = config.protocol === "grpc"
      ? yield* OtlpGrpc.transport(signal, { ...config, endpoint: target!.authority, insecure: !target!.tls })
      : yield* OtlpHttp.transport(signal, config)
    yield* probe(transport, options.signal, config, target!, log)
    return new ExportPipeline<Item, unknown>({
      ...common,
      endpoint: transport.endpoint,
      encode: config.protocol === "http/json" ? options.encodeOtlpJson : options.encodeOtlp,
      sizeOf: (request) => (request as Uint8Array).byteLength,
      maxMessageBytes: config.maxMessageSize,
      send: (request) => transport.send(request as Uint8Array),
      close: () => transport.close()
    })
  })

const probe = (
  transport: OtlpGrpc.Transport,
  signal: Signal,
  config: Config.ExporterConfig,
  target: Endpoint.Target,
  log: Diagnostics.Sink
) => {
  const timeout = Duration.toMillis(config.startupProbeTimeout)
  const attempt = Effect.tryPromise({
    try: () => transport.probe(timeout),
    catch: (cause) =>
      new PipelineStartError({
        signal,
        endpoint: target.display,
        reason: `the endpoint did not accept a ${target.tls ? "TLS" : "plaintext"} connection within ${
          Diagnostics.formatMillis(timeout)
        } (${cause instanceof Error ? cause.message : String(cause)})`,
        cause
      })
  })
  if (config.required) return attempt
  // Not required: never delay startup; say once that the collector is not there yet.
  return Effect.forkScoped(
    Effect.catchAll(attempt, (error) =>
      Effect.sync(() => log.log("warning", `${error.message}; exporting anyway, data flows once it is reachable`)))
  ).pipe(Effect.asVoid)
}
