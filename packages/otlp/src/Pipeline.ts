/**
 * The export engine every signal shares, in plain TypeScript (no Effect, so that any line of
 * the toolkit can use it; `ExportPipeline.make` wraps it in a scoped Effect).
 *
 * Items (spans, metric collections, log records) are batched, encoded as soon as a batch is cut
 * (held batches cost bytes, not objects), split so that no request exceeds the message size,
 * and sent with several exports in flight while the collector is healthy. The transport
 * classifies each answer; retryable failures are retried with capped, jittered exponential
 * back-off (a server's RetryInfo / Retry-After is honoured within the same bounds) for up to
 * the retry window, one probe at a time, and the batch keeps its place in the queue; the rest
 * drop the batch. When the connection comes back during a back-off, sending resumes at once.
 *
 * What an operator reads, once: one warning when export starts failing (endpoint, cause, what
 * is kept), at most one reminder a minute with the counts, one line on recovery, one line at
 * shutdown saying what was delivered and what was not, and why. Every item dropped is counted
 * (`lingo_obs.queue.dropped`) and said in exactly one line of its kind (queue full, too large,
 * permanent failure, retry window exhausted, …), those counts at most once a minute; the
 * shutdown line adds what was lost in all, at WARN.
 *
 * Shutdown delivers what can still be delivered within its timeout: every pipeline makes at
 * least one fresh attempt (a refused connection costs a millisecond, so a service without a
 * collector still exits at once), and a server's "retry later" is honoured while it fits.
 *
 * @example
 * ```ts
 * const pipeline = new Pipeline({ signal: "traces", endpoint, encode, send: transport.send, ... })
 * pipeline.offer(span)
 * await pipeline.shutdown(5_000)
 * ```
 */
import * as SelfMetrics from "./SelfMetrics.js"
import { formatBytes, formatMillis } from "./Format.js"
import * as Reachability from "./internal/reachability.js"
import { ThrottledCount } from "./internal/throttledCount.js"
import type { SendFailure, SendResult, Signal } from "./Transport.js"

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

interface Batch<Payload> {
  readonly payload: Payload
  readonly count: number
  readonly points: number
  firstFailureAt: number | undefined
}

/** A streak of retryable failures, from its first failure to the next success. */
interface Outage {
  readonly since: number
  attempts: number
  status: string
  message: string
  /** Data points dropped since it began (retry window exhausted, queue full). */
  dropped: number
  reminder: NodeJS.Timeout | undefined
}

/** What the points of each signal are called in lines about data. */
const UNITS: Record<Signal, string> = { traces: "spans", metrics: "data points", logs: "log records" }

type Level = Parameters<LogSink["log"]>[0]

/** A failure as a drop line names it. */
const describeCause = (cause: SendFailure | string | undefined): string | undefined =>
  cause === undefined || typeof cause === "string" ? cause : `${cause.status} (${cause.message})`

/** How a back-off relates to the delay the server asked for, for the outage warning. */
const askedDelay = (delay: number, asked: number | undefined): string =>
  asked === undefined
    ? ""
    : asked === delay
    ? " as the server asked"
    : asked > delay
    ? ` (the server asked for ${formatMillis(asked)}; capped at retry.maxBackoff)`
    : ` (the server asked for ${formatMillis(asked)}; retry.initialBackoff is the least)`

/** The first line of a kind waits this long, so that a burst is reported as one count. */
const FIRST_LOG_DELAY_MILLIS = 1_000
/** Lines about a lasting condition (an outage, dropped or rejected data) at most this often. */
const REMINDER_INTERVAL_MILLIS = 60_000
/** Full batches waiting unencoded before `offer` encodes them itself. */
const STARVED_BATCHES = 4
/** While shutting down, retries wait at most this long so the shutdown timeout is used well. */
const SHUTDOWN_MAX_BACKOFF_MILLIS = 250
/** While shutting down, a server's delay is honoured as asked, but never below this (no busy loop). */
const SHUTDOWN_MIN_BACKOFF_MILLIS = 50

/** Why items are dropped: the `reason` of `lingo_obs.queue.dropped`. */
type DropReason =
  | "queue_full"
  | "too_large"
  | "permanent_failure"
  | "retry_disabled"
  | "retry_exhausted"
  | "unexpected_failure"
  | "shutdown"

