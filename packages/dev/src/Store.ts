/**
 * The bounded in-memory store behind `lingo-obs dev`: at most N spans, log records and metric
 * points, and at most `maxBytes` of them all by their estimated size in memory. Beyond a bound the
 * oldest go first (and are counted): spans a whole trace at a time, the trace that arrived first
 * (a trace's own oldest spans when it is the only one), log records and metric points one by one.
 * Spans are indexed by trace, so traces assemble from spans arriving in any order.
 *
 * @example
 * ```ts
 * import { Store } from "@lingo-obs/dev"
 *
 * const store = Store.make({ maxSpans: 10_000 })
 * store.addSpans(spans)
 * store.traces({ errorsOnly: true })
 * ```
 */
import type * as Api from "./Api.js"
import { BoundedQueue } from "./internal/BoundedQueue.js"
import { retainedBytes } from "./internal/retainedSize.js"
import type { NewLogRecord, NewMetricPoint, NewSpan } from "./internal/convert.js"
import * as Series from "./internal/series.js"
import * as Traces from "./internal/traces.js"

export type { NewLogRecord, NewMetricPoint, NewSpan } from "./internal/convert.js"
export type { TraceFilter } from "./internal/traces.js"

export interface Capacity {
  readonly maxSpans: number
  readonly maxLogs: number
  readonly maxMetricPoints: number
  /** Spans, log records and metric points together, by their estimated size in memory. */
  readonly maxBytes: number
}

export const defaultCapacity: Capacity = { maxSpans: 10_000, maxLogs: 10_000, maxMetricPoints: 50_000, maxBytes: 256 * 1024 * 1024 }

export interface LogFilter {
  /** Case-insensitive substring of the body, severity, service or an attribute value. */
  readonly query?: string | undefined
  /** The lowest severity number shown (9 info, 13 warn, 17 error). */
  readonly minSeverity?: number | undefined
  readonly traceId?: string | undefined
  readonly service?: string | undefined
}

/** Called once per added batch with what it changed. */
export type Listener = (update: Api.Update) => void

interface TraceEntry {
  /** In arrival order. */
  readonly spans: Map<string, Api.Span>
  summary: Api.TraceSummary | undefined
  /** The estimated size of its spans. */
  bytes: number
  /** When its first span arrived: traces are evicted in this order. */
  readonly firstSeq: number
}

interface MetricEntry {
  info: Omit<Api.MetricInfo, "series">
  readonly series: Map<string, Series.SeriesIdentity & { readonly points: Array<Api.MetricPoint> }>
}

const MAX_UPDATE_TRACE_IDS = 100

const counts = (): { spans: number; logs: number; metricPoints: number } => ({ spans: 0, logs: 0, metricPoints: 0 })

export class Store {
  private seq = 0
  private spanCount = 0
  private heldBytes = 0
  private readonly logQueue: BoundedQueue<Api.LogRecord>
  private readonly pointQueue: BoundedQueue<Api.MetricPoint>
  private readonly traceIndex = new Map<string, TraceEntry>()
  private readonly logsByTrace = new Map<string, Array<Api.LogRecord>>()
  private readonly metricIndex = new Map<string, MetricEntry>()
  private readonly evictedCounts = counts()
  private readonly receivedCounts = counts()
  private readonly listeners = new Set<Listener>()

  constructor(readonly capacity: Capacity = defaultCapacity) {
    this.logQueue = new BoundedQueue(capacity.maxLogs)
    this.pointQueue = new BoundedQueue(capacity.maxMetricPoints)
  }

