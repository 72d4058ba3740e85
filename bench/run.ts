/**
 * `pnpm bench [effect3|effect4] [--quick] [--runs N] [--profile] [scenario...]`: runs the
 * benchmarks of both lines against their peers (the Effect 3 line's here, the Effect 4 line's in
 * lines/effect4.ts, on Node 24), every variant in a fresh child process, variants interleaved
 * across runs, with one OTLP receiver (gRPC and HTTP) in its own process; prints a table of
 * medians, spreads and ratios with the targets, and writes bench/results.json.
 *
 * Effect 3 scenarios (filter by id or name): 1 `span-cost`, 1b `sustained`, 2 `http`,
 * 3 `collector-down`, 4 `startup` (startup and shutdown), 5 `dev-ingest` (lingo-obs dev under the
 * fastest producer); Effect 4: 1 `span-cost`, 2 `http`, 3 `collector-down` (8 s and 120 s
 * outages), 4 `startup`. `--profile` writes a CPU profile of every variant process to
 * bench/profiles/ and prints a summary of each (self time by owner, top functions).
 */
import { Config } from "@lingo-obs/observability"
import * as Duration from "effect/Duration"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Effect4Line from "./lines/effect4.js"
import { type ChildResult, libPath, ROOT, runChild, scenarioPath } from "./lib/child.js"
import { resolveNode24 } from "./lib/node24.js"
import { filters, lineSelected, quick, runs, scenarioSelected, unknownFilters } from "./lib/options.js"
import { Receiver, type ReceiverStats } from "./lib/receiver.js"
import { addRow, checkChild, field, fmt, interleave, keep, log, problems, profileDir, ratioOf, raw, type Row, rows, summarizeProfiles, table, windowOf } from "./lib/record.js"
import { slope } from "./lib/stats.js"

const SCENARIOS = [
  { id: "1", name: "span-cost" },
  { id: "1b", name: "sustained" },
  { id: "2", name: "http" },
  { id: "3", name: "collector-down" },
  { id: "4", name: "startup" },
  { id: "5", name: "dev-ingest" }
] as const
type ScenarioId = (typeof SCENARIOS)[number]["id"]
const selected = (id: ScenarioId) => lineSelected("effect3") && scenarioSelected(SCENARIOS.find((s) => s.id === id)!)