export class Pipeline<Item, Payload> {
  private readonly pending: Array<Item> = []
  private readonly ready: Array<Batch<Payload>> = []
  private readyItems = 0
  private readyPoints = 0
  private inFlight = 0
  private inFlightItems = 0
  private inFlightPoints = 0
  private backoffUntil = 0
  private backoffTimer: NodeJS.Timeout | undefined
  private batchTimer: NodeJS.Timeout | undefined
  private drainScheduled = false
  private outage: Outage | undefined
  private consecutiveFailures = 0
  /** What the signals know of the server, shared with the other pipelines sending there. */
  private readonly reachability: Reachability.Reachability
  private readonly stopListening: () => void
  /** An attempt (or the start-up probe) found no server to talk to. */
  private unreachableSeen = false
  /** Points dropped since start, by reason: the shutdown line's total. */
  private readonly lost = new Map<DropReason, number>()
  /** The drop lines other than queue full and too large, by reason and status. */
  private readonly dropLines = new Map<string, ThrottledCount>()
  private exportedPoints = 0
  private exportedAtClosing = 0
  private readonly idleWaiters: Array<() => void> = []
  private readonly settledWaiters: Array<() => void> = []
  /** Set when shutdown begins: every wait from then on ends by this time. */
  private closingDeadline: number | undefined
  private abandonShutdown: (() => void) | undefined
  /** Shutdown gave up sending: nothing more is started. */
  private abandoned = false
  private shutdownDone: Promise<void> | undefined
  private closed = false
  private readonly attributes: { readonly signal: Signal }
  private readonly removeGauges: () => void
  private readonly counters = new Map<string, SelfMetrics.CounterHandle>()
  private readonly queueFullDrops: ThrottledCount
  private readonly rejections: ThrottledCount
  private readonly tooLarge: ThrottledCount

