/**
 * An OTLP/gRPC receiver on 127.0.0.1 for tests and benchmarks: a stand-in for the OpenTelemetry
 * Collector that keeps what it receives in a flat, assertable form, can fail or slow down calls on
 * demand, and can go down and come back on the same port.
 *
 * @example
 * ```ts
 * import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
 *
 * const receiver = await OtlpReceiver.start()
 * // point an OTLP/gRPC exporter at `http://${receiver.endpoint}`, export, then:
 * const span = await receiver.waitForSpan("checkout")
 * await receiver.stop()
 * ```
 */
import * as grpc from "@grpc/grpc-js"
import { setTimeout as sleep } from "node:timers/promises"
import * as Flatten from "./internal/flatten.js"
import * as Proto from "./internal/otlpProto.js"
import { RetryInfo } from "@lingo-obs/core"


// ---------------------------------------------------------------------------------------------
// Received data
// ---------------------------------------------------------------------------------------------

export type Signal = "traces" | "metrics" | "logs"

/**
 * OTLP attributes as plain JS: strings, booleans, numbers (int64 as bigint only beyond 2^53), arrays,
 * objects (kvlist), Uint8Array (bytes).
 */
export type Attributes = Readonly<Record<string, unknown>>

export interface ReceivedScope {
  readonly name: string
  readonly version?: string
}

export interface ReceivedSpanEvent {
  readonly name: string
  readonly timeUnixNano: bigint
  readonly attributes: Attributes
  /** What the sender's per-event attribute limit cut. */
  readonly droppedAttributes: number
}

export interface ReceivedSpanLink {
  readonly traceId: string
  readonly spanId: string
  readonly attributes: Attributes
}

export interface ReceivedSpan {
  /** Lower-case hex. */
  readonly traceId: string
  readonly spanId: string
  /** `undefined` for a root span. */
  readonly parentSpanId: string | undefined
  readonly name: string
  /** The OTLP `SpanKind`: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number
  readonly startTimeUnixNano: bigint
  readonly endTimeUnixNano: bigint
  readonly attributes: Attributes
  /** The OTLP `StatusCode`: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message?: string }
  readonly events: ReadonlyArray<ReceivedSpanEvent>
  readonly links: ReadonlyArray<ReceivedSpanLink>
  /** The resource attributes. */
  readonly resource: Attributes
  readonly scope: ReceivedScope
  /** What the sender's span limits cut (0 when nothing was). */
  readonly dropped: { readonly attributes: number; readonly events: number; readonly links: number }
}

export interface ExponentialBuckets {
  readonly offset: number
  readonly bucketCounts: ReadonlyArray<number>
}

/** One data point; which optional fields are set depends on the metric type. */
export interface ReceivedDataPoint {
  readonly attributes: Attributes
  readonly startTimeUnixNano: bigint
  readonly timeUnixNano: bigint
  /** Sum and gauge: `asInt` or `asDouble`. */
  readonly value?: number
  readonly count?: number
  readonly sum?: number
  readonly min?: number
  readonly max?: number
  readonly bucketCounts?: ReadonlyArray<number>
  readonly explicitBounds?: ReadonlyArray<number>
  readonly scale?: number
  readonly zeroCount?: number
  readonly positive?: ExponentialBuckets
  readonly negative?: ExponentialBuckets
  readonly quantileValues?: ReadonlyArray<{ readonly quantile: number; readonly value: number }>
}

export interface ReceivedMetric {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly type: "sum" | "gauge" | "histogram" | "exponentialHistogram" | "summary"
  readonly dataPoints: ReadonlyArray<ReceivedDataPoint>
  /** Sums only. */
  readonly isMonotonic?: boolean
  /** Sums and histograms: 1 delta, 2 cumulative. */
  readonly aggregationTemporality?: number
  readonly resource: Attributes
  readonly scope: ReceivedScope
}

export interface ReceivedLogRecord {
  readonly timeUnixNano: bigint
  readonly observedTimeUnixNano: bigint
  readonly severityNumber: number
  readonly severityText: string
  readonly body: unknown
  readonly attributes: Attributes
  /** Lower-case hex; `undefined` when the record is not correlated with a span. */
  readonly traceId: string | undefined
  readonly spanId: string | undefined
  readonly flags: number
  readonly eventName?: string
  readonly resource: Attributes
  readonly scope: ReceivedScope
}

/** One Export call as it arrived, whatever its outcome. */
export interface ReceivedRequest {
  readonly signal: Signal
  /** The gRPC metadata (headers); binary (`-bin`) values in base64. */
  readonly metadata: Readonly<Record<string, string>>
  /** Spans, metric data points or log records in the request. */
  readonly items: number
  /** The gRPC status code the call ended with. */
  readonly status: grpc.status
}