const unknown = unknownFilters([...(lineSelected("effect3") ? SCENARIOS : []), ...(lineSelected("effect4") ? Effect4Line.SCENARIOS : [])])
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(", ")}; choose among effect3, effect4 and ${SCENARIOS.map((s) => `${s.id} (${s.name})`).join(", ")}`)
  process.exit(2)
}
const effect4Selected = lineSelected("effect4") && Effect4Line.SCENARIOS.some(scenarioSelected)

/**
 * The toolkit's tracing defaults, read from its config rather than copied, and handed to the SDK's
 * batch processor wherever a peer runs "with the same batch settings".
 */
const TOOLKIT_TRACING = Config.defaults.tracing
const TOOLKIT_BATCH = {
  maxQueueSize: TOOLKIT_TRACING.maxQueueSize,
  maxExportBatchSize: TOOLKIT_TRACING.maxExportBatchSize,
  scheduledDelayMillis: Duration.toMillis(TOOLKIT_TRACING.batchTimeout),
  exportTimeoutMillis: Duration.toMillis(TOOLKIT_TRACING.exportTimeout)
}
const QUEUE_CAPACITY = TOOLKIT_TRACING.maxQueueSize
const DOWN_RATE = 5_000
const DOWN_STOP_AFTER = 1_000

const settings = {
  spanCost: { spans: quick ? 20_000 : 100_000, warmupSpans: 2_000, runs: runs(5, 1) },
  sustained: { perTick: 200, tickMillis: 10, durationMillis: quick ? 1_000 : 5_000, burst: 10_000, idleMillis: 1_000, runs: runs(5, 1) },
  http: { connections: 50, warmupMillis: quick ? 500 : 1_000, durationMillis: quick ? 2_000 : 5_000, runs: runs(5, 1) },
  collectorDown: {
    perTick: 50,
    tickMillis: 10,
    // 5k spans/s fill the default queue (capacity / 5k seconds after the collector stops); the
    // full run goes on 15 s past that (at most 60 s), enough to see whether the RSS flattens.
    durationMillis: quick ? 10_000 : Math.min(60_000, DOWN_STOP_AFTER + (QUEUE_CAPACITY / DOWN_RATE) * 1000 + 15_000),
    stopAfterMillis: DOWN_STOP_AFTER,
    // The restart run: an outage of 8 s (2 s quick), i.e. 40k spans, inside the queue and the
    // 1 min retry window.
    restartDurationMillis: quick ? 6_000 : 20_000,
    restartAfterMillis: quick ? 3_000 : 9_000,
    runs: runs(3, 1)
  },
  startup: { runs: runs(5, 1), flushRuns: runs(5, 1) },
  devIngest: { spans: quick ? 20_000 : 100_000, probeEveryMillis: 100, maxSpans: 10_000, runs: runs(3, 1) }
}

// -------------------------------------------------------------------------------------------
// Scenario 1: span cost
// -------------------------------------------------------------------------------------------

interface SpanCostResult {
  readonly created: number
  readonly cpuNsPerCreatedSpan?: number
  readonly nsPerSpan?: number
  readonly cpuNsPerSpan?: number
  readonly totalNsPerSpan?: number
  readonly totalCpuNsPerSpan?: number
  readonly closeMillis: number
  readonly loopMillis?: number
  readonly flushError?: string
  readonly achievedPerSecond?: number
  readonly tickMillis?: { p50: number; p99: number }
  readonly selfMetrics?: Record<string, number>
}

type Delivered<R> = R & { readonly delivered: number }

const runVariant = async <R>(
  receiver: Receiver,
  label: string,
  script: string,
  params: object
): Promise<Delivered<R> | undefined> => {
  await receiver.reset()
  const dir = profileDir(label)
  const child = await runChild<R>({ script, params, cpuProfileDir: dir, timeoutMillis: 300_000 })
  const stats = await receiver.stats()
  summarizeProfiles(dir, label, windowOf(child.events))
  if (!checkChild(label, child)) return undefined
  return { ...child.result!, delivered: stats.spans, wallMillis: child.wallMillis }
}

/**
 * The span cost variants: NodeSdk twice, once with a queue large enough to hold every span (the
 * toolkit's batch settings), so that it delivers all of them, and once at the SDK's defaults
 * (2,048 queued), which drops what its single export in flight cannot keep up with.
 */
const SPAN_COST_VARIANTS = {
  toolkit: { variant: "toolkit", batch: TOOLKIT_BATCH },
  nodesdk: { variant: "nodesdk", batch: TOOLKIT_BATCH },
  "nodesdk-default": { variant: "nodesdk", batch: "sdk-default" },
  none: { variant: "none", batch: TOOLKIT_BATCH }
} as const
/** One event-loop turn every this many spans: exports run while the loop does, as in a service. */
const SPAN_COST_YIELD_EVERY = 256

const spanCost = async (receiver: Receiver) => {
  const scenario = "1 span cost"
  const { spans, warmupSpans } = settings.spanCost
  log(`\n== ${scenario}: ${spans} spans (depth 2, + ${warmupSpans} warm-up), an event-loop turn every ${SPAN_COST_YIELD_EVERY} spans, ${settings.spanCost.runs} runs`)
  const variants = Object.keys(SPAN_COST_VARIANTS) as Array<keyof typeof SPAN_COST_VARIANTS>
  const results: Record<string, Array<Delivered<SpanCostResult>>> = {}
  await interleave(variants, settings.spanCost.runs, async (key, index) => {
    const { variant, batch } = SPAN_COST_VARIANTS[key]
    const result = await runVariant<SpanCostResult>(receiver, `span-cost-${key}`, scenarioPath("spanCost"), {
      variant,
      endpoint: receiver.endpoint,
      mode: "loop",
      spans,
      warmupSpans,
      yieldEvery: SPAN_COST_YIELD_EVERY,
      perTick: 0,
      tickMillis: 0,
      durationMillis: 0,
      idleMillis: 0,
      batch
    })
    if (result === undefined) return
    ;(results[key] ??= []).push(result)
    keep(scenario, key, result)
    log(`  run ${index + 1} ${key.padEnd(15)} cpu ${fmt(result.cpuNsPerSpan ?? NaN)} ns/span, with close ${fmt(result.totalCpuNsPerSpan ?? NaN)}, wall ${
      fmt(result.nsPerSpan ?? NaN)
    }, close ${fmt(result.closeMillis)} ms, delivered ${result.delivered}/${result.created}${result.flushError ? ` (flush: ${result.flushError})` : ""}`)
  })
  const rowsOf = (metric: string, unit: string, pick: (r: Delivered<SpanCostResult>) => number | undefined) =>
    Object.fromEntries(variants.map((variant) => [variant, addRow({ scenario, variant, metric, unit, values: field(results[variant] ?? [], pick) })]))
  const totalCpu = rowsOf("CPU per span, export included", "ns", (r) => r.totalCpuNsPerSpan)
  const cpu = rowsOf("loop CPU per span", "ns", (r) => r.cpuNsPerSpan)
  const wall = rowsOf("loop wall per span", "ns", (r) => r.nsPerSpan)
  const delivered = rowsOf("delivered / created", "", (r) => r.delivered / r.created)
  delivered["none"]!.note = "no tracer layer: nothing is exported (Effect's own tracer only)"
  for (const variant of variants) {
    for (const table of [wall, cpu, totalCpu]) ratioOf(table[variant]!, table["nodesdk"], "nodesdk")
  }
  const toolkitTotal = totalCpu["toolkit"]!
  toolkitTotal.target = "≤ 0.6 × nodesdk"
  toolkitTotal.met = toolkitTotal.ratio !== undefined && toolkitTotal.ratio.value <= 0.6 &&
    delivered["toolkit"]!.summary.min === 1 && delivered["nodesdk"]!.summary.min === 1
  toolkitTotal.note = "CPU of the loop and the scope close (all export work); a miss if either side lost spans"
  // Effect's own span cost (the floor, no tracer layer) is in both: what each tracer adds above it.
  const floor = totalCpu["none"]!.summary.median
  const above = (variant: string) => totalCpu[variant]!.summary.median - floor
  const toolkitAbove = addRow({ scenario, variant: "toolkit", metric: "CPU per span above the floor", unit: "ns", values: [above("toolkit")] })
  const nodesdkAbove = addRow({ scenario, variant: "nodesdk", metric: "CPU per span above the floor", unit: "ns", values: [above("nodesdk")] })
  ratioOf(toolkitAbove, nodesdkAbove, "nodesdk")
  toolkitAbove.note = "median − median of `none`; a ratio of medians, no spread"
  for (const variant of ["toolkit", "nodesdk"] as const) {
    delivered[variant]!.target = "= 1 (collector up)"
    delivered[variant]!.met = delivered[variant]!.summary.min === 1
  }
  for (const variant of ["nodesdk", "nodesdk-default"] as const) {
    const errors = (results[variant] ?? []).map((r) => r.flushError).filter((e) => e !== undefined)
    if (errors.length > 0) delivered[variant]!.note = `flush failed in ${errors.length} run(s): ${errors[0]}`
  }
}

// -------------------------------------------------------------------------------------------
// Scenario 1b: sustained 20k spans/s and a 10k burst, default settings
// -------------------------------------------------------------------------------------------

const sustained = async (receiver: Receiver) => {
  const scenario = "1b sustained/burst"
  const s = settings.sustained
  const rate = (s.perTick / s.tickMillis) * 1000
  log(`\n== ${scenario}: ${s.perTick} spans every ${s.tickMillis} ms for ${s.durationMillis / 1000} s (${rate}/s), and a ${s.burst}-span burst; default settings; ${s.runs} runs`)
  // Each at its own defaults (the toolkit's queue, the SDK's 2,048), plus NodeSdk at the toolkit's
  // batch settings for the paced run, whose CPU per span (export included) compares the two.
  const runsOf = [
    { key: "toolkit paced", variant: "toolkit", mode: "paced", batch: "sdk-default" },
    { key: "toolkit burst", variant: "toolkit", mode: "burst", batch: "sdk-default" },
    { key: "nodesdk paced", variant: "nodesdk", mode: "paced", batch: "sdk-default" },
    { key: "nodesdk burst", variant: "nodesdk", mode: "burst", batch: "sdk-default" },
    { key: "nodesdk-same paced", variant: "nodesdk", mode: "paced", batch: TOOLKIT_BATCH }
  ] as const
  const results: Record<string, Array<Delivered<SpanCostResult>>> = {}
  await interleave(runsOf.map((r) => r.key), s.runs, async (key, index) => {
    const { variant, mode, batch } = runsOf.find((r) => r.key === key)!
    const result = await runVariant<SpanCostResult>(receiver, `sustained-${key.replace(" ", "-")}`, scenarioPath("spanCost"), {
      variant,
      endpoint: receiver.endpoint,
      mode,
      spans: s.burst,
      warmupSpans: 0,
      perTick: s.perTick,
      tickMillis: s.tickMillis,
      durationMillis: s.durationMillis,
      idleMillis: s.idleMillis,
      batch
    })
    if (result === undefined) return
    ;(results[key] ??= []).push(result)
    keep(scenario, key, result)
    log(`  run ${index + 1} ${key.padEnd(18)} delivered ${result.delivered}/${result.created}${
      mode === "paced"
        ? `, achieved ${fmt(result.achievedPerSecond ?? NaN)}/s, tick p50 ${fmt(result.tickMillis?.p50 ?? NaN, 2)} ms, CPU ${fmt(result.cpuNsPerCreatedSpan ?? NaN)} ns/span`
        : ""
    }`)
  })
  const cpuRows: Record<string, Row> = {}
  for (const { key, mode, variant } of runsOf) {
    const list = results[key] ?? []
    const deliveredRow = addRow({ scenario, variant: key, metric: "delivered / created", unit: "", values: field(list, (r) => r.delivered / r.created) })
    if (variant === "toolkit") {
      deliveredRow.target = "= 1"
      deliveredRow.met = deliveredRow.summary.min === 1
    }
    if (mode !== "paced") continue
    const achievedRow = addRow({ scenario, variant: key, metric: "achieved rate", unit: "spans/s", values: field(list, (r) => r.achievedPerSecond) })
    addRow({ scenario, variant: key, metric: `tick time p50 (${s.perTick} spans)`, unit: "ms", values: field(list, (r) => r.tickMillis?.p50) })
    cpuRows[key] = addRow({ scenario, variant: key, metric: "CPU per span, export included", unit: "ns", values: field(list, (r) => r.cpuNsPerCreatedSpan) })
    if (achievedRow.summary.median < rate * 0.95) deliveredRow.note = `the machine achieved only ${fmt(achievedRow.summary.median)} spans/s of ${rate}`
  }
  // Scenario 1's target again, measured where both pipelines export while the program runs.
  const toolkitCpu = cpuRows["toolkit paced"]!
  ratioOf(toolkitCpu, cpuRows["nodesdk-same paced"], "nodesdk-same")
  toolkitCpu.target = "≤ 0.75 × nodesdk (span cost)"
  toolkitCpu.met = toolkitCpu.ratio !== undefined && toolkitCpu.ratio.value <= 0.75
  ratioOf(cpuRows["nodesdk paced"]!, cpuRows["nodesdk-same paced"], "nodesdk-same")
}

// -------------------------------------------------------------------------------------------
// Scenario 2: HTTP server overhead
// -------------------------------------------------------------------------------------------

interface LoadResult {
  readonly requests: number
  readonly requestsPerSecond: number
  readonly errors: number
  readonly non2xx: number
  readonly latencyMillis: { p50: number; p90: number; p99: number; max: number }
}

const http = async (receiver: Receiver) => {
  const scenario = "2 http server"
  const s = settings.http
  log(`\n== ${scenario}: ${s.connections} keep-alive connections, ${s.durationMillis / 1000} s after ${s.warmupMillis / 1000} s warm-up, ${s.runs} runs`)
  // --quick measures the Effect servers only; the plain-Node pair runs in full runs.
  const variants = (quick
    ? ["effect-plain-off", "effect-plain", "effect-nodesdk", "effect-toolkit"] as const
    : ["effect-plain-off", "effect-plain", "effect-nodesdk", "effect-toolkit", "node-plain", "node-otel"] as const)
  const results: Record<string, Array<HttpRunResult>> = {}
  await interleave(variants, s.runs, async (variant, index) => {
    await receiver.reset()
    const dir = profileDir(`http-${variant}`)
    let send: (command: string) => void = () => {}
    let resolveListening: (port: number) => void = () => {}
    const listening = new Promise<number>((resolve) => (resolveListening = resolve))
    const server = runChild<{ cpuSeconds: number; windowCpuMicros?: number }>({
      script: scenarioPath("httpServer"),
      params: { variant, endpoint: receiver.endpoint, batch: TOOLKIT_BATCH },
      cpuProfileDir: dir,
      timeoutMillis: 120_000,
      onEvent: (event, write) => {
        send = write
        if (event.name === "listening") resolveListening(Number(event["port"]))
      }
    })
    const port = await Promise.race([listening, server.then(() => undefined)])
    if (port === undefined) {
      checkChild(`http ${variant} server`, await server)
      return
    }
    const load = await runChild<LoadResult>({
      script: libPath("loadgen"),
      params: { url: `http://127.0.0.1:${port}/`, connections: s.connections, warmupMillis: s.warmupMillis, durationMillis: s.durationMillis },
      timeoutMillis: 120_000,
      onEvent: (event) => {
        if (event.name === "measuring") send("window-start")
        if (event.name === "measured") send("window-end")
      }
    })
    send("stop")
    const served = await server
    const stats: ReceiverStats = await receiver.stats()
    summarizeProfiles(dir, `http-${variant}`, windowOf(served.events))
    if (!checkChild(`http ${variant} load`, load) || !checkChild(`http ${variant} server`, served)) return
    const windowCpu = served.result!.windowCpuMicros
    const result: HttpRunResult = {
      ...load.result!,
      run: index,
      spans: stats.spans,
      serverCpuSeconds: served.result!.cpuSeconds,
      cpuMicrosPerRequest: windowCpu === undefined || load.result!.requests === 0 ? undefined : windowCpu / load.result!.requests
    }
    ;(results[variant] ??= []).push(result)
    keep(scenario, variant, result)
    log(`  run ${index + 1} ${variant.padEnd(16)} ${fmt(result.requestsPerSecond)} req/s, server CPU ${fmt(result.cpuMicrosPerRequest ?? NaN)} µs/req, p50 ${
      fmt(result.latencyMillis.p50, 1)
    } ms, p99 ${fmt(result.latencyMillis.p99, 1)} ms, errors ${result.errors}, spans received ${result.spans}`)
  })
  httpRows(scenario, s, variants, results)
}

