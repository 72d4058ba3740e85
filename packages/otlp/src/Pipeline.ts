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
import { backoffDelay, shutdownDelay } from "./internal/backoff.js"
import { type Batch, BatchQueue } from "./internal/batchQueue.js"
import {
  type DropReason,
  type Outage,
  PipelineReport,
  REMINDER_INTERVAL_MILLIS,
  UNITS
} from "./internal/pipelineReport.js"
import type { Options } from "./internal/pipelineOptions.js"
import * as Reachability from "./internal/reachability.js"
import type { SendFailure, SendResult, Signal } from "./Transport.js"

export type { LogSink, Options, RetrySettings } from "./internal/pipelineOptions.js"

/** Full batches waiting unencoded before `offer` encodes them itself. */
const STARVED_BATCHES = 4

export class Pipeline<Item, Payload> {
  private readonly queue: BatchQueue<Item, Payload>
  /** Calls in flight. */
  private inFlight = 0
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
  /** What an operator reads of this pipeline, and its self-metric counts. */
  private readonly report: PipelineReport
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

  constructor(private readonly options: Options<Item, Payload>) {
    this.attributes = { signal: options.signal }
    this.reachability = Reachability.of(options.server ?? options.endpoint)
    // Another signal got through to the same server: what waits here need not wait any more.
    this.stopListening = this.reachability.onAnswered(() => {
      if (this.outage !== undefined && !this.closed && this.backoffTimer !== undefined) this.endBackoff()
    })
    this.report = new PipelineReport(options)
    this.queue = new BatchQueue(options, (points, reason, detail) => this.drop(points, reason, detail))
    this.removeGauges = SelfMetrics.addGauges(() => [
      { name: "lingo_obs.queue.size", attributes: this.attributes, value: this.size },
      { name: "lingo_obs.queue.capacity", attributes: this.attributes, value: options.maxQueueSize },
      { name: "lingo_obs.exporter.consecutive_failures", attributes: this.attributes, value: this.consecutiveFailures }
    ])
  }

  /** Items held now: waiting for a batch, encoded and waiting or retrying, and in flight. */
  get size(): number {
    return this.queue.size
  }

  /** What is held, in the signal's data unit (`"120 spans"`), or `undefined` when nothing is. */
  describeHeld(): string | undefined {
    const points = this.queue.points
    return points === 0 ? undefined : `${points} ${UNITS[this.options.signal]}`
  }

  /** Queues one item; `false` when it was dropped because the queue is full or shut down. */
  offer(item: Item): boolean {
    if (this.closed || this.size >= this.options.maxQueueSize) {
      if (this.closed) this.report.dropLate(this.queue.pointsOf([item]))
      else this.drop(this.queue.pointsOf([item]), "queue_full")
      return false
    }
    const pending = this.queue.pending
    pending.push(item)
    if (pending.length >= this.options.maxBatchSize * (this.options.encodeWhenFull === true ? 1 : STARVED_BATCHES)) {
      // The drain has not run for several batches: the producer is starving the event loop.
      // Encode now, so that what waits is held as bytes, not as span objects.
      this.cutBatches(false)
      this.scheduleDrain()
    } else if (pending.length >= this.options.maxBatchSize || this.options.batchDelayMillis === 0) {
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
    const { inFlight, undelivered } = this.queue.clear()
    // The counts not yet said come first; the shutdown line sums up.
    this.report.flush()
    this.drop(undelivered, "shutdown")
    this.report.shutDown({
      elapsed: Date.now() - started,
      timeoutMillis,
      delivered: this.exportedPoints - this.exportedAtClosing,
      undelivered,
      inFlight,
      outage: this.outage,
      neverReached: this.neverReached()
    })
    this.stopListening()
    this.reachability.release()
    this.options.close?.()
    this.removeGauges()
    this.notifyIdle()
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
    this.queue.cut(all)
    if (this.queue.pending.length === 0 && this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer)
      this.batchTimer = undefined
    }
  }

  /** Starts as many exports as the state allows: all slots when healthy, one probe when failing. */
  private pump() {
    const limit = this.outage === undefined ? this.options.maxConcurrentExports : 1
    while (
      !this.closed && !this.abandoned && this.queue.hasReady && this.inFlight < limit &&
      Date.now() >= this.backoffUntil
    ) {
      const batch = this.queue.take()
      this.inFlight++
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
    this.queue.settled(batch)
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
    this.report.count("lingo_obs.exporter.batches", "outcome", "exported")
    this.report.count("lingo_obs.exporter.items", "outcome", "exported", batch.points - rejected)
    if (rejected > 0) {
      this.report.rejected(rejected, rejectedMessage)
    }
    this.exportedPoints += batch.points - rejected
    this.reachability.answered(true)
    this.consecutiveFailures = 0
    const outage = this.outage
    if (outage === undefined) return
    this.outage = undefined
    clearTimeout(outage.reminder)
    this.report.outageEnded(outage)
  }

  private failed(batch: Batch<Payload>, result: SendFailure) {
    const now = Date.now()
    this.report.count("lingo_obs.exporter.batches", "outcome", "failed")
    this.report.count("lingo_obs.exporter.items", "outcome", "failed", batch.points)
    this.report.count("lingo_obs.exporter.failures", "status", result.status)
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
      this.queue.requeue(batch)
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
    let delay = backoffDelay(this.options.retry, attempt, asked, this.options.random ?? Math.random)
    if (this.closingDeadline !== undefined) {
      // Shutting down: a collector no signal ever reached that refuses again is not waited for,
      // and no wait outlasts the timeout; a server's delay is honoured while it fits.
      delay = shutdownDelay(this.options.retry, delay, asked)
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
    this.report.retrying(result, attempt, delay)
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
    const outage: Outage = { since: now, attempts: 0, status, message, dropped: 0, reminder: undefined }
    this.outage = outage
    if (quiet) return
    this.report.outageBegan(outage, retry)
    const remind = () => {
      if (this.outage !== outage || this.closed) return
      this.report.outageLasts(outage, this.size)
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

  private endBackoff() {
    clearTimeout(this.backoffTimer)
    this.backoffTimer = undefined
    this.backoffUntil = 0
    this.pump()
  }

  /** Counts dropped points (in the outage's count too) and has the report say them. */
  private drop(points: number, reason: DropReason, cause?: SendFailure | string) {
    if (points <= 0) return
    if (this.outage !== undefined) this.outage.dropped += points
    this.report.drop(points, reason, cause)
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