/** Export calls per signal, counted on arrival whatever their outcome, and how many did not end with OK. */
export interface Stats {
  readonly traces: number
  readonly metrics: number
  readonly logs: number
  readonly failed: number
}

/** Items in accepted calls; kept in count-only mode too. */
export interface Counts {
  readonly spans: number
  readonly metricPoints: number
  readonly logRecords: number
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

export interface Fault {
  /** Only calls of this signal; all signals when absent. */
  readonly signal?: Signal
  /** The status to fail with; absent or OK means succeed (after `delayMs`). */
  readonly code?: grpc.status
  readonly message?: string
  /** Apply to the first N matching calls only; forever when absent. */
  readonly times?: number
  /** Attach a `google.rpc.RetryInfo` with this delay in the `grpc-status-details-bin` trailer. */
  readonly retryDelayMs?: number
  /** Answer only after this delay, e.g. to outlast the exporter's timeout. */
  readonly delayMs?: number
}

export interface StartOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number
  /** Only loopback is supported, so the receiver is never reachable from outside. */
  readonly host?: "127.0.0.1"
  /** Serve TLS instead of plaintext. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer }
  /** Keep only counts, not the data nor the request log, so memory stays flat in benchmarks. */
  readonly countOnly?: boolean
}

export interface WaitOptions {
  readonly timeoutMs?: number | undefined
  readonly intervalMs?: number | undefined
  /** What is awaited, for the timeout message. */
  readonly description?: string | undefined
}

export interface Receiver {
  readonly port: number
  /** `127.0.0.1:<port>`; exporters take `http://` + endpoint (or `https://` with TLS). */
  readonly endpoint: string
  readonly listening: boolean
  spans(): ReadonlyArray<ReceivedSpan>
  /** Every exported metric, in arrival order: a periodic reader re-exports the same metric each cycle. */
  metrics(): ReadonlyArray<ReceivedMetric>
  logs(): ReadonlyArray<ReceivedLogRecord>
  /** Answered calls in order (a delayed call is listed once answered); empty in count-only mode. */
  requests(): ReadonlyArray<ReceivedRequest>
  stats(): Stats
  counts(): Counts
  /** Forgets everything: data, requests, counters and the fault. */
  reset(): void
  /** Replaces the fault; `undefined` heals the receiver. */
  setFault(fault: Fault | undefined): void
  /** Polls `probe` until it returns a truthy value; rejects after `timeoutMs` (default 10 s). */
  waitFor<T>(probe: () => T | undefined | null | false, options?: WaitOptions): Promise<T>
  waitForSpans(count: number, timeoutMs?: number): Promise<ReadonlyArray<ReceivedSpan>>
  /** The first span with this name. */
  waitForSpan(name: string, timeoutMs?: number): Promise<ReceivedSpan>
  /** The latest export of the metric with this name. */
  waitForMetric(name: string, timeoutMs?: number): Promise<ReceivedMetric>
  waitForLogs(count: number, timeoutMs?: number): Promise<ReadonlyArray<ReceivedLogRecord>>
  /** Closes the port at once, dropping open connections and pending delayed calls; idempotent. */
  stop(): Promise<void>
  /** Listens again on the same port (stopping first if needed), keeping what was received. */
  restart(): Promise<void>
}

const HOST = "127.0.0.1"
const DEFAULT_WAIT_TIMEOUT_MS = 10_000
const DEFAULT_WAIT_INTERVAL_MS = 20

/** Starts a receiver and resolves once it accepts connections. */
export const start = async (options: StartOptions = {}): Promise<Receiver> => {
  const receiver = new GrpcReceiver(options)
  await receiver.restart()
  return receiver
}

// ---------------------------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------------------------

interface ReceivedData {
  readonly spans: Array<ReceivedSpan>
  readonly metrics: Array<ReceivedMetric>
  readonly logs: Array<ReceivedLogRecord>
}

/** How one OTLP collector service is decoded, counted and stored. */
interface SignalSpec<Request extends object> {
  readonly signal: Signal
  readonly service: string
  readonly request: Proto.Codec<Request>
  readonly response: Proto.Codec<object>
  readonly counter: keyof Counts
  readonly countItems: (request: Request) => number
  readonly keep: (request: Request, data: ReceivedData) => void
}

// Spread-free so a large request cannot exceed the argument limit of `push(...items)`.
const appendAll = <T>(target: Array<T>, items: ReadonlyArray<T>): void => {
  for (const item of items) target.push(item)
}

const TRACES: SignalSpec<Proto.ExportTraceServiceRequest> = {
  signal: "traces",
  service: "opentelemetry.proto.collector.trace.v1.TraceService",
  request: Proto.ExportTraceServiceRequest,
  response: Proto.ExportTraceServiceResponse,
  counter: "spans",
  countItems: Flatten.countSpans,
  keep: (request, data) => appendAll(data.spans, Flatten.spansOf(request))
}