interface HttpRunResult extends LoadResult {
  /** The interleaving round, so that differences are taken between runs made side by side. */
  readonly run: number
  readonly spans: number
  readonly serverCpuSeconds: number
  /** The server's CPU over the load generator's measured window, per request answered in it. */
  readonly cpuMicrosPerRequest: number | undefined
}

/**
 * Scenario 2's rows: req/s, latency and server CPU per request for each variant; what each
 * instrumented variant adds per request above the plain server with the platform's tracer off and
 * on (differences within each interleaved round, then the median); the toolkit's added CPU against
 * NodeSdk's on the same server, and its p99 against NodeSdk's, with the targets of issue 14.
 */
const httpRows = (
  scenario: string,
  s: typeof settings.http,
  variants: ReadonlyArray<string>,
  results: Record<string, ReadonlyArray<HttpRunResult>>
) => {
  const rows = (metric: string, unit: string, pick: (r: HttpRunResult) => number | undefined) =>
    Object.fromEntries(variants.map((variant) => [variant, addRow({ scenario, variant, metric, unit, values: field(results[variant] ?? [], pick) })]))
  const rps = rows("req/s", "req/s", (r) => r.requestsPerSecond)
  const p99 = rows("p99 latency", "ms", (r) => r.latencyMillis.p99)
  rows("p50 latency", "ms", (r) => r.latencyMillis.p50)
  const cpu = rows("server CPU per request", "µs", (r) => r.cpuMicrosPerRequest)
  for (const variant of ["effect-plain", "effect-nodesdk", "effect-toolkit"]) {
    ratioOf(rps[variant]!, rps["effect-plain-off"], "effect-plain-off")
    ratioOf(cpu[variant]!, cpu["effect-plain-off"], "effect-plain-off")
  }
  ratioOf(p99["effect-toolkit"]!, p99["effect-nodesdk"], "effect-nodesdk")
  p99["effect-toolkit"]!.target = "≤ 1 × nodesdk"
  p99["effect-toolkit"]!.met = p99["effect-toolkit"]!.ratio !== undefined && p99["effect-toolkit"]!.ratio.value <= 1
  if (results["node-otel"] !== undefined) {
    ratioOf(rps["node-otel"]!, rps["node-plain"], "node-plain")
    ratioOf(p99["node-otel"]!, p99["node-plain"], "node-plain")
  }
  // Added CPU per request, taken between the runs of one interleaving round.
  const added = (variant: string, base: string) => {
    const bases = new Map((results[base] ?? []).map((r) => [r.run, r.cpuMicrosPerRequest]))
    return field(results[variant] ?? [], (r) => {
      const floor = bases.get(r.run)
      return r.cpuMicrosPerRequest === undefined || floor === undefined ? undefined : r.cpuMicrosPerRequest - floor
    })
  }
  const addedRows: Record<string, Row> = {}
  for (const base of ["effect-plain-off", "effect-plain"]) {
    for (const variant of ["effect-nodesdk", "effect-toolkit"]) {
      addedRows[`${variant} ${base}`] = addRow({ scenario, variant, metric: `added CPU per request vs ${base}`, unit: "µs", values: added(variant, base) })
    }
  }
  for (const base of ["effect-plain-off", "effect-plain"]) {
    const toolkit = addedRows[`effect-toolkit ${base}`]!
    const nodesdk = addedRows[`effect-nodesdk ${base}`]!
    // A ratio to an added cost the noise made zero or negative means nothing: left blank.
    if (nodesdk.summary.median > 0) ratioOf(toolkit, nodesdk, `nodesdk's added (vs ${base})`)
    else toolkit.note = "NodeSdk's added CPU was ≤ 0 in this run (noise): no ratio"
    toolkit.target = "≤ 0.5 × nodesdk's added"
    toolkit.met = toolkit.ratio !== undefined && toolkit.ratio.value <= 0.5
  }
  for (const variant of ["effect-toolkit", "effect-nodesdk", "node-otel"].filter((v) => results[v] !== undefined)) {
    // Spans include the warm-up's requests; the load generator counts only the measured window.
    addRow({ scenario, variant, metric: "spans received / s of load", unit: "spans/s", values: field(results[variant] ?? [], (r) => r.spans / ((s.durationMillis + s.warmupMillis) / 1000)) })
  }
}

