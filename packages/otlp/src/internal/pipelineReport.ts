/**
 * What one export pipeline tells an operator, and counts: the lines of an outage (its warning,
 * reminders, recovery), one throttled line per kind of drop (queue full, too large, permanent
 * failure, retry window exhausted, …), the shutdown line, and the self-metrics of exports and
 * drops, with the points lost since start that the shutdown line sums up.
 */
import { formatBytes, formatMillis } from "../Format.js"
import * as SelfMetrics from "../SelfMetrics.js"
import type { SendFailure, Signal } from "../Transport.js"
import type { LogSink, Options } from "./pipelineOptions.js"
import { ThrottledCount } from "./throttledCount.js"

/** What the report reads of the pipeline's options. */
export type ReportOptions = Pick<
  Options<never, never>,
  "signal" | "endpoint" | "maxQueueSize" | "itemName" | "maxMessageBytes" | "retry" | "log"
>

/** A streak of retryable failures, from its first failure to the next success. */
export interface Outage {
  readonly since: number
  attempts: number
  status: string
  message: string
  /** Data points dropped since it began (retry window exhausted, queue full). */
  dropped: number
  reminder: NodeJS.Timeout | undefined
}

/** Why items are dropped: the `reason` of `lingo_obs.queue.dropped`. */
export type DropReason =
  | "queue_full"
  | "too_large"
  | "permanent_failure"
  | "retry_disabled"
  | "retry_exhausted"
  | "unexpected_failure"
  | "shutdown"

/** What the points of each signal are called in lines about data. */
export const UNITS: Record<Signal, string> = { traces: "spans", metrics: "data points", logs: "log records" }

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
export const REMINDER_INTERVAL_MILLIS = 60_000

/** What the shutdown line is made of. */
export interface ShutdownSummary {
  readonly elapsed: number
  readonly timeoutMillis: number
  readonly delivered: number
  readonly undelivered: number
  /** Points of the undelivered ones still unanswered when the time was up. */
  readonly inFlight: number
  readonly outage: Outage | undefined
  /** No server has answered any signal since start. */
  readonly neverReached: boolean
}

export class PipelineReport {
  /** Points dropped since start, by reason: the shutdown line's total. */
  private readonly lost = new Map<DropReason, number>()
  /** The drop lines other than queue full and too large, by reason and status. */
  private readonly dropLines = new Map<string, ThrottledCount>()
  private readonly attributes: { readonly signal: Signal }
  private readonly counters = new Map<string, SelfMetrics.CounterHandle>()
  private readonly queueFullDrops: ThrottledCount
  private readonly rejections: ThrottledCount
  private readonly tooLarge: ThrottledCount

  constructor(private readonly options: ReportOptions) {
    this.attributes = { signal: options.signal }
    const unit = UNITS[options.signal]
    this.queueFullDrops = this.line(
      FIRST_LOG_DELAY_MILLIS,
      "warning",
      (dropped) => `${options.signal} queue full (${options.maxQueueSize} ${options.itemName}): dropped ${dropped} ${unit}`,
      (dropped) => ({ dropped })
    )
    this.rejections = this.line(
      0,
      "warning",
      (rejected, message) =>
        `${options.signal} export: the collector accepted the data but rejected ${rejected} ${unit}${
          message ? ` (${message})` : ""
        }; not retried`,
      (rejected) => ({ rejected })
    )
    this.tooLarge = this.line(
      0,
      "error",
      (dropped, example) =>
        `${options.signal} export: dropped ${dropped} ${unit} too large for one request (${example}; maxMessageSize ${
          formatBytes(options.maxMessageBytes ?? 0)
        }); not retried`,
      (dropped) => ({ dropped })
    )
  }

  /** A self-metric of this signal, its handle made once per attribute set. */
  count(name: SelfMetrics.CounterName, attribute: string, value: string, amount = 1) {
    const key = `${name}|${attribute}|${value}`
    let handle = this.counters.get(key)
    if (handle === undefined) {
      handle = SelfMetrics.counter(name, { ...this.attributes, [attribute]: value })
      this.counters.set(key, handle)
    }
    handle.add(amount)
  }

  /** The fields of every line: the signal and the endpoint. */
  fields(extra: Record<string, unknown> = {}) {
    return { signal: this.options.signal, endpoint: this.options.endpoint, ...extra }
  }

  /** Points the collector accepted the batch of but rejected (a partial success). */
  rejected(points: number, message: string | undefined) {
    this.count("lingo_obs.exporter.items", "outcome", "rejected", points)
    this.rejections.add(points, message)
  }