  /** The latest sequence number handed out. */
  get lastSeq(): number {
    return this.seq
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  addSpans(spans: ReadonlyArray<NewSpan>): void {
    const traceIds = new Set<string>()
    for (const fields of spans) {
      const span: Api.Span = { seq: ++this.seq, ...fields }
      let trace = this.traceIndex.get(span.traceId)
      if (trace === undefined) {
        trace = { spans: new Map(), summary: undefined, bytes: 0, firstSeq: span.seq }
        this.traceIndex.set(span.traceId, trace)
      }
      // A span received twice (a retried export) is kept once, as it came last.
      const previous = trace.spans.get(span.spanId)
      if (previous !== undefined) this.removeSpan(trace, previous, false)
      const size = spanBytes(span)
      trace.spans.set(span.spanId, span)
      trace.bytes += size
      trace.summary = undefined
      this.spanCount++
      this.heldBytes += size
      traceIds.add(span.traceId)
      this.enforceBounds()
    }
    this.receivedCounts.spans += spans.length
    this.notify({ spans: spans.length, traceIds: [...traceIds] })
  }

  addLogs(records: ReadonlyArray<NewLogRecord>): void {
    for (const fields of records) {
      const record: Api.LogRecord = { seq: ++this.seq, ...fields }
      if (record.traceId !== undefined) {
        const forTrace = this.logsByTrace.get(record.traceId)
        if (forTrace === undefined) this.logsByTrace.set(record.traceId, [record])
        else forTrace.push(record)
      }
      this.heldBytes += retainedBytes(record)
      const evicted = this.logQueue.push(record)
      if (evicted !== undefined) this.evictLog(evicted)
      this.enforceBounds()
    }
    this.receivedCounts.logs += records.length
    this.notify({ logs: records.length })
  }

  addMetricPoints(points: ReadonlyArray<NewMetricPoint>): void {
    for (const fields of points) {
      const point: Api.MetricPoint = { seq: ++this.seq, ...fields }
      let metric = this.metricIndex.get(point.name)
      if (metric === undefined) {
        metric = { info: metricInfo(point), series: new Map() }
        this.metricIndex.set(point.name, metric)
      } else if (metric.info.type !== point.type || metric.info.unit !== point.unit) {
        // The producer changed the instrument: show it as it is now.
        metric.info = metricInfo(point)
      }
      const key = Series.seriesKey(point)
      const series = metric.series.get(key)
      if (series === undefined) metric.series.set(key, { service: point.service, instance: point.instance, attributes: point.attributes, points: [point] })
      else series.points.push(point)
      this.heldBytes += retainedBytes(point)
      const evicted = this.pointQueue.push(point)
      if (evicted !== undefined) this.evictPoint(evicted)
      this.enforceBounds()
    }
    this.receivedCounts.metricPoints += points.length
    this.notify({ metricPoints: points.length })
  }

  /** Trace summaries matching the filter, latest start first. */
  traces(filter: Traces.TraceFilter = {}, limit = 200): Array<Api.TraceSummary> {
    const result: Array<Api.TraceSummary> = []
    for (const [traceId, trace] of this.traceIndex) {
      const summary = this.summaryOf(traceId, trace)
      if (Traces.matches(filter, summary, trace.spans)) result.push(summary)
    }
    return result.sort((a, b) => b.start - a.start || b.lastSeq - a.lastSeq).slice(0, limit)
  }

  trace(traceId: string): Api.TraceDetail | undefined {
    const id = traceId.toLowerCase()
    const trace = this.traceIndex.get(id)
    if (trace === undefined) return undefined
    const logs = [...(this.logsByTrace.get(id) ?? [])].sort((a, b) => a.time - b.time || a.seq - b.seq)
    return { summary: this.summaryOf(id, trace), rows: Traces.waterfall(trace.spans), logs }
  }

  /** Log records matching the filter, newest first. */
  logs(filter: LogFilter = {}, limit = 500): Array<Api.LogRecord> {
    const query = filter.query?.toLowerCase()
    const minSeverity = filter.minSeverity ?? 0
    return this.logQueue.newest(limit, (record) =>
      record.severityNumber >= minSeverity &&
      (filter.traceId === undefined || record.traceId === filter.traceId.toLowerCase()) &&
      (filter.service === undefined || record.service === filter.service) &&
      (query === undefined || logText(record).includes(query))
    )
  }

  metrics(): Array<Api.MetricInfo> {
    return [...this.metricIndex.values()]
      .map((metric) => ({
        ...metric.info,
        series: [...metric.series].map(([key, series]) => Series.seriesInfo(key, series, series.points))
      }))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  metric(name: string): Api.MetricDetail | undefined {
    const metric = this.metricIndex.get(name)
    if (metric === undefined) return undefined
    const info = this.metrics().find((candidate) => candidate.name === name)!
    const series = [...metric.series].map(([key, entry]) => Series.seriesData(key, entry, entry.points))
    return { info, series }
  }

  stats(): Omit<Api.Stats, "file"> {
    const services = new Set<string>()
    for (const trace of this.traceIndex.values()) for (const span of trace.spans.values()) services.add(span.service)
    for (const record of this.logQueue) services.add(record.service)
    for (const point of this.pointQueue) services.add(point.service)
    return {
      held: {
        spans: this.spanCount,
        logs: this.logQueue.size,
        metricPoints: this.pointQueue.size,
        traces: this.traceIndex.size,
        bytes: this.heldBytes
      },
      capacity: {
        spans: this.capacity.maxSpans,
        logs: this.capacity.maxLogs,
        metricPoints: this.capacity.maxMetricPoints,
        bytes: this.capacity.maxBytes
      },
      evicted: { ...this.evictedCounts },
      received: { ...this.receivedCounts },
      services: [...services].sort()
    }
  }

  /** Everything held, oldest first per signal, without sequence numbers: what a file keeps. */
  *contents(): IterableIterator<
    | { readonly kind: "span"; readonly item: NewSpan }
    | { readonly kind: "log"; readonly item: NewLogRecord }
    | { readonly kind: "metric"; readonly item: NewMetricPoint }
  > {
    for (const trace of this.traceIndex.values()) {
      for (const { seq: _, ...item } of trace.spans.values()) yield { kind: "span", item }
    }
    for (const { seq: _, ...item } of this.logQueue) yield { kind: "log", item }
    for (const { seq: _, ...item } of this.pointQueue) yield { kind: "metric", item }
  }

  private summaryOf(traceId: string, trace: TraceEntry): Api.TraceSummary {
    trace.summary ??= Traces.summarize(traceId, trace.spans)
    return trace.summary
  }

  /** Evicts the oldest until every bound holds again. */
  private enforceBounds(): void {
    const { maxSpans, maxBytes } = this.capacity
    while (this.spanCount > maxSpans) this.evictOldestSpans()
    while (this.heldBytes > maxBytes) {
      // Oldest first across the signals: the trace that arrived first, or the oldest record or point.
      const trace = this.oldestTrace()
      const record = this.logQueue.oldest()
      const point = this.pointQueue.oldest()
      const traceSeq = trace?.firstSeq ?? Number.POSITIVE_INFINITY
      const recordSeq = record?.seq ?? Number.POSITIVE_INFINITY
      const pointSeq = point?.seq ?? Number.POSITIVE_INFINITY
      if (trace !== undefined && traceSeq <= recordSeq && traceSeq <= pointSeq) this.evictOldestSpans()
      else if (record !== undefined && recordSeq <= pointSeq) this.evictLog(this.logQueue.shift()!)
      else if (point !== undefined) this.evictPoint(this.pointQueue.shift()!)
      else break
    }
  }

  private oldestTrace(): TraceEntry | undefined {
    for (const trace of this.traceIndex.values()) return trace
    return undefined
  }

  /** The oldest trace as a whole; when it is the only one, its oldest span, so a long trace keeps its latest part. */
  private evictOldestSpans(): void {
    const entry = this.traceIndex.entries().next()
    if (entry.done === true) return
    const [traceId, trace] = entry.value
    if (this.traceIndex.size === 1 && trace.spans.size > 1) {
      const oldest = trace.spans.values().next().value!
      this.removeSpan(trace, oldest)
      this.evictedCounts.spans++
      return
    }
    this.traceIndex.delete(traceId)
    this.spanCount -= trace.spans.size
    this.heldBytes -= trace.bytes
    this.evictedCounts.spans += trace.spans.size
  }

  /** Takes a span out; its trace goes too once empty, unless the span is being replaced within it. */
  private removeSpan(trace: TraceEntry, span: Api.Span, dropEmptyTrace = true): void {
    const size = spanBytes(span)
    trace.spans.delete(span.spanId)
    trace.bytes -= size
    trace.summary = undefined
    this.spanCount--
    this.heldBytes -= size
    if (dropEmptyTrace && trace.spans.size === 0) this.traceIndex.delete(span.traceId)
  }

  private evictLog(record: Api.LogRecord): void {
    this.evictedCounts.logs++
    this.heldBytes -= retainedBytes(record)
    if (record.traceId === undefined) return
    const forTrace = this.logsByTrace.get(record.traceId)
    // Records leave in arrival order, so the evicted one is the oldest of its trace.
    if (forTrace?.[0] === record) forTrace.shift()
    if (forTrace?.length === 0) this.logsByTrace.delete(record.traceId)
  }

  private evictPoint(point: Api.MetricPoint): void {
    this.evictedCounts.metricPoints++
    this.heldBytes -= retainedBytes(point)
    const metric = this.metricIndex.get(point.name)
    const key = Series.seriesKey(point)
    const series = metric?.series.get(key)
    if (metric === undefined || series === undefined) return
    if (series.points[0] === point) series.points.shift()
    if (series.points.length === 0) metric.series.delete(key)
    if (metric.series.size === 0) this.metricIndex.delete(point.name)
  }

  private notify(changed: Partial<Pick<Api.Update, "spans" | "logs" | "metricPoints" | "traceIds">>): void {
    if (this.listeners.size === 0) return
    const update: Api.Update = {
      seq: this.seq,
      spans: changed.spans ?? 0,
      logs: changed.logs ?? 0,
      metricPoints: changed.metricPoints ?? 0,
      traceIds: (changed.traceIds ?? []).slice(-MAX_UPDATE_TRACE_IDS)
    }
    for (const listener of this.listeners) listener(update)
  }
}

/** What a span costs: its contents plus its index entry and its share of the trace's summary. */
const spanBytes = (span: Api.Span): number => retainedBytes(span) + 64

/** A store with the given capacity (defaults: 10 000 spans, 10 000 log records, 50 000 metric points, 256 MiB). */
export const make = (capacity: Partial<Capacity> = {}): Store => new Store({ ...defaultCapacity, ...capacity })

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  value === undefined ? {} : ({ [key]: value } as { [P in K]?: V })

const metricInfo = (point: Api.MetricPoint): Omit<Api.MetricInfo, "series"> => ({
  name: point.name,
  description: point.description,
  unit: point.unit,
  type: point.type,
  ...optional("monotonic", point.monotonic)
})

const logText = (record: Api.LogRecord): string =>
  [
    typeof record.body === "string" ? record.body : JSON.stringify(record.body),
    record.severityText,
    record.service,
    ...Object.values(record.attributes).map(String)
  ].join("\n").toLowerCase()