const METRICS: SignalSpec<Proto.ExportMetricsServiceRequest> = {
  signal: "metrics",
  service: "opentelemetry.proto.collector.metrics.v1.MetricsService",
  request: Proto.ExportMetricsServiceRequest,
  response: Proto.ExportMetricsServiceResponse,
  counter: "metricPoints",
  countItems: Flatten.countDataPoints,
  keep: (request, data) => appendAll(data.metrics, Flatten.metricsOf(request))
}

const LOGS: SignalSpec<Proto.ExportLogsServiceRequest> = {
  signal: "logs",
  service: "opentelemetry.proto.collector.logs.v1.LogsService",
  request: Proto.ExportLogsServiceRequest,
  response: Proto.ExportLogsServiceResponse,
  counter: "logRecords",
  countItems: Flatten.countLogRecords,
  keep: (request, data) => appendAll(data.logs, Flatten.logRecordsOf(request))
}

/** The unary `Export` method of a collector service, (de)serialized by the OTLP codecs. */
const exportMethod = <Request extends object>(spec: SignalSpec<Request>): grpc.ServiceDefinition => ({
  Export: {
    path: `/${spec.service}/Export`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (request: Request) => Proto.toBuffer(spec.request.encode(request).finish()),
    requestDeserialize: (bytes: Buffer) => spec.request.decode(bytes),
    responseSerialize: (response: object) => Proto.toBuffer(spec.response.encode(response).finish()),
    responseDeserialize: (bytes: Buffer) => spec.response.decode(bytes)
  }
})

const metadataToRecord = (metadata: grpc.Metadata): Record<string, string> =>
  Object.fromEntries(
    Object.entries(metadata.getMap()).map(([key, value]) => [
      key,
      typeof value === "string" ? value : value.toString("base64")
    ])
  )

/** The status of a call the client gave up on before it was answered. */
const abandonedStatus = (call: grpc.ServerUnaryCall<unknown, unknown>): grpc.status =>
  Number(call.getDeadline()) <= Date.now() ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED

const faultResponse = (fault: Fault, code: grpc.status): Partial<grpc.StatusObject> => {
  const message = fault.message ?? `injected fault: ${grpc.status[code]}`
  const metadata = new grpc.Metadata()
  if (fault.retryDelayMs !== undefined) {
    metadata.set(RetryInfo.TRAILER, RetryInfo.encodeStatus(code, message, fault.retryDelayMs))
  }
  return { code, details: message, metadata }
}

const lastMatching = <T>(items: ReadonlyArray<T>, matches: (item: T) => boolean): T | undefined => {
  for (let index = items.length - 1; index >= 0; index--) {
    const item = items[index]!
    if (matches(item)) return item
  }
  return undefined
}

const distinctNames = (items: ReadonlyArray<{ readonly name: string }>): string => {
  const names = [...new Set(items.map((item) => item.name))]
  const shown = names.slice(0, 10).join(", ")
  return names.length > 10 ? `${shown}, …` : shown
}

// ---------------------------------------------------------------------------------------------
// Receiver
// ---------------------------------------------------------------------------------------------

const emptyStats = (): { -readonly [K in keyof Stats]: number } => ({ traces: 0, metrics: 0, logs: 0, failed: 0 })
const emptyCounts = (): { -readonly [K in keyof Counts]: number } => ({ spans: 0, metricPoints: 0, logRecords: 0 })
const emptyData = (): ReceivedData => ({ spans: [], metrics: [], logs: [] })

class GrpcReceiver implements Receiver {
  private server: grpc.Server | undefined
  private currentPort: number
  private data = emptyData()
  private requestLog: Array<ReceivedRequest> = []
  private callStats = emptyStats()
  private itemCounts = emptyCounts()
  private fault: { readonly fault: Fault; remaining: number } | undefined
  private readonly delayedCalls = new Set<NodeJS.Timeout>()

  constructor(private readonly options: StartOptions) {
    this.currentPort = options.port ?? 0
  }

  get port(): number {
    return this.currentPort
  }

  get endpoint(): string {
    return `${HOST}:${this.currentPort}`
  }

  get listening(): boolean {
    return this.server !== undefined
  }

  spans(): ReadonlyArray<ReceivedSpan> {
    return [...this.data.spans]
  }

  metrics(): ReadonlyArray<ReceivedMetric> {
    return [...this.data.metrics]
  }

  logs(): ReadonlyArray<ReceivedLogRecord> {
    return [...this.data.logs]
  }

  requests(): ReadonlyArray<ReceivedRequest> {
    return [...this.requestLog]
  }

  stats(): Stats {
    return { ...this.callStats }
  }

