/**
 * An OTLP receiver on 127.0.0.1 for tests and benchmarks, over OTLP/gRPC and OTLP/HTTP (protobuf
 * and JSON, gzip bodies) at once: a stand-in for the OpenTelemetry Collector that keeps what it
 * receives in a flat, assertable form whichever transport brought it, can fail or slow down calls
 * on demand (gRPC statuses, HTTP statuses with `Retry-After`, partial success), and can go down
 * and come back on the same ports.
 *
 * @example
 * ```ts
 * import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
 *
 * const receiver = await OtlpReceiver.start()
 * // OTLP/gRPC: `http://${receiver.endpoint}`; OTLP/HTTP: `${receiver.httpEndpoint}/v1/traces`
 * const span = await receiver.waitForSpan("checkout")
 * await receiver.stop()
 * ```
 */
import * as grpc from "@grpc/grpc-js"
import * as Http from "node:http"
import type * as Http2 from "node:http2"
import * as Https from "node:https"
import type { AddressInfo } from "node:net"
import { setTimeout as sleep } from "node:timers/promises"
import * as Flatten from "./internal/flatten.js"
import * as LocalOrigin from "./LocalOrigin.js"
import * as OtlpHttp from "./internal/otlpHttp.js"
import * as OtlpJson from "./internal/otlpJson.js"
import * as Proto from "./internal/otlpProto.js"
import * as RetryInfo from "@lingo-obs/otlp/RetryInfo"


// Received data: the records live in Received.ts (shared with the decoders), named here too.
import type {
  Signal,
  Attributes,
  ReceivedScope,
  ReceivedSpanEvent,
  ReceivedSpanLink,
  ReceivedSpan,
  ExponentialBuckets,
  ReceivedDataPoint,
  ReceivedMetric,
  ReceivedLogRecord
} from "./Received.js"
export type {
  Signal,
  Attributes,
  ReceivedScope,
  ReceivedSpanEvent,
  ReceivedSpanLink,
  ReceivedSpan,
  ExponentialBuckets,
  ReceivedDataPoint,
  ReceivedMetric,
  ReceivedLogRecord
} from "./Received.js"

/** The transport an Export call came over. */
export type Transport = "grpc" | "http"