  constructor(private readonly options: Options<Item, Payload>) {
    this.attributes = { signal: options.signal }
    const unit = UNITS[options.signal]
    this.reachability = Reachability.of(options.server ?? options.endpoint)
    // Another signal got through to the same server: what waits here need not wait any more.
    this.stopListening = this.reachability.onAnswered(() => {
      if (this.outage !== undefined && !this.closed && this.backoffTimer !== undefined) this.endBackoff()
    })
    this.queueFullDrops = new ThrottledCount({
      intervalMillis: REMINDER_INTERVAL_MILLIS,
      firstDelayMillis: FIRST_LOG_DELAY_MILLIS,
      report: (dropped) =>
        options.log.log(
          "warning",
          `${options.signal} queue full (${options.maxQueueSize} ${options.itemName}): dropped ${dropped} ${unit}`,
          this.fields({ dropped })
        )
    })
    this.rejections = new ThrottledCount({
      intervalMillis: REMINDER_INTERVAL_MILLIS,
      firstDelayMillis: 0,
      report: (rejected, message) =>
        options.log.log(
          "warning",
          `${options.signal} export: the collector accepted the data but rejected ${rejected} ${unit}${
            message ? ` (${message})` : ""
          }; not retried`,
          this.fields({ rejected })
        )
    })
    this.tooLarge = new ThrottledCount({
      intervalMillis: REMINDER_INTERVAL_MILLIS,
      firstDelayMillis: 0,
      report: (dropped, example) =>
        options.log.log(
          "error",
          `${options.signal} export: dropped ${dropped} ${unit} too large for one request (${example}; maxMessageSize ${
            formatBytes(options.maxMessageBytes ?? 0)
          }); not retried`,
          this.fields({ dropped })
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

  /** What is held, in the signal's data unit (`"120 spans"`), or `undefined` when nothing is. */
  describeHeld(): string | undefined {
    const points = this.pointsOf(this.pending) + this.readyPoints + this.inFlightPoints
    return points === 0 ? undefined : `${points} ${UNITS[this.options.signal]}`
  }

  /** Queues one item; `false` when it was dropped because the queue is full or shut down. */
  offer(item: Item): boolean {
    if (this.closed || this.size >= this.options.maxQueueSize) {
      if (this.closed) this.dropLate(this.pointsOf([item]))
      else this.drop(this.pointsOf([item]), "queue_full")
      return false
    }
    this.pending.push(item)
    if (this.pending.length >= this.options.maxBatchSize * (this.options.encodeWhenFull === true ? 1 : STARVED_BATCHES)) {
      // The drain has not run for several batches: the producer is starving the event loop.
      // Encode now, so that what waits is held as bytes, not as span objects.
      this.cutBatches(false)
      this.scheduleDrain()
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
   * Marks the start of shutdown (the metrics reader's final collection runs before `shutdown`):
   * from now on back-offs are short and every retry fits in what is left of `timeoutMillis`.
   */
  beginShutdown(timeoutMillis: number): void {
    if (this.closingDeadline !== undefined) return
    this.closingDeadline = Date.now() + Math.max(0, timeoutMillis)
    this.exportedAtClosing = this.exportedPoints
  }

  /**
   * Flushes within `timeoutMillis`, then stops: what is still held is dropped, counted and
   * reported in one line. At least one fresh attempt is made; an endpoint that no signal ever
   * reached and that refuses it again is given up at once. Calling it again joins the shutdown
   * under way.
   */
  shutdown(timeoutMillis: number): Promise<void> {
    return this.shutdownDone ??= this.runShutdown(timeoutMillis)
  }

  /**
   * Reports that the endpoint could not be reached (the start-up probe): the outage warning is
   * logged now, once, and later failures belong to the same outage.
   */
  reportUnreachable(status: string, message: string): void {
    if (this.closed || this.reachability.reached) return
    this.unreachableSeen = true
    if (this.outage === undefined) this.beginOutage(status, message, Date.now(), undefined)
  }

  private async runShutdown(timeoutMillis: number): Promise<void> {
    const started = Date.now()
    this.beginShutdown(timeoutMillis)
    const deadline = this.closingDeadline!
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.abandoned ? this.settled() : this.flush(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())),
      new Promise<void>((resolve) => (this.abandonShutdown = () => {
        this.abandoned = true
        // What is in flight may still land: wait for it, within the deadline.
        this.settled().then(resolve)
      }))
    ])
    clearTimeout(timer)
    this.cutBatches(true)
    this.closed = true
    for (const t of [this.batchTimer, this.backoffTimer, this.outage?.reminder]) clearTimeout(t)
    const inFlightPoints = this.inFlightPoints
    const undelivered = this.readyPoints + this.inFlightPoints
    this.pending.length = 0
    this.ready.length = 0
    this.readyItems = 0
    this.readyPoints = 0
    // The counts not yet said come first; the shutdown line sums up.
    this.queueFullDrops.flush()
    this.rejections.flush()
    this.tooLarge.flush()
    for (const line of this.dropLines.values()) line.flush()
    this.drop(undelivered, "shutdown")
    this.logShutdown(Date.now() - started, timeoutMillis, this.exportedPoints - this.exportedAtClosing, undelivered, inFlightPoints)
    this.stopListening()
    this.reachability.release()
    this.options.close?.()
    this.removeGauges()
    this.notifyIdle()
  }

  private logShutdown(elapsed: number, timeoutMillis: number, delivered: number, undelivered: number, inFlight: number) {
    const { signal } = this.options
    const unit = UNITS[signal]
    const lost = [...this.lost.values()].reduce((sum, points) => sum + points, 0)
    // What was lost before the shutdown was said when it happened; the total is said again here.
    const lostSoFar = lost === undelivered ? "" : `; ${lost} ${unit} lost in all since start (${
      [...this.lost].map(([reason, points]) => `${reason} ${points}`).join(", ")
    })`
    if (undelivered === 0) {
      this.options.log.log(
        lost === 0 ? "info" : "warning",
        `${signal} pipeline shut down in ${formatMillis(elapsed)}; ${delivered} ${unit} flushed${lostSoFar}`,
        this.fields({ delivered, undelivered, lost })
      )
      return
    }
    const outage = this.outage
    const why = outage === undefined
      ? `shutdownTimeout (${formatMillis(timeoutMillis)}) ended first`
      : !this.neverReached()
      ? `the collector has been failing for ${formatMillis(Date.now() - outage.since)} (${outage.status}: ${outage.message})`
      : `the collector was not reachable since start (${outage.status}: ${outage.message})`
    this.options.log.log(
      "warning",
      `${signal} shutdown: ${undelivered} ${unit} not delivered${
        inFlight > 0 ? ` (${inFlight} of them still unanswered when the time was up; the collector may have those)` : ""
      }, ${delivered} delivered: ${why}${lostSoFar}`,
      this.fields({ undelivered, delivered, lost })
    )
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

  private pointsOf(items: ReadonlyArray<Item>): number {
    const { itemPoints } = this.options
    return itemPoints === undefined ? items.length : items.reduce((sum, item) => sum + itemPoints(item), 0)
  }

  /** Resolves once no call is in flight. */
  private settled(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.settledWaiters.push(resolve))
  }

  /** No server has answered any signal since start, and an attempt (or the probe) found none. */
  private neverReached(): boolean {
    return !this.reachability.reached && this.unreachableSeen
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
      this.drop(this.pointsOf(items), "unexpected_failure", String(error))
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
      const name = this.options.describeItem?.(items[0]!)
      this.drop(this.pointsOf(items), "too_large", `${name === undefined ? "" : `${JSON.stringify(name)}: `}${formatBytes(size)} encoded`)
      return
    }
    const points = this.pointsOf(items)
    this.ready.push({ payload, count: items.length, points, firstFailureAt: undefined })
    this.readyItems += items.length
    this.readyPoints += points
  }

  /** Starts as many exports as the state allows: all slots when healthy, one probe when failing. */
  private pump() {
    const limit = this.outage === undefined ? this.options.maxConcurrentExports : 1
    while (
      !this.closed && !this.abandoned && this.ready.length > 0 && this.inFlight < limit &&
      Date.now() >= this.backoffUntil
    ) {
      const batch = this.ready.shift()!
      this.readyItems -= batch.count
      this.readyPoints -= batch.points
      this.inFlight++
      this.inFlightItems += batch.count
      this.inFlightPoints += batch.points
      this.options.send(batch.payload).then(
        (result) => this.settle(batch, result),
        (error) =>
          this.settle(batch, { ok: false, retryable: false, code: 2, status: "UNKNOWN", message: String(error) })
      )
    }
    this.notifyIdle()
  }

  private requeue(batch: Batch<Payload>) {
    this.ready.unshift(batch)
    this.readyItems += batch.count
    this.readyPoints += batch.points
  }

  private settle(batch: Batch<Payload>, result: SendResult) {
    this.inFlight--
    this.inFlightItems -= batch.count
    this.inFlightPoints -= batch.points
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
    this.exportedPoints += batch.points - rejected
    this.reachability.answered(true)
    this.consecutiveFailures = 0
    const outage = this.outage
    if (outage === undefined) return
    this.outage = undefined
    clearTimeout(outage.reminder)
    this.options.log.log(
      "info",
      `${this.options.signal} export recovered after ${formatMillis(Date.now() - outage.since)} and ${outage.attempts} failed attempt${
        outage.attempts === 1 ? "" : "s"
      }${outage.dropped > 0 ? `; ${outage.dropped} ${UNITS[this.options.signal]} were dropped meanwhile` : ""}`,
      this.fields({ attempts: outage.attempts, dropped: outage.dropped })
    )
  }

  private failed(batch: Batch<Payload>, result: SendFailure) {
    const now = Date.now()
    this.count("lingo_obs.exporter.batches", "outcome", "failed")
    this.count("lingo_obs.exporter.items", "outcome", "failed", batch.points)
    this.count("lingo_obs.exporter.failures", "status", result.status)
    this.consecutiveFailures++
    if (result.unreachable === true) this.unreachableSeen = true
    else this.reachability.answered(false)
    if (result.retryable) this.reachability.failed()

    if (!result.retryable || !this.options.retry.enabled) {
      this.drop(batch.points, result.retryable ? "retry_disabled" : "permanent_failure", result)
      return
    }

    batch.firstFailureAt ??= now
    if (now - batch.firstFailureAt >= this.options.retry.maxElapsedMillis) {
      this.drop(batch.points, "retry_exhausted", result)
    } else {
      this.requeue(batch)
    }
    const outage = this.outage
    if (outage !== undefined) {
      outage.status = result.status
      outage.message = result.message
    }
    // Exports in flight together fail together: one attempt.
    if (now < this.backoffUntil) return
    const attempt = (outage?.attempts ?? 0) + 1
    const asked = result.retryDelayMillis
    let delay = this.backoffDelay(attempt, asked)
    if (this.closingDeadline !== undefined) {
      // Shutting down: a collector no signal ever reached that refuses again is not waited for,
      // and no wait outlasts the timeout. Our own back-off is shortened to use the time left
      // well; a server's delay is honoured as asked (not raised to initialBackoff) while it fits.
      delay = asked === undefined
        ? Math.min(delay, SHUTDOWN_MAX_BACKOFF_MILLIS)
        : Math.min(this.options.retry.maxBackoffMillis, Math.max(SHUTDOWN_MIN_BACKOFF_MILLIS, asked))
      if ((result.unreachable === true && this.neverReached()) || delay >= this.closingDeadline - now) {
        // The shutdown line says it all; no outage warning just before it.
        if (outage === undefined) this.beginOutage(result.status, result.message, now, undefined, true)
        this.outage!.attempts = attempt
        this.abandoned = true
        this.abandonShutdown?.()
        return
      }
    }
    if (outage === undefined) this.beginOutage(result.status, result.message, now, { delay, asked })
    this.outage!.attempts = attempt
    this.options.log.log(
      "debug",
      `${this.options.signal} export failed: ${result.status} (${result.message}); retrying (attempt ${attempt}) in ${formatMillis(delay)}`,
      this.fields({ status: result.status, attempt, backoff_ms: delay })
    )
    this.backoffUntil = now + delay
    clearTimeout(this.backoffTimer)
    this.backoffTimer = setTimeout(() => this.endBackoff(), delay).unref()
    if (result.retryDelayMillis === undefined) this.watchReconnect(delay)
  }

  /** The first failure of a streak: one warning with the endpoint, the cause and what is kept. */
  private beginOutage(
    status: string,
    message: string,
    now: number,
    retry: { delay: number; asked: number | undefined } | undefined,
    quiet = false
  ) {
    const { signal, endpoint, maxQueueSize, itemName, retry: settings } = this.options
    const outage: Outage = { since: now, attempts: 0, status, message, dropped: 0, reminder: undefined }
    this.outage = outage
    if (quiet) return
    const next = retry === undefined
      ? "exporting once it is reachable"
      : `retrying in ${formatMillis(retry.delay)}${askedDelay(retry.delay, retry.asked)}`
    this.options.log.log(
      "warning",
      `${signal} export to ${endpoint} is failing: ${status} (${message}); ${next}, keeping up to ${maxQueueSize} ${itemName} and each batch for up to ${
        formatMillis(settings.maxElapsedMillis)
      }`,
      this.fields({ status, ...(retry === undefined ? {} : { backoff_ms: retry.delay }) })
    )
    const remind = () => {
      if (this.outage !== outage || this.closed) return
      this.options.log.log(
        "warning",
        `${signal} export to ${endpoint} still failing after ${formatMillis(Date.now() - outage.since)}: ${outage.status} (${outage.message}); ${outage.attempts} attempts, ${this.size} ${itemName} held, ${outage.dropped} ${
          UNITS[signal]
        } dropped so far`,
        this.fields({ status: outage.status, attempts: outage.attempts, held: this.size, dropped: outage.dropped })
      )
      outage.reminder = setTimeout(remind, REMINDER_INTERVAL_MILLIS).unref()
    }
    outage.reminder = setTimeout(remind, REMINDER_INTERVAL_MILLIS).unref()
  }

  /** Ends the back-off as soon as the transport sees the connection come back. */
  private watchReconnect(delay: number) {
    const awaitReconnect = this.options.awaitReconnect
    if (awaitReconnect === undefined) return
    const until = this.backoffUntil
    awaitReconnect(delay).then((reconnected) => {
      if (reconnected && this.backoffUntil === until && !this.closed) this.endBackoff()
    }, () => {})
  }

  /**
   * Exponential back-off with ±50 % jitter, never above the cap; a server's delay is honoured
   * within the same bounds (a RetryInfo of 0 cannot make a busy loop, nor 10 minutes a stall).
   */
  private backoffDelay(attempt: number, serverDelay: number | undefined): number {
    const { initialBackoffMillis, maxBackoffMillis } = this.options.retry
    if (serverDelay !== undefined) return Math.min(maxBackoffMillis, Math.max(initialBackoffMillis, serverDelay))
    const base = Math.min(maxBackoffMillis, initialBackoffMillis * 2 ** Math.min(attempt - 1, 30))
    return Math.min(maxBackoffMillis, Math.round(base * (0.5 + (this.options.random ?? Math.random)())))
  }

  private endBackoff() {
    clearTimeout(this.backoffTimer)
    this.backoffTimer = undefined
    this.backoffUntil = 0
    this.pump()
  }

  /**
   * Counts dropped points and says them in the line of their kind (throttled), except those
   * left at shutdown, which the shutdown line says. `cause` is the failure or the detail shown.
   */
  private drop(points: number, reason: DropReason, cause?: SendFailure | string) {
    if (points <= 0) return
    this.count("lingo_obs.queue.dropped", "reason", reason, points)
    this.lost.set(reason, (this.lost.get(reason) ?? 0) + points)
    if (this.outage !== undefined) this.outage.dropped += points
    if (reason === "queue_full") this.queueFullDrops.add(points)
    else if (reason === "too_large") this.tooLarge.add(points, cause as string)
    else if (reason !== "shutdown") this.dropLine(reason, cause).add(points, describeCause(cause))
  }

  /** Points offered after shutdown: counted, and said in a line of their own. */
  private dropLate(points: number) {
    this.count("lingo_obs.queue.dropped", "reason", "shutdown", points)
    this.dropLine("shutdown", undefined).add(points)
  }

  /** The throttled line of a kind of drop (one per failure status). */
  private dropLine(reason: DropReason, cause: SendFailure | string | undefined): ThrottledCount {
    const status = typeof cause === "object" ? cause.status : ""
    const key = `${reason}|${status}`
    let line = this.dropLines.get(key)
    if (line !== undefined) return line
    const { signal, retry } = this.options
    const unit = UNITS[signal]
    const [level, describe]: [Level, (dropped: number, detail: string | undefined) => string] = reason === "retry_exhausted"
      ? ["warning", (dropped, detail) =>
        `${signal} export: dropped ${dropped} ${unit} whose retry window (retry.maxElapsedTime, ${formatMillis(retry.maxElapsedMillis)}) ended; last failure: ${detail}`]
      : reason === "permanent_failure"
      ? ["error", (dropped, detail) => `${signal} export permanent failure: ${detail}; dropped ${dropped} ${unit}, not retried`]
      : reason === "retry_disabled"
      ? ["error", (dropped, detail) => `${signal} export failed: ${detail}; dropped ${dropped} ${unit}, not retried (retry is disabled)`]
      : reason === "unexpected_failure"
      ? ["error", (dropped, detail) => `${signal} export: cannot encode a batch (${detail}); dropped ${dropped} ${unit}`]
      : ["warning", (dropped) => `${signal} pipeline is shut down: dropped ${dropped} ${unit} that came after it`]
    line = new ThrottledCount({
      intervalMillis: REMINDER_INTERVAL_MILLIS,
      // Retry windows of a burst's batches end together: one line for them. Items that come
      // after shutdown are said at once: no later flush would say them.
      firstDelayMillis: reason === "retry_exhausted" ? FIRST_LOG_DELAY_MILLIS : 0,
      report: (dropped, detail) =>
        this.options.log.log(level, describe(dropped, detail), this.fields({ dropped, reason, ...(status === "" ? {} : { status }) }))
    })
    this.dropLines.set(key, line)
    return line
  }

  private notifyIdle() {
    if (this.inFlight === 0) for (const resolve of this.settledWaiters.splice(0)) resolve()
    if (this.idleWaiters.length === 0) return
    // Given up (shutting down, endpoint never reached): a flush waits only for what is in flight.
    const done = this.closed || this.inFlight === 0 && (this.abandoned || this.size === 0)
    if (!done) return
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }
}