// -------------------------------------------------------------------------------------------
// Scenario 3: collector down
// -------------------------------------------------------------------------------------------

interface DownResult {
  readonly created: number
  readonly lateTicks: number
  readonly tickMillis: { p50: number; p90: number; p99: number; max: number }
  readonly samples: ReadonlyArray<{ t: number; rssMB: number; heapMB: number; queue: number; created: number }>
  readonly beforeClose: Record<string, number>
  readonly afterClose: Record<string, number>
  readonly closeMillis: number
}

const collectorDown = async (receiver: Receiver) => {
  const scenario = "3 collector down"
  const s = settings.collectorDown
  log(`\n== ${scenario}: 5k spans/s for ${s.durationMillis / 1000} s, receiver stopped ${s.stopAfterMillis / 1000} s in (restart run: ${
    s.restartDurationMillis / 1000
  } s, restarted ${s.restartAfterMillis / 1000} s in); ${s.runs} runs`)
  const variants = ["down", "up", "restart"] as const
  const results: Record<string, Array<DownResult & { delivered: number }>> = {}
  await interleave(variants, s.runs, async (variant, index) => {
    await receiver.reset()
    const timers: Array<NodeJS.Timeout> = []
    const commands: Array<Promise<unknown>> = []
    const dir = profileDir(`collector-${variant}`)
    const child = await runChild<DownResult>({
      script: scenarioPath("collectorDown"),
      params: {
        endpoint: receiver.endpoint,
        perTick: s.perTick,
        tickMillis: s.tickMillis,
        durationMillis: variant === "restart" ? s.restartDurationMillis : s.durationMillis,
        shutdownTimeout: "5s"
      },
      cpuProfileDir: dir,
      timeoutMillis: 300_000,
      onEvent: (event) => {
        if (event.name !== "started" || variant === "up") return
        timers.push(setTimeout(() => commands.push(receiver.command("stop")), s.stopAfterMillis))
        if (variant === "restart") timers.push(setTimeout(() => commands.push(receiver.command("start")), s.restartAfterMillis))
      }
    })
    timers.forEach(clearTimeout)
    await Promise.all(commands)
    const stats = await receiver.stats()
    // Back up for the next variant (a no-op restart when it never stopped).
    await receiver.command("start")
    summarizeProfiles(dir, `collector-${variant}`)
    if (!checkChild(`collector ${variant}`, child)) return
    const result = { ...child.result!, delivered: stats.spans }
    ;(results[variant] ??= []).push(result)
    keep(scenario, variant, result)
    const last = result.samples[result.samples.length - 1]
    log(`  run ${index + 1} ${variant.padEnd(8)} created ${result.created}, delivered ${result.delivered}, dropped queue_full ${
      result.afterClose["droppedQueueFull"]
    } shutdown ${result.afterClose["droppedShutdown"]}, RSS end ${fmt(last?.rssMB ?? NaN)} MB, tick p50 ${fmt(result.tickMillis.p50, 2)} ms p99 ${
      fmt(result.tickMillis.p99, 2)
    } ms`)
  })
  const down = results["down"] ?? []
  const up = results["up"] ?? []
  const restart = results["restart"] ?? []
  const maxRss = (r: DownResult) => Math.max(...r.samples.map((sample) => sample.rssMB))
  /** RSS growth per second once the queue is full (the last samples, with the queue at capacity). */
  const fullSlope = (r: DownResult) => {
    const full = r.samples.filter((sample) => sample.queue >= QUEUE_CAPACITY * 0.99)
    return full.length >= 3 ? slope(full.map((sample) => [sample.t, sample.rssMB] as const)) : undefined
  }
  const upRss = addRow({ scenario, variant: "up", metric: "max RSS", unit: "MB", values: up.map(maxRss) })
  const downRss = addRow({ scenario, variant: "down", metric: "max RSS", unit: "MB", values: down.map(maxRss) })
  const excess = downRss.summary.median - upRss.summary.median
  const excessRow = addRow({ scenario, variant: "down", metric: "max RSS − collector-up run", unit: "MB", values: [excess] })
  excessRow.target = "≤ 25 MB"
  excessRow.met = excess <= 25
  const slopeRow = addRow({ scenario, variant: "down", metric: "RSS slope with the queue full", unit: "MB/s", values: field(down, fullSlope) })
  slopeRow.target = "flat (≤ 0.25 MB/s)"
  slopeRow.met = slopeRow.summary.n === 0 ? undefined : slopeRow.summary.median <= 0.25
  if (slopeRow.summary.n === 0) slopeRow.note = "the queue never filled in this run (--quick is too short)"
  addRow({ scenario, variant: "down", metric: "dropped (queue_full), self-metrics", unit: "spans", values: field(down, (r) => r.beforeClose["droppedQueueFull"]) })
  addRow({ scenario, variant: "down", metric: "dropped at shutdown, self-metrics", unit: "spans", values: field(down, (r) => r.afterClose["droppedShutdown"]) })
  const upTick = addRow({ scenario, variant: "up", metric: "tick time p50 (50 spans)", unit: "ms", values: field(up, (r) => r.tickMillis.p50) })
  const downTick = addRow({ scenario, variant: "down", metric: "tick time p50 (50 spans)", unit: "ms", values: field(down, (r) => r.tickMillis.p50) })
  ratioOf(downTick, upTick, "up")
  downTick.target = "≤ 1.05 × up"
  downTick.met = downTick.ratio !== undefined && downTick.ratio.value <= 1.05
  const upP99 = addRow({ scenario, variant: "up", metric: "tick time p99 (50 spans)", unit: "ms", values: field(up, (r) => r.tickMillis.p99) })
  const downP99 = addRow({ scenario, variant: "down", metric: "tick time p99 (50 spans)", unit: "ms", values: field(down, (r) => r.tickMillis.p99) })
  ratioOf(downP99, upP99, "up")
  addRow({ scenario, variant: "up", metric: "delivered / created", unit: "", values: field(up, (r) => r.delivered / r.created) })
  const lost = addRow({
    scenario,
    variant: "restart",
    metric: "lost (created − dropped − received)",
    unit: "spans",
    values: field(restart, (r) => r.created - r.afterClose["droppedQueueFull"]! - r.afterClose["droppedShutdown"]! - r.delivered)
  })
  addRow({ scenario, variant: "restart", metric: "dropped (any reason)", unit: "spans", values: field(restart, (r) => r.created - r.afterClose["exported"]!) })
  lost.target = "0 (outage < retry window)"
  lost.met = lost.summary.n > 0 && lost.summary.max <= 0 && restart.every((r) => r.afterClose["exported"] === r.created)
}