/** One Export call as it arrived, whatever its outcome. */
export interface ReceivedRequest {
  readonly signal: Signal
  readonly transport: Transport
  /** The gRPC metadata or the HTTP headers (names lower-case); binary (`-bin`) values in base64. */
  readonly metadata: Readonly<Record<string, string>>
  /** Spans, metric data points or log records in the request. */
  readonly items: number
  /** The gRPC status code the call ended with (for HTTP, the code the answer stands for). */
  readonly status: grpc.status
  /** OTLP/HTTP only: the request's encoding and the HTTP status answered. */
  readonly encoding?: OtlpHttp.Encoding
  readonly httpStatus?: number
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

/**
 * A fault applies to both transports. Over OTLP/HTTP the gRPC `code` is answered with the HTTP
 * status Google's mapping gives it (UNAVAILABLE 503, RESOURCE_EXHAUSTED 429, …) unless
 * `httpStatus` says otherwise; `httpStatus` alone fails gRPC calls with gRPC's mapping of it
 * (429/502/503/504 UNAVAILABLE, 401 UNAUTHENTICATED, …).
 */
export interface Fault {
  /** Only calls of this signal; all signals when absent. */
  readonly signal?: Signal
  /** Only calls over this transport; both when absent. */
  readonly transport?: Transport
  /** The status to fail with; absent or OK means succeed (after `delayMs`). */
  readonly code?: grpc.status
  /** The HTTP status to fail OTLP/HTTP calls with. */
  readonly httpStatus?: number
  readonly message?: string
  /** Apply to the first N matching calls only; forever when absent. */
  readonly times?: number
  /**
   * The delay to ask for: a `google.rpc.RetryInfo` in the `grpc-status-details-bin` trailer over
   * gRPC; over HTTP `Retry-After` in whole seconds (rounded up) and the RetryInfo in the body.
   */
  readonly retryDelayMs?: number
  /** OTLP/HTTP: the raw `Retry-After` value (e.g. an HTTP-date), instead of one made from `retryDelayMs`. */
  readonly retryAfter?: string
  /** Answer only after this delay, e.g. to outlast the exporter's timeout. */
  readonly delayMs?: number
  /**
   * Answer OK with a partial success claiming this many items (spans, data points, log records)
   * rejected, with `rejectedMessage` (or `message`) as its error message; the data is kept as received.
   */
  readonly rejected?: number
  readonly rejectedMessage?: string
  /**
   * End the call (after `delayMs`) by dropping its connection without an answer, as a collector
   * crashing or a proxy cutting the connection does. Over gRPC every call in flight on that
   * connection ends with a reset (`INTERNAL: Received RST_STREAM with code 0`); over HTTP the
   * request fails with a socket error.
   */
  readonly reset?: boolean
}

export interface StartOptions {
  /** The OTLP/gRPC port; 0 (the default) picks a free port. */
  readonly port?: number
  /** The OTLP/HTTP port; 0 (the default) picks a free port. */
  readonly httpPort?: number
  /** Only loopback is supported, so the receiver is never reachable from outside. */
  readonly host?: "127.0.0.1"
  /** Serve TLS instead of plaintext (HTTPS on the HTTP port). */
  /** Serve TLS; with `clientCa`, a client certificate signed by it is required (mutual TLS). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly clientCa?: Buffer }
  /** Keep only counts, not the data nor the request log, so memory stays flat in benchmarks. */
  readonly countOnly?: boolean
  /**
   * Handed the items of every accepted call, decoded once, as they arrive: the ingestion hook of a
   * store built on the receiver (`lingo-obs dev`). Combine with `countOnly` so they are not kept twice.
   */
  readonly onReceive?: Sink
  /**
   * The largest request body, both as sent and once inflated (default 4 MiB, gRPC's default message
   * limit): OTLP/HTTP answers 413 beyond it, OTLP/gRPC `RESOURCE_EXHAUSTED`.
   */
  readonly maxBodyBytes?: number
  /** Spans, data points or log records taken in one request (default 100 000): 413 / `RESOURCE_EXHAUSTED` beyond. */
  readonly maxItemsPerRequest?: number
  /** OTLP/HTTP: a client must send a whole request within this time (default 30 s), or its connection is cut. */
  readonly requestTimeoutMs?: number
  /**
   * OTLP/HTTP: answer only requests whose `Host` names loopback or one of these names, and refuse
   * cross-origin browser requests (see `LocalOrigin`); every request is answered when absent.
   */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Ends the 403 message of a refused Host or Origin, e.g. the flag that allows another name. */
  readonly allowedHostsHint?: string
}

/** Where accepted items go besides the receiver's own lists; each handler is optional. */
export interface Sink {
  readonly traces?: (spans: ReadonlyArray<ReceivedSpan>) => void
  readonly metrics?: (metrics: ReadonlyArray<ReceivedMetric>) => void
  readonly logs?: (records: ReadonlyArray<ReceivedLogRecord>) => void
}

export interface WaitOptions {
  readonly timeoutMs?: number | undefined
  readonly intervalMs?: number | undefined
  /** What is awaited, for the timeout message. */
  readonly description?: string | undefined
}

export interface Receiver {
  /** The OTLP/gRPC port. */
  readonly port: number
  /** `127.0.0.1:<port>` of OTLP/gRPC; exporters take `http://` + endpoint (or `https://` with TLS). */
  readonly endpoint: string
  readonly httpPort: number
  /** `http://127.0.0.1:<httpPort>` (`https://` with TLS), the base of `/v1/traces`, `/v1/metrics`, `/v1/logs`. */
  readonly httpEndpoint: string
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
  /** Closes both ports at once, dropping open connections and pending delayed calls; idempotent. */
  stop(): Promise<void>
  /** Listens again on the same ports (stopping first if needed), keeping what was received. */
  restart(): Promise<void>
}

const HOST = "127.0.0.1"
const DEFAULT_WAIT_TIMEOUT_MS = 10_000
const DEFAULT_WAIT_INTERVAL_MS = 20
/** The largest request body accepted (sent and after gunzip) by default: gRPC's default message limit. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** Spans, data points or log records in one request: far above any SDK's batch (512) or a collector's (8192). */
export const DEFAULT_MAX_ITEMS_PER_REQUEST = 100_000

/** Starts a receiver and resolves once both transports accept connections. */
export const start = async (options: StartOptions = {}): Promise<Receiver> => {
  const receiver = new LocalReceiver(options)
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
interface SignalSpec<Request extends object, Item> {
  readonly signal: Signal
  readonly service: string
  /** The OTLP/HTTP path. */
  readonly path: string
  readonly request: Proto.Codec<Request>
  readonly response: Proto.Codec<object>
  readonly counter: keyof Counts
  /** The partial success field naming the rejected items. */
  readonly rejectedField: string
  readonly countItems: (request: Request) => number
  /** Where the items sit in the encoded request (field numbers per level) and in its OTLP/JSON form. */
  readonly wirePath: ReadonlyArray<ReadonlySet<number>>
  readonly jsonPath: ReadonlyArray<ReadonlyArray<string>>
  readonly flatten: (request: Request) => Array<Item>
  readonly kept: (data: ReceivedData) => Array<Item>
  readonly sink: (sink: Sink) => ((items: ReadonlyArray<Item>) => void) | undefined
}

// Spread-free so a large request cannot exceed the argument limit of `push(...items)`.
const appendAll = <T>(target: Array<T>, items: ReadonlyArray<T>): void => {
  for (const item of items) target.push(item)
}

const TRACES: SignalSpec<Proto.ExportTraceServiceRequest, ReceivedSpan> = {
  signal: "traces",
  path: "/v1/traces",
  service: "opentelemetry.proto.collector.trace.v1.TraceService",
  request: Proto.ExportTraceServiceRequest,
  response: Proto.ExportTraceServiceResponse,
  counter: "spans",
  rejectedField: "rejectedSpans",
  countItems: Flatten.countSpans,
  wirePath: [new Set([1]), new Set([2]), new Set([2])],
  jsonPath: [["resourceSpans"], ["scopeSpans"], ["spans"]],
  flatten: Flatten.spansOf,
  kept: (data) => data.spans,
  sink: (sink) => sink.traces
}

const METRICS: SignalSpec<Proto.ExportMetricsServiceRequest, ReceivedMetric> = {
  signal: "metrics",
  path: "/v1/metrics",
  service: "opentelemetry.proto.collector.metrics.v1.MetricsService",
  request: Proto.ExportMetricsServiceRequest,
  response: Proto.ExportMetricsServiceResponse,
  counter: "metricPoints",
  rejectedField: "rejectedDataPoints",
  countItems: Flatten.countDataPoints,
  // Metric.gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11; data_points 1 in each.
  wirePath: [new Set([1]), new Set([2]), new Set([2]), new Set([5, 7, 9, 10, 11]), new Set([1])],
  jsonPath: [["resourceMetrics"], ["scopeMetrics"], ["metrics"], ["gauge", "sum", "histogram", "exponentialHistogram", "summary"], ["dataPoints"]],
  flatten: Flatten.metricsOf,
  kept: (data) => data.metrics,
  sink: (sink) => sink.metrics
}

const LOGS: SignalSpec<Proto.ExportLogsServiceRequest, ReceivedLogRecord> = {
  signal: "logs",
  path: "/v1/logs",
  service: "opentelemetry.proto.collector.logs.v1.LogsService",
  request: Proto.ExportLogsServiceRequest,
  response: Proto.ExportLogsServiceResponse,
  counter: "logRecords",
  rejectedField: "rejectedLogRecords",
  countItems: Flatten.countLogRecords,
  wirePath: [new Set([1]), new Set([2]), new Set([2])],
  jsonPath: [["resourceLogs"], ["scopeLogs"], ["logRecords"]],
  flatten: Flatten.logRecordsOf,
  kept: (data) => data.logs,
  sink: (sink) => sink.logs
}

/** A gRPC request as deserialized: the message, or why it is not one. */
type Decoded<Request> =
  | { readonly request: Request; readonly error?: undefined }
  | { readonly request?: undefined; readonly error: string; readonly tooLarge: boolean }

/** Refuses a request with more items than `maxItems` (413 / RESOURCE_EXHAUSTED), before it is decoded. */
const checkItemCount = (count: number, maxItems: number): void => {
  if (count > maxItems) {
    throw new OtlpHttp.BadRequest(413, `the request carries ${count} items; at most ${maxItems} are taken in one request`)
  }
}

/** What to tell a client whose request did not decode; a stack overflow means nesting too deep for the decoder. */
const decodeFailure = (error: unknown): string =>
  error instanceof RangeError && /call stack/i.test(error.message)
    ? "the request nests messages too deeply to decode"
    : error instanceof Error ? error.message : String(error)

/** The unary `Export` method of a collector service, (de)serialized by the OTLP codecs. */
const exportMethod = <Request extends object>(
  spec: Pick<SignalSpec<Request, never>, "service" | "request" | "response" | "wirePath">,
  maxItems: number
): grpc.ServiceDefinition => ({
  Export: {
    path: `/${spec.service}/Export`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (request: Decoded<Request>) => Proto.toBuffer(spec.request.encode(request.request ?? {})),
    // A message that does not decode reaches the handler as such, to be answered INVALID_ARGUMENT
    // (grpc-js would answer INTERNAL for a throwing deserializer).
    requestDeserialize: (bytes: Buffer): Decoded<Request> => {
      try {
        checkItemCount(Proto.countOnWire(bytes, spec.wirePath), maxItems)
        return { request: spec.request.decode(bytes) }
      } catch (error) {
        return { error: decodeFailure(error), tooLarge: error instanceof OtlpHttp.BadRequest && error.status === 413 }
      }
    },
    responseSerialize: (response: object) => Proto.toBuffer(spec.response.encode(response)),
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

/** gRPC's mapping of an HTTP status (doc/http-grpc-status-mapping.md in grpc/grpc). */
const grpcCodeOfHttp = (status: number): grpc.status => {
  if (status >= 200 && status < 300) return grpc.status.OK
  if (status === 400) return grpc.status.INTERNAL
  if (status === 401) return grpc.status.UNAUTHENTICATED
  if (status === 403) return grpc.status.PERMISSION_DENIED
  if (status === 404) return grpc.status.UNIMPLEMENTED
  if (status === 429 || status === 502 || status === 503 || status === 504) return grpc.status.UNAVAILABLE
  return grpc.status.UNKNOWN
}

/** The gRPC code a fault fails a call with; OK when it only delays or reports a partial success. */
const faultCode = (fault: Fault | undefined): grpc.status =>
  fault?.code ?? (fault?.httpStatus === undefined ? grpc.status.OK : grpcCodeOfHttp(fault.httpStatus))

const faultMessage = (fault: Fault, code: grpc.status): string => fault.message ?? `injected fault: ${grpc.status[code]}`

const faultResponse = (fault: Fault, code: grpc.status): Partial<grpc.StatusObject> => {
  const message = faultMessage(fault, code)
  const metadata = new grpc.Metadata()
  if (fault.retryDelayMs !== undefined) {
    metadata.set(RetryInfo.TRAILER, RetryInfo.encodeStatus(code, message, fault.retryDelayMs))
  }
  return { code, details: message, metadata }
}

/** The Export response: empty, or the fault's partial success. */
const exportResponse = (spec: { readonly rejectedField: string }, fault: Fault | undefined): object =>
  fault?.rejected === undefined && fault?.rejectedMessage === undefined
    ? {}
    : {
      partialSuccess: {
        [spec.rejectedField]: fault.rejected ?? 0,
        errorMessage: fault.rejectedMessage ?? fault.message ?? "injected partial success"
      }
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

const HTTP_SIGNALS: ReadonlyMap<string, SignalSpec<object, unknown>> = new Map(
  [TRACES, METRICS, LOGS].map((spec) => [spec.path, spec as unknown as SignalSpec<object, unknown>])
)

/** The HTTP status of an OTLP/HTTP answer: the fault's own, or Google's mapping of the gRPC code. */
const httpStatus = (code: grpc.status, fault: Fault | undefined): number =>
  code === grpc.status.OK ? 200 : fault?.httpStatus ?? OtlpHttp.httpStatusOf(code)

const plainAnswer = (
  response: Http.ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {}
): void => {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers })
  response.end(message)
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** The answer to a request the receiver itself failed on: 500 while nothing was sent, else the connection is cut. */
const failedAnswer = (response: Http.ServerResponse, error: unknown): void => {
  if (response.headersSent) return void response.destroy()
  plainAnswer(response, 500, `the receiver failed: ${describe(error)}`)
}

/** A failed OTLP/HTTP call: the status, `Retry-After` when given, a `google.rpc.Status` body in the request's encoding. */
const statusAnswer = (
  response: Http.ServerResponse,
  encoding: OtlpHttp.Encoding,
  httpStatus: number,
  code: grpc.status,
  message: string,
  retryDelayMillis?: number,
  retryAfter?: string
): void => {
  const body = encoding === "json"
    ? OtlpJson.encodeStatus(code, message, retryDelayMillis)
    : Proto.toBuffer(OtlpHttp.encodeStatus(code, message, retryDelayMillis))
  response.writeHead(httpStatus, {
    "content-type": encoding === "json" ? OtlpHttp.JSON_TYPE : OtlpHttp.PROTOBUF,
    ...(retryAfter === undefined ? {} : { "retry-after": retryAfter })
  })
  response.end(body)
}

// ---------------------------------------------------------------------------------------------
// Receiver
// ---------------------------------------------------------------------------------------------

const emptyStats = (): { -readonly [K in keyof Stats]: number } => ({ traces: 0, metrics: 0, logs: 0, failed: 0 })
const emptyCounts = (): { -readonly [K in keyof Counts]: number } => ({ spans: 0, metricPoints: 0, logRecords: 0 })
const emptyData = (): ReceivedData => ({ spans: [], metrics: [], logs: [] })

/** What the shared ingestion needs to know about one call, whichever transport brought it. */
interface CallContext {
  readonly transport: Transport
  readonly metadata: Record<string, string>
  /** The status of a call its client gave up on before it was answered; `undefined` while it waits. */
  readonly abandoned: () => grpc.status | undefined
  readonly encoding?: OtlpHttp.Encoding
  /** OTLP/HTTP: the HTTP status answered for a call's status and fault. */
  readonly httpStatus?: (code: grpc.status, fault: Fault | undefined) => number
}

class LocalReceiver implements Receiver {
  private server: grpc.Server | undefined
  private httpServer: Http.Server | undefined
  private currentPort: number
  private currentHttpPort: number
  private data = emptyData()
  private requestLog: Array<ReceivedRequest> = []
  private callStats = emptyStats()
  private itemCounts = emptyCounts()
  private fault: { readonly fault: Fault; remaining: number } | undefined
  private readonly delayedCalls = new Set<NodeJS.Timeout>()
  private readonly allowedHosts: ReadonlySet<string> | undefined

  constructor(private readonly options: StartOptions) {
    this.currentPort = options.port ?? 0
    this.currentHttpPort = options.httpPort ?? 0
    this.allowedHosts = options.allowedHosts === undefined ? undefined : LocalOrigin.allowedHosts(options.allowedHosts)
  }

  get port(): number {
    return this.currentPort
  }

  get endpoint(): string {
    return `${HOST}:${this.currentPort}`
  }

  get httpPort(): number {
    return this.currentHttpPort
  }

  get httpEndpoint(): string {
    return `${this.options.tls === undefined ? "http" : "https"}://${HOST}:${this.currentHttpPort}`
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
    const httpServer = this.httpServer
    this.httpServer = undefined
    if (httpServer !== undefined) {
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()))
      httpServer.closeAllConnections()
      await closed
    }
  }

  async restart(): Promise<void> {
    await this.stop()
    const maxBodyBytes = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    // grpc-js applies the limit to messages as received and once decompressed. No Host check is
    // needed on gRPC: it listens on 127.0.0.1 only, and browsers cannot speak gRPC (HTTP/2 without
    // TLS, trailers), so a web page cannot reach it through DNS rebinding.
    const server = new grpc.Server({ "grpc.max_receive_message_length": maxBodyBytes })
    this.addSignal(server, TRACES)
    this.addSignal(server, METRICS)
    this.addSignal(server, LOGS)
    this.currentPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${HOST}:${this.currentPort}`, this.credentials(), (error, port) =>
        error === null ? resolve(port) : reject(error)
      )
    )
    this.server = server
    const { tls } = this.options
    const handler = (request: Http.IncomingMessage, response: Http.ServerResponse) => this.handleHttp(request, response)
    const requestTimeout = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    // A client that sends part of a request and stalls is cut off instead of pinning its buffers.
    const limits: Http.ServerOptions = {
      requestTimeout,
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.min(1_000, requestTimeout)
    }
    const httpServer = tls === undefined ? Http.createServer(limits, handler) : Https.createServer(
      {
        ...limits,
        cert: tls.cert,
        key: tls.key,
        ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true })
      },
      handler
    )
    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject)
      httpServer.listen(this.currentHttpPort, HOST, () => {
        httpServer.off("error", reject)
        resolve()
      })
    })
    this.currentHttpPort = (httpServer.address() as AddressInfo).port
    this.httpServer = httpServer
  }

  private credentials(): grpc.ServerCredentials {
    const { tls } = this.options
    return tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(
        tls.clientCa ?? null,
        [{ cert_chain: tls.cert, private_key: tls.key }],
        tls.clientCa !== undefined
      )
  }

  private addSignal<Request extends object, Item>(server: grpc.Server, spec: SignalSpec<Request, Item>): void {
    const handleExport: grpc.handleUnaryCall<Decoded<Request>, object> = (call, callback) => {
      const context: CallContext = {
        transport: "grpc",
        metadata: metadataToRecord(call.metadata),
        abandoned: () => (call.cancelled ? abandonedStatus(call) : undefined)
      }
      // Decoding (the lazy parts included) and the depth bound run here, so a bad request ends as
      // INVALID_ARGUMENT, never as an exception in grpc-js.
      let request: Request
      let items: Array<Item> | undefined
      try {
        if (call.request.error !== undefined) {
          throw call.request.tooLarge ? new OtlpHttp.BadRequest(413, call.request.error) : new Error(call.request.error)
        }
        request = call.request.request
        items = this.itemsOf(spec, request)
      } catch (error) {
        this.refuse(spec.signal, context)
        const tooLarge = error instanceof OtlpHttp.BadRequest && error.status === 413
        return callback({
          code: tooLarge ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INVALID_ARGUMENT,
          details: `cannot ${tooLarge ? "take" : "decode"} the request: ${decodeFailure(error)}`
        })
      }
      this.receive(spec, context, (fault) => {
        try {
          if (fault?.reset === true && !call.cancelled) return this.dropConnection(spec.signal, call, spec.countItems(request))
          const status = this.ingest(spec, request, items, fault, context)
          if (call.cancelled) return
          if (status === grpc.status.OK) callback(null, exportResponse(spec, fault))
          else if (fault !== undefined) callback(faultResponse(fault, status))
        } catch (error) {
          if (!call.cancelled) callback({ code: grpc.status.INTERNAL, details: `the receiver failed: ${describe(error)}` })
        }
      })
    }
    server.addService(exportMethod(spec, this.options.maxItemsPerRequest ?? DEFAULT_MAX_ITEMS_PER_REQUEST), { Export: handleExport })
  }

  /** The flat items of a decoded request when anything keeps them; throws when the request is not acceptable. */
  private itemsOf<Request extends object, Item>(spec: SignalSpec<Request, Item>, request: Request): Array<Item> | undefined {
    const sink = this.options.onReceive === undefined ? undefined : spec.sink(this.options.onReceive)
    return this.options.countOnly !== true || sink !== undefined ? spec.flatten(request) : undefined
  }

  /** Counts and logs a call whose request could not be decoded: it failed, and none of it was received. */
  private refuse(signal: Signal, context: CallContext, httpStatus?: number): void {
    this.callStats[signal]++
    this.callStats.failed++
    if (this.options.countOnly !== true) {
      this.requestLog.push({
        signal,
        transport: context.transport,
        metadata: context.metadata,
        items: 0,
        status: grpc.status.INVALID_ARGUMENT,
        ...(context.encoding === undefined ? {} : { encoding: context.encoding }),
        ...(httpStatus === undefined ? {} : { httpStatus })
      })
    }
  }

  /** Counts a call on arrival, takes its fault, and answers it (after the fault's delay). */
  private receive(spec: { readonly signal: Signal }, context: CallContext, answer: (fault: Fault | undefined) => void): void {
    this.callStats[spec.signal]++
    const fault = this.takeFault(spec.signal, context.transport)
    if (fault?.delayMs === undefined) return answer(fault)
    const timer = setTimeout(() => {
      this.delayedCalls.delete(timer)
      answer(fault)
    }, fault.delayMs)
    this.delayedCalls.add(timer)
  }

  /**
   * The one path from a decoded Export request to the store, for both transports: decides the
   * call's status (a call its client abandoned got no data through, as with a real collector),
   * keeps the items of an accepted call, and logs the request.
   */
  private ingest<Request extends object, Item>(
    spec: SignalSpec<Request, Item>,
    request: Request,
    decoded: Array<Item> | undefined,
    fault: Fault | undefined,
    context: CallContext
  ): grpc.status {
    const items = spec.countItems(request)
    const status = context.abandoned() ?? faultCode(fault)
    if (status === grpc.status.OK) {
      this.itemCounts[spec.counter] += items
      this.keep(spec, decoded)
    } else {
      this.callStats.failed++
    }
    if (this.options.countOnly !== true) {
      this.requestLog.push({
        signal: spec.signal,
        transport: context.transport,
        metadata: context.metadata,
        items,
        status,
        ...(context.encoding === undefined ? {} : { encoding: context.encoding }),
        ...(context.httpStatus === undefined ? {} : { httpStatus: context.httpStatus(status, fault) })
      })
    }
    return status
  }

  /** The one entry of every OTLP/HTTP request: whatever fails inside ends as an answer, never as an exception. */
  private handleHttp(request: Http.IncomingMessage, response: Http.ServerResponse): void {
    this.serveHttp(request, response).catch((error: unknown) => failedAnswer(response, error))
  }

  /** OTLP/HTTP: `POST /v1/{traces,metrics,logs}` in protobuf or JSON, gzip or not. */
  private async serveHttp(request: Http.IncomingMessage, response: Http.ServerResponse): Promise<void> {
    if (this.allowedHosts !== undefined) {
      const refused = LocalOrigin.refusal(request.headers, this.allowedHosts, this.options.allowedHostsHint)
      if (refused !== undefined) return plainAnswer(response, 403, refused, { connection: "close" })
    }
    const spec = HTTP_SIGNALS.get(new URL(request.url ?? "/", "http://receiver").pathname)
    if (spec === undefined) return plainAnswer(response, 404, "not an OTLP path: use /v1/traces, /v1/metrics or /v1/logs")
    if (request.method !== "POST") return plainAnswer(response, 405, "OTLP/HTTP takes POST", { allow: "POST" })
    const encoding = OtlpHttp.encodingOf(request.headers["content-type"])
    if (encoding === undefined) {
      return plainAnswer(response, 415, `unsupported Content-Type; use ${OtlpHttp.PROTOBUF} or ${OtlpHttp.JSON_TYPE}`)
    }
    let abandoned = false
    response.once("close", () => (abandoned = !response.writableFinished))
    const context: CallContext = {
      transport: "http",
      metadata: OtlpHttp.headersOf(request),
      encoding,
      abandoned: () => (abandoned ? grpc.status.CANCELLED : undefined),
      httpStatus
    }
    let decoded: object
    let items: Array<unknown> | undefined
    try {
      const body = await OtlpHttp.readBody(request, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)
      const maxItems = this.options.maxItemsPerRequest ?? DEFAULT_MAX_ITEMS_PER_REQUEST
      decoded = encoding === "json"
        ? OtlpJson.decodeRequest(spec.request, body, (parsed) => checkItemCount(OtlpJson.countAt(parsed, spec.jsonPath), maxItems))
        : (checkItemCount(Proto.countOnWire(body, spec.wirePath), maxItems), spec.request.decode(body))
      // Lazily decoded parts (the logs' embedded messages) and the depth bound are checked here too.
      items = this.itemsOf(spec, decoded)
    } catch (error) {
      const status = error instanceof OtlpHttp.BadRequest ? error.status : 400
      this.refuse(spec.signal, context, status)
      // An oversized body may still be arriving: answer, then close rather than read the rest.
      if (status === 413) response.setHeader("connection", "close")
      const tooLarge = status === 413
      return statusAnswer(
        response,
        encoding,
        status,
        tooLarge ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INVALID_ARGUMENT,
        `cannot ${tooLarge ? "take" : "decode"} the request: ${decodeFailure(error)}`
      )
    }
    this.receive(spec, context, (fault) => {
      try {
        if (fault?.reset === true && !abandoned) return this.dropHttpConnection(spec.signal, request, context, spec.countItems(decoded))
        const status = this.ingest(spec, decoded, items, fault, context)
        if (abandoned) return
        if (status === grpc.status.OK) {
          const body = encoding === "json"
            ? OtlpJson.encodeResponse(exportResponse(spec, fault))
            : Proto.toBuffer(spec.response.encode(exportResponse(spec, fault)))
          response.writeHead(200, { "content-type": encoding === "json" ? OtlpHttp.JSON_TYPE : OtlpHttp.PROTOBUF })
          response.end(body)
          return
        }
        const retryAfter = fault?.retryAfter ??
          (fault?.retryDelayMs === undefined ? undefined : OtlpHttp.retryAfterSeconds(fault.retryDelayMs))
        statusAnswer(
          response,
          encoding,
          httpStatus(status, fault),
          status,
          fault === undefined ? grpc.status[status] ?? "failed" : faultMessage(fault, status),
          fault?.retryDelayMs,
          retryAfter
        )
      } catch (error) {
        failedAnswer(response, error)
      }
    })
  }

  /** The fault for this call, if one applies, counting it against `times`. */
  private takeFault(signal: Signal, transport: Transport): Fault | undefined {
    const active = this.fault
    if (active === undefined || active.remaining <= 0) return undefined
    if (active.fault.signal !== undefined && active.fault.signal !== signal) return undefined
    if (active.fault.transport !== undefined && active.fault.transport !== transport) return undefined
    active.remaining--
    return active.fault
  }

  /** Destroys the socket an OTLP/HTTP request came on, without an answer. */
  private dropHttpConnection(signal: Signal, request: Http.IncomingMessage, context: CallContext, items: number): void {
    request.socket.destroy()
    this.callStats.failed++
    if (this.options.countOnly !== true) {
      this.requestLog.push({
        signal,
        transport: "http",
        metadata: context.metadata,
        items,
        status: grpc.status.INTERNAL,
        ...(context.encoding === undefined ? {} : { encoding: context.encoding })
      })
    }
  }

  /** Destroys the HTTP/2 session the call came on; no status is sent, so its calls end with a reset. */
  private dropConnection(signal: Signal, call: grpc.ServerUnaryCall<unknown, object>, items: number): void {
    // grpc-js keeps the HTTP/2 stream private; it is the only handle on the connection a handler has.
    const stream = (call as unknown as { call?: { stream?: Http2.ServerHttp2Stream } }).call?.stream
    if (stream === undefined) throw new Error("OtlpReceiver: this grpc-js version hides the call's HTTP/2 stream")
    stream.session?.destroy()
    this.callStats.failed++
    if (this.options.countOnly !== true) {
      this.requestLog.push({
        signal,
        transport: "grpc",
        metadata: metadataToRecord(call.metadata),
        items,
        status: grpc.status.INTERNAL
      })
    }
  }

  /** Hands the decoded items to the receiver's own lists and the sink, when either wants them. */
  private keep<Request extends object, Item>(spec: SignalSpec<Request, Item>, items: Array<Item> | undefined): void {
    if (items === undefined) return
    if (this.options.countOnly !== true) appendAll(spec.kept(this.data), items)
    const sink = this.options.onReceive === undefined ? undefined : spec.sink(this.options.onReceive)
    sink?.(items)
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
