/**
 * Scenario 5 (dev ingest): `lingo-obs dev` (receiver, store, viewer server) in this process, fed
 * by the bench's fastest producer (the toolkit in `loop` mode, in its own process, started by the
 * orchestrator once this one prints `listening`).
 *
 * Measures spans/s ingested into the store (from the first to the last batch the store took) and
 * the UI update latency: every `probeEveryMillis` one probe span is exported to the dev receiver
 * over OTLP/gRPC, and the time is taken until a viewer-like client, woken by the server-sent
 * `update` event, gets the probe's trace from `GET /api/traces?traceId=` (what the list does).
 * Probes run throughout, so they see the latency under load and after it. Ends on `finish`.
 */
import { Dev } from "@lingo-obs/dev"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { request } from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import { event, exit, millisSince, now, params, result, waitForCommand } from "../lib/protocol.js"
import { percentiles } from "../lib/stats.js"

interface Params {
  readonly probeEveryMillis: number
  readonly maxSpans: number
}

const p = params<Params>()
const PROBE_TIMEOUT_MS = 10_000

/** Calls `onUpdate` on every server-sent `update` event. */
const listen = (url: string, onUpdate: () => void) =>
  new Promise<() => void>((resolve, reject) => {
    const req = request(url, (response) => {
      let buffer = ""
      response.on("data", (chunk: Buffer) => {
        buffer += chunk.toString()
        let end = buffer.indexOf("\n\n")
        while (end >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          if (frame.startsWith("event: hello")) resolve(() => req.destroy())
          if (frame.startsWith("event: update")) onUpdate()
          end = buffer.indexOf("\n\n")
        }
      })
    })
    req.on("error", reject)
    req.end()
  })

const main = async () => {
  const dev = await Dev.start({ port: 0, grpcPort: 0, httpPort: 0, capacity: { maxSpans: p.maxSpans, maxLogs: 10_000, maxMetricPoints: 50_000 } })

  // The producer's exports carry hundreds of spans, the probes' one: the rate is the producer's,
  // from its first batch's arrival to its last (the first batch's spans arrived at the start).
  let first: { at: bigint; spans: number; cpu: NodeJS.CpuUsage } | undefined
  let last: { at: bigint; cpu: NodeJS.CpuUsage } | undefined
  let bulkSpans = 0
  let batches = 0
  dev.store.subscribe((update) => {
    if (update.spans <= 1) return
    const mark = { at: now(), cpu: process.cpuUsage() }
    first ??= { ...mark, spans: update.spans }
    last = mark
    bulkSpans += update.spans
    batches++
  })

  const waiters = new Set<() => void>()
  const close = await listen(`${dev.url}api/events`, () => {
    for (const wake of waiters) wake()
  })
  const nextUpdate = () => new Promise<void>((resolve) => waiters.add(function wake() {
    waiters.delete(wake)
    resolve()
  }))

  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "probe" }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://${dev.receiver.endpoint}` }))]
  })
  const tracer = provider.getTracer("probe")

  /** One probe: export → update event → the list answers with the probe's trace. */
  const probe = async (): Promise<number | undefined> => {
    const started = now()
    const span = tracer.startSpan("probe")
    const traceId = span.spanContext().traceId
    const woken = nextUpdate()
    span.end()
    let wake = woken
    while (millisSince(started) < PROBE_TIMEOUT_MS) {
      const timedOut = await Promise.race([wake.then(() => false), sleep(PROBE_TIMEOUT_MS).then(() => true)])
      if (timedOut) return undefined
      wake = nextUpdate()
      const listed = (await (await fetch(`${dev.url}api/traces?traceId=${traceId}&limit=1`)).json()) as Array<unknown>
      if (listed.length > 0) return millisSince(started)
    }
    return undefined
  }

  event("listening", { endpoint: dev.receiver.endpoint })
  const latencies: Array<number> = []
  let missed = 0
  let finished = false
  const probing = (async () => {
    while (!finished) {
      const latency = await probe()
      if (latency === undefined) missed++
      else latencies.push(latency)
      await sleep(p.probeEveryMillis)
    }
  })()
  await waitForCommand("finish")
  finished = true
  await probing
  close()
  await provider.shutdown()

  const stats = dev.store.stats()
  const receiverStats = dev.receiver.stats()
  const ingestSeconds = first === undefined || last === undefined ? 0 : Number(last.at - first.at) / 1e9
  const timed = bulkSpans - (first?.spans ?? 0)
  const cpuMicros = first === undefined || last === undefined
    ? 0
    : last.cpu.user + last.cpu.system - first.cpu.user - first.cpu.system
  await dev.stop()
  result({
    /** The producer's spans (the probes' are not counted). */
    spans: bulkSpans,
    batches,
    ingestSeconds,
    spansPerSecond: ingestSeconds > 0 ? timed / ingestSeconds : undefined,
    /** The dev process's CPU (receiver, store, probes, server) per ingested span while ingesting. */
    cpuMicrosPerSpan: timed > 0 ? cpuMicros / timed : undefined,
    failedCalls: receiverStats.failed,
    held: stats.held.spans,
    evicted: stats.evicted.spans,
    probes: latencies.length,
    missedProbes: missed,
    latencyMillis: latencies.length > 0 ? percentiles(latencies) : undefined
  })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