// -------------------------------------------------------------------------------------------
// Scenario 4: startup and shutdown
// -------------------------------------------------------------------------------------------

interface StartupResult {
  readonly entryMillis: number
  readonly importMillis: number
  readonly buildMillis: number
  readonly closeMillis: number
}

interface ShutdownResult {
  readonly spans: number
  readonly closeMillis: number
  readonly afterClose?: Record<string, number>
}

/** A port on 127.0.0.1 that nothing listens on: bound, then closed. */
const deadEndpoint = (): Promise<string> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as Net.AddressInfo
      server.close(() => resolve(`127.0.0.1:${address.port}`))
    })
  })

const startup = async (receiver: Receiver) => {
  const scenario = "4 startup/shutdown"
  log(`\n== ${scenario}: process start to exit (${settings.startup.runs} runs), scope close with pending spans (${settings.startup.flushRuns} runs)`)
  const variants = ["bare", "toolkit", "nodesdk"] as const
  const results: Record<string, Array<StartupResult & { wallMillis: number }>> = {}
  await interleave(variants, settings.startup.runs, async (variant, index) => {
    const dir = profileDir(`startup-${variant}`)
    const child = await runChild<StartupResult>({ script: scenarioPath("startup"), params: { variant, endpoint: receiver.endpoint, batch: TOOLKIT_BATCH }, cpuProfileDir: dir, timeoutMillis: 60_000 })
    summarizeProfiles(dir, `startup-${variant}`)
    if (!checkChild(`startup ${variant}`, child)) return
    const result = { ...child.result!, wallMillis: child.wallMillis }
    ;(results[variant] ??= []).push(result)
    keep(scenario, `start ${variant}`, result)
    log(`  run ${index + 1} ${variant.padEnd(8)} process ${fmt(result.wallMillis)} ms (entry ${fmt(result.entryMillis)}, imports ${fmt(result.importMillis)}, layer ${
      fmt(result.buildMillis, 1)
    }, close ${fmt(result.closeMillis, 1)})`)
  })
  const wall = Object.fromEntries(variants.map((variant) => [variant, addRow({ scenario, variant: `start ${variant}`, metric: "process wall", unit: "ms", values: field(results[variant] ?? [], (r) => r.wallMillis) })]))
  const imports: Record<string, Row> = {}
  const build: Record<string, Row> = {}
  for (const variant of variants) {
    imports[variant] = addRow({ scenario, variant: `start ${variant}`, metric: "imports", unit: "ms", values: field(results[variant] ?? [], (r) => r.importMillis) })
    build[variant] = addRow({ scenario, variant: `start ${variant}`, metric: "layer build (in process)", unit: "ms", values: field(results[variant] ?? [], (r) => r.buildMillis) })
  }
  ratioOf(wall["nodesdk"]!, wall["bare"], "bare")
  for (const table of [wall, imports, build]) ratioOf(table["toolkit"]!, table["nodesdk"], "nodesdk")
  wall["toolkit"]!.target = "≤ 1.0 × nodesdk"
  wall["toolkit"]!.met = wall["toolkit"]!.ratio !== undefined && wall["toolkit"]!.ratio.value <= 1.0
  build["toolkit"]!.target = "≤ 1.0 × nodesdk"
  build["toolkit"]!.met = build["toolkit"]!.ratio !== undefined && build["toolkit"]!.ratio.value <= 1.0

  const dead = await deadEndpoint()
  const cases = [
    { key: "flush 10k toolkit", variant: "toolkit", spans: 10_000, endpoint: receiver.endpoint },
    { key: "flush 10k nodesdk", variant: "nodesdk", spans: 10_000, endpoint: receiver.endpoint },
    { key: "flush 50k toolkit", variant: "toolkit", spans: 50_000, endpoint: receiver.endpoint },
    { key: "flush 50k nodesdk", variant: "nodesdk", spans: 50_000, endpoint: receiver.endpoint },
    { key: "dead endpoint toolkit 5s", variant: "toolkit", spans: 1_000, endpoint: dead },
    { key: "dead endpoint toolkit 1s", variant: "toolkit", spans: 1_000, endpoint: dead, shutdownTimeout: "1s" },
    { key: "dead endpoint nodesdk 5s", variant: "nodesdk", spans: 1_000, endpoint: dead }
  ] as const
  const closes: Record<string, Array<ShutdownResult & { delivered: number }>> = {}
  // --quick leaves out the two 5-second closes (a dead endpoint with the default timeout).
  const keys = cases.map((c) => c.key).filter((key) => !quick || !key.endsWith("5s"))
  await interleave(keys, settings.startup.flushRuns, async (key, index) => {
    const c = cases.find((candidate) => candidate.key === key)!
    const result = await runVariant<ShutdownResult>(receiver, key.replaceAll(" ", "-"), scenarioPath("shutdown"), {
      variant: c.variant,
      endpoint: c.endpoint,
      spans: c.spans,
      batch: TOOLKIT_BATCH,
      shutdownTimeout: "shutdownTimeout" in c ? c.shutdownTimeout : undefined
    })
    if (result === undefined) return
    ;(closes[key] ??= []).push(result)
    keep(scenario, key, result)
    log(`  run ${index + 1} ${key.padEnd(26)} close ${fmt(result.closeMillis)} ms, delivered ${result.delivered}/${result.spans}${
      result.afterClose === undefined ? "" : `, failed items ${result.afterClose["failedItems"]}, dropped ${result.afterClose["droppedShutdown"]}`
    }`)
  })
  const closeRow = (key: string, target?: { text: string; limit: number }) => {
    const row = addRow({ scenario, variant: key, metric: "scope close", unit: "ms", values: field(closes[key] ?? [], (r) => r.closeMillis) })
    if (target !== undefined) {
      row.target = target.text
      row.met = row.summary.n > 0 && row.summary.median <= target.limit
    }
    return row
  }
  closeRow("flush 10k toolkit", { text: "≤ 100 ms", limit: 100 })
  closeRow("flush 10k nodesdk")
  closeRow("flush 50k toolkit")
  closeRow("flush 50k nodesdk")
  for (const key of ["flush 10k toolkit", "flush 10k nodesdk", "flush 50k toolkit", "flush 50k nodesdk"]) {
    const row = addRow({ scenario, variant: key, metric: "delivered / created", unit: "", values: field(closes[key] ?? [], (r) => r.delivered / r.spans) })
    if (key === "flush 50k toolkit") {
      row.target = "= 1, no export error"
      row.met = row.summary.n > 0 && row.summary.min === 1 && (closes[key] ?? []).every((r) => r.afterClose?.["failedItems"] === 0)
    }
  }
  closeRow("dead endpoint toolkit 5s", { text: "≤ 5100 ms", limit: 5_100 })
  closeRow("dead endpoint toolkit 1s", { text: "≤ 1100 ms", limit: 1_100 })
  closeRow("dead endpoint nodesdk 5s")
}