  counts(): Counts {
    return { ...this.itemCounts }
  }

  reset(): void {
    this.data = emptyData()
    this.requestLog = []
    this.callStats = emptyStats()
    this.itemCounts = emptyCounts()
    this.fault = undefined
  }

  setFault(fault: Fault | undefined): void {
    this.fault = fault === undefined ? undefined : { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY }
  }

  async waitFor<T>(probe: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = probe()
      if (value) return value
      if (Date.now() >= deadline) {
        const awaited = options.description ?? "the condition"
        throw new Error(`OtlpReceiver: timed out after ${timeoutMs}ms waiting for ${awaited}; ${this.summary()}`)
      }
      await sleep(options.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS)
    }
  }

  waitForSpans(count: number, timeoutMs?: number): Promise<ReadonlyArray<ReceivedSpan>> {
    return this.waitFor(() => this.data.spans.length >= count && this.spans(), {
      timeoutMs,
      description: `${count} span(s)`
    })
  }

  waitForSpan(name: string, timeoutMs?: number): Promise<ReceivedSpan> {
    return this.waitFor(() => this.data.spans.find((span) => span.name === name), {
      timeoutMs,
      description: `span "${name}"`
    })
  }

  waitForMetric(name: string, timeoutMs?: number): Promise<ReceivedMetric> {
    return this.waitFor(() => lastMatching(this.data.metrics, (metric) => metric.name === name), {
      timeoutMs,
      description: `metric "${name}"`
    })
  }

  waitForLogs(count: number, timeoutMs?: number): Promise<ReadonlyArray<ReceivedLogRecord>> {
    return this.waitFor(() => this.data.logs.length >= count && this.logs(), {
      timeoutMs,
      description: `${count} log record(s)`
    })
  }

  async stop(): Promise<void> {
    for (const timer of this.delayedCalls) clearTimeout(timer)
    this.delayedCalls.clear()
    this.server?.forceShutdown()
    this.server = undefined
  }

  async restart(): Promise<void> {
    await this.stop()
    const server = new grpc.Server()
    this.addSignal(server, TRACES)
    this.addSignal(server, METRICS)
    this.addSignal(server, LOGS)
    this.currentPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${HOST}:${this.currentPort}`, this.credentials(), (error, port) =>
        error === null ? resolve(port) : reject(error)
      )
    )
    this.server = server
  }

  private credentials(): grpc.ServerCredentials {
    const { tls } = this.options
    return tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false)
  }

  private addSignal<Request extends object>(server: grpc.Server, spec: SignalSpec<Request>): void {
    const handleExport: grpc.handleUnaryCall<Request, object> = (call, callback) => {
      this.callStats[spec.signal]++
      const fault = this.takeFault(spec.signal)
      if (fault?.delayMs === undefined) return this.answer(spec, fault, call, callback)
      const timer = setTimeout(() => {
        this.delayedCalls.delete(timer)
        this.answer(spec, fault, call, callback)
      }, fault.delayMs)
      this.delayedCalls.add(timer)
    }
    server.addService(exportMethod(spec), { Export: handleExport })
  }

  /** The fault for this call, if one applies, counting it against `times`. */
  private takeFault(signal: Signal): Fault | undefined {
    const active = this.fault
    if (active === undefined || active.remaining <= 0) return undefined
    if (active.fault.signal !== undefined && active.fault.signal !== signal) return undefined
    active.remaining--
    return active.fault
  }

  private answer<Request extends object>(
    spec: SignalSpec<Request>,
    fault: Fault | undefined,
    call: grpc.ServerUnaryCall<Request, object>,
    callback: grpc.sendUnaryData<object>
  ): void {
    const items = spec.countItems(call.request)
    // A call the client abandoned (deadline, cancel) got no data through, as with a real collector.
    const status = call.cancelled ? abandonedStatus(call) : (fault?.code ?? grpc.status.OK)
    if (status === grpc.status.OK) {
      this.itemCounts[spec.counter] += items
      if (this.options.countOnly !== true) spec.keep(call.request, this.data)
      callback(null, {})
    } else {
      this.callStats.failed++
      if (!call.cancelled && fault !== undefined) callback(faultResponse(fault, status))
    }
    if (this.options.countOnly !== true) {
      this.requestLog.push({ signal: spec.signal, metadata: metadataToRecord(call.metadata), items, status })
    }
  }

  private summary(): string {
    const { spans, metricPoints, logRecords } = this.itemCounts
    const { traces, metrics, logs, failed } = this.callStats
    return (
      `received ${spans} span(s) [${distinctNames(this.data.spans)}], ` +
      `${metricPoints} metric point(s) [${distinctNames(this.data.metrics)}], ${logRecords} log record(s) ` +
      `in ${traces + metrics + logs} call(s), ${failed} failed`
    )
  }
}