  /**
   * Counts dropped points and says them in the line of their kind (throttled), except those
   * left at shutdown, which the shutdown line says. `cause` is the failure or the detail shown.
   */
  drop(points: number, reason: DropReason, cause?: SendFailure | string) {
    this.count("lingo_obs.queue.dropped", "reason", reason, points)
    this.lost.set(reason, (this.lost.get(reason) ?? 0) + points)
    if (reason === "queue_full") this.queueFullDrops.add(points)
    else if (reason === "too_large") this.tooLarge.add(points, cause as string)
    else if (reason !== "shutdown") this.dropLine(reason, cause).add(points, describeCause(cause))
  }

  /** Points offered after shutdown: counted, and said in a line of their own. */
  dropLate(points: number) {
    this.count("lingo_obs.queue.dropped", "reason", "shutdown", points)
    this.dropLine("shutdown", undefined).add(points)
  }

  /** Says the counts not said yet, whatever their interval (at shutdown, before its line). */
  flush() {
    this.queueFullDrops.flush()
    this.rejections.flush()
    this.tooLarge.flush()
    for (const line of this.dropLines.values()) line.flush()
  }

  /** The first failure of a streak: one warning with the endpoint, the cause and what is kept. */
  outageBegan(outage: Outage, retry: { delay: number; asked: number | undefined } | undefined) {
    const { signal, endpoint, maxQueueSize, itemName, retry: settings } = this.options
    const next = retry === undefined
      ? "exporting once it is reachable"
      : `retrying in ${formatMillis(retry.delay)}${askedDelay(retry.delay, retry.asked)}`
    this.options.log.log(
      "warning",
      `${signal} export to ${endpoint} is failing: ${outage.status} (${outage.message}); ${next}, keeping up to ${maxQueueSize} ${itemName} and each batch for up to ${
        formatMillis(settings.maxElapsedMillis)
      }`,
      this.fields({ status: outage.status, ...(retry === undefined ? {} : { backoff_ms: retry.delay }) })
    )
  }

  /** The reminder of an outage that lasts, with `held` items waiting. */
  outageLasts(outage: Outage, held: number) {
    const { signal, endpoint, itemName } = this.options
    this.options.log.log(
      "warning",
      `${signal} export to ${endpoint} still failing after ${formatMillis(Date.now() - outage.since)}: ${outage.status} (${outage.message}); ${outage.attempts} attempts, ${held} ${itemName} held, ${outage.dropped} ${
        UNITS[signal]
      } dropped so far`,
      this.fields({ status: outage.status, attempts: outage.attempts, held, dropped: outage.dropped })
    )
  }

  outageEnded(outage: Outage) {
    this.options.log.log(
      "info",
      `${this.options.signal} export recovered after ${formatMillis(Date.now() - outage.since)} and ${outage.attempts} failed attempt${
        outage.attempts === 1 ? "" : "s"
      }${outage.dropped > 0 ? `; ${outage.dropped} ${UNITS[this.options.signal]} were dropped meanwhile` : ""}`,
      this.fields({ attempts: outage.attempts, dropped: outage.dropped })
    )
  }

  retrying(failure: SendFailure, attempt: number, delay: number) {
    this.options.log.log(
      "debug",
      `${this.options.signal} export failed: ${failure.status} (${failure.message}); retrying (attempt ${attempt}) in ${formatMillis(delay)}`,
      this.fields({ status: failure.status, attempt, backoff_ms: delay })
    )
  }

  /** The one line at shutdown: what was delivered and what was not, and why. */
  shutDown({ delivered, elapsed, inFlight, neverReached, outage, timeoutMillis, undelivered }: ShutdownSummary) {
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
    const why = outage === undefined
      ? `shutdownTimeout (${formatMillis(timeoutMillis)}) ended first`
      : !neverReached
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
    line = this.line(
      // Retry windows of a burst's batches end together: one line for them. Items that come
      // after shutdown are said at once: no later flush would say them.
      reason === "retry_exhausted" ? FIRST_LOG_DELAY_MILLIS : 0,
      level,
      describe,
      (dropped) => ({ dropped, reason, ...(status === "" ? {} : { status }) })
    )
    this.dropLines.set(key, line)
    return line
  }

  /** A line saying a count, at most once per reminder interval; the first after `firstDelayMillis`. */
  private line(
    firstDelayMillis: number,
    level: Level,
    say: (count: number, detail: string | undefined) => string,
    fields: (count: number) => Record<string, unknown>
  ): ThrottledCount {
    return new ThrottledCount({
      intervalMillis: REMINDER_INTERVAL_MILLIS,
      firstDelayMillis,
      report: (count, detail) => this.options.log.log(level, say(count, detail), this.fields(fields(count)))
    })
  }
}