// -------------------------------------------------------------------------------------------
// Scenario 5: lingo-obs dev under the fastest producer
// -------------------------------------------------------------------------------------------

interface DevIngestResult {
  readonly spans: number
  readonly spansPerSecond?: number
  readonly cpuMicrosPerSpan?: number
  readonly failedCalls: number
  readonly evicted: number
  readonly missedProbes: number
  readonly latencyMillis?: { readonly p50: number; readonly p99: number; readonly max: number }
}

const devIngest = async () => {
  const scenario = "5 dev ingest"
  const s = settings.devIngest
  log(`\n== ${scenario}: the toolkit's loop producer (${s.spans} spans) into lingo-obs dev (store of ${s.maxSpans} spans), a viewer-like probe every ${s.probeEveryMillis} ms; ${s.runs} runs`)
  const results: Array<DevIngestResult & { created: number }> = []
  for (let index = 0; index < s.runs; index++) {
    let producer: Promise<ChildResult<SpanCostResult>> | undefined
    const server = await runChild<DevIngestResult>({
      script: scenarioPath("devIngest"),
      params: { probeEveryMillis: s.probeEveryMillis, maxSpans: s.maxSpans },
      timeoutMillis: 300_000,
      onEvent: (event, send) => {
        if (event.name !== "listening") return
        producer = runChild<SpanCostResult>({
          script: scenarioPath("spanCost"),
          params: { variant: "toolkit", endpoint: event["endpoint"], mode: "loop", spans: s.spans, warmupSpans: 0, perTick: 0, tickMillis: 0, durationMillis: 0, idleMillis: 0, batch: TOOLKIT_BATCH },
          timeoutMillis: 240_000
        }).finally(() => send("finish"))
      }
    })
    const produced = producer === undefined ? undefined : await producer
    if (!checkChild("dev-ingest server", server) || produced === undefined || !checkChild("dev-ingest producer", produced)) continue
    const result = { ...server.result!, created: produced.result!.created }
    results.push(result)
    keep(scenario, "toolkit → dev", result)
    log(`  run ${index + 1} ingested ${result.spans}/${result.created} spans at ${fmt(result.spansPerSecond ?? NaN)}/s (${fmt(result.cpuMicrosPerSpan ?? NaN, 1)} µs CPU/span), failed calls ${result.failedCalls}, evicted ${result.evicted}; update latency p50 ${
      fmt(result.latencyMillis?.p50 ?? NaN, 1)
    } ms, p99 ${fmt(result.latencyMillis?.p99 ?? NaN, 1)} ms, missed probes ${result.missedProbes}`)
  }
  addRow({ scenario, variant: "toolkit → dev", metric: "spans ingested into the store", unit: "spans/s", values: field(results, (r) => r.spansPerSecond) })
  addRow({ scenario, variant: "toolkit → dev", metric: "dev process CPU per ingested span", unit: "µs", values: field(results, (r) => r.cpuMicrosPerSpan) })
  const complete = addRow({ scenario, variant: "toolkit → dev", metric: "received / created (0 if any call failed)", unit: "", values: field(results, (r) => (r.failedCalls === 0 ? r.spans / r.created : 0)) })
  complete.target = "= 1 (no backpressure errors)"
  complete.met = complete.summary.n > 0 && complete.summary.min === 1
  addRow({ scenario, variant: "toolkit → dev", metric: "UI update latency p50", unit: "ms", values: field(results, (r) => r.latencyMillis?.p50) })
  const p99 = addRow({ scenario, variant: "toolkit → dev", metric: "UI update latency p99", unit: "ms", values: field(results, (r) => r.latencyMillis?.p99) })
  p99.target = "≤ 2000 ms"
  p99.met = p99.summary.n > 0 && p99.summary.max <= 2_000
}

// -------------------------------------------------------------------------------------------

const main = async () => {
  const startedAt = new Date()
  const loadStart = Os.loadavg()
  // Resolved once: every Effect 4 child is then a plain `node` process.
  const node24 = effect4Selected ? resolveNode24() : undefined
  const receiver = await Receiver.start()
  log(`receiver on ${receiver.endpoint} and ${receiver.httpEndpoint} (its own process); ${quick ? "quick" : "full"} run; load average ${loadStart.map((v) => v.toFixed(2)).join(" ")}`)
  try {
    if (selected("1")) await spanCost(receiver)
    if (selected("1b")) await sustained(receiver)
    if (selected("2")) await http(receiver)
    if (selected("3")) await collectorDown(receiver)
    if (selected("4")) await startup(receiver)
    if (selected("5")) await devIngest()
    if (node24 !== undefined) await Effect4Line.run({ node: node24, receiver, batch: TOOLKIT_BATCH })
  } finally {
    await receiver.close()
  }
  const loadEnd = Os.loadavg()
  const la = (values: ReadonlyArray<number>) => values.map((v) => v.toFixed(2)).join(" ")
  table(`lingo-obs bench ${quick ? "--quick " : ""}— node ${process.version}${node24 === undefined ? "" : ` (Effect 4 children: ${node24})`}, ${Os.cpus().length} CPUs, load average at start ${la(loadStart)}, at end ${la(loadEnd)}`)
  const output = {
    meta: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick,
      filters,
      node: process.version,
      effect4Node: node24,
      platform: `${Os.type()} ${Os.release()} ${Os.arch()}`,
      cpus: Os.cpus().map((cpu) => cpu.model),
      totalMemoryMB: Os.totalmem() / 2 ** 20,
      loadavgStart: loadStart,
      loadavgEnd: loadEnd,
      settings,
      effect4Settings: effect4Selected ? Effect4Line.settings : undefined
    },
    rows,
    problems,
    raw
  }
  const file = Path.join(ROOT, "bench", "results.json")
  Fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`)
  log(`\nwrote ${Path.relative(process.cwd(), file)} (${Math.round((Date.now() - startedAt.getTime()) / 1000)} s)`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
