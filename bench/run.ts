/**
 * `pnpm bench [--quick] [--runs N] [--profile] [scenario...]`: runs the benchmarks of the toolkit
 * against its peers, every variant in a fresh child process, variants interleaved across runs,
 * with one OTLP/gRPC receiver in its own process; prints a table of medians, spreads and ratios
 * with the targets, and writes bench/results.json.
 *
 * Scenarios (filter by id or name): 1 `span-cost`, 1b `sustained`, 2 `http`, 3 `collector-down`,
 * 4 `startup` (startup and shutdown). `--profile` writes a CPU profile of every variant process
 * to bench/profiles/ and prints a summary of each (self time by owner, top functions).
 */
import { Config } from "@lingo-obs/observability"
import * as Duration from "effect/Duration"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { type ChildResult, libPath, ROOT, runChild, scenarioPath } from "./lib/child.js"
import * as Profile from "./lib/profile.js"
import { Receiver, type ReceiverStats } from "./lib/receiver.js"
import { median, slope, type Summary, summarize } from "./lib/stats.js"

// -------------------------------------------------------------------------------------------
// Options
// -------------------------------------------------------------------------------------------

const argv = process.argv.slice(2).filter((arg) => arg !== "--")
const flag = (name: string) => argv.includes(name)
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name)
  return index >= 0 ? argv[index + 1] : undefined
}
const quick = flag("--quick")
const profile = flag("--profile")
const runsOverride = option("--runs") === undefined ? undefined : Number(option("--runs"))
const filters = argv.filter((arg, index) => !arg.startsWith("--") && argv[index - 1] !== "--runs")

const SCENARIOS = [
  { id: "1", name: "span-cost" },
  { id: "1b", name: "sustained" },
  { id: "2", name: "http" },
  { id: "3", name: "collector-down" },
  { id: "4", name: "startup" }
] as const
type ScenarioId = (typeof SCENARIOS)[number]["id"]
const selected = (id: ScenarioId) => {
  if (filters.length === 0) return true
  const scenario = SCENARIOS.find((s) => s.id === id)!
  return filters.some((f) => f === scenario.id || scenario.name.startsWith(f))
}

const unknown = filters.filter((f) => !SCENARIOS.some((s) => f === s.id || s.name.startsWith(f)))
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(", ")}; choose among ${SCENARIOS.map((s) => `${s.id} (${s.name})`).join(", ")}`)
  process.exit(2)
}

/** Runs per variant: full runs repeat each variant at least 5 times (the collector-down runs, 30 s each, 3). */
const runs = (full: number, quickRuns: number) => runsOverride ?? (quick ? quickRuns : full)

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
  startup: { runs: runs(5, 1), flushRuns: runs(5, 1) }
}

const PROFILE_DIR = Path.join(ROOT, "bench", "profiles")
if (profile) Fs.mkdirSync(PROFILE_DIR, { recursive: true })

// -------------------------------------------------------------------------------------------
// Recording
// -------------------------------------------------------------------------------------------

interface Row {
  readonly scenario: string
  readonly variant: string
  readonly metric: string
  readonly unit: string
  readonly summary: Summary
  /** The ratio of this median to another row's median (`vs` names that variant). */
  ratio?: { readonly vs: string; readonly value: number } | undefined
  target?: string | undefined
  met?: boolean | undefined
  note?: string | undefined
}

const rows: Array<Row> = []
const raw: Record<string, Record<string, Array<unknown>>> = {}
const problems: Array<string> = []

const keep = (scenario: string, variant: string, value: unknown) => {
  ;((raw[scenario] ??= {})[variant] ??= []).push(value)
}

const addRow = (row: Omit<Row, "summary"> & { values: ReadonlyArray<number> }): Row => {
  const { values, ...rest } = row
  const full: Row = { ...rest, summary: summarize(values) }
  rows.push(full)
  return full
}

const ratioOf = (row: Row, base: Row | undefined, vs: string) => {
  if (base === undefined || !Number.isFinite(base.summary.median) || base.summary.median === 0) return
  row.ratio = { vs, value: row.summary.median / base.summary.median }
}

/** Values of `field` across the runs of a variant (non-numbers skipped). */
const field = <T>(results: ReadonlyArray<T>, pick: (result: T) => number | undefined): Array<number> =>
  results.map(pick).filter((value): value is number => typeof value === "number" && Number.isFinite(value))

/** Runs every variant `count` times, the order rotated each run so that none always goes first. */
const interleave = async <V extends string>(variants: ReadonlyArray<V>, count: number, run: (variant: V, index: number) => Promise<void>) => {
  for (let index = 0; index < count; index++) {
    for (let k = 0; k < variants.length; k++) {
      await run(variants[(k + index) % variants.length]!, index)
    }
  }
}

const profileDir = (label: string) => (profile ? Fs.mkdtempSync(Path.join(PROFILE_DIR, `${label}-`)) : undefined)

/** The `windowStart` … `windowEnd` marks a child printed, if any (microseconds, monotonic). */
const windowOf = (events: ChildResult<unknown>["events"]): Profile.Window | undefined => {
  const start = events.find((e) => e.name === "windowStart")?.["hrMicros"]
  const end = events.find((e) => e.name === "windowEnd")?.["hrMicros"]
  return typeof start === "number" && typeof end === "number" ? { start, end } : undefined
}

const summarizeProfiles = (dir: string | undefined, label: string, window?: Profile.Window) => {
  if (dir === undefined) return
  // Node writes one profile per thread; the main thread's is the one that ran the program.
  for (const file of Fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const path = Path.join(dir, file)
    const summary = Profile.summarize(path, 20)
    if (summary.byOwner.every((o) => o.owner === "idle" || o.owner === "node" || o.owner === "tsx/loader" || o.owner === "gc" || o.owner === "other")) continue
    console.log(`\n--- CPU profile ${label}: ${Path.relative(ROOT, path)} (whole process)\n${Profile.format(summary)}`)
    if (window !== undefined) {
      console.log(`--- the same, measured window only (${fmt((window.end - window.start) / 1000)} ms)\n${Profile.format(Profile.summarize(path, 25, window))}`)
    }
  }
}

const checkChild = (label: string, child: ChildResult<unknown>) => {
  if (child.result === undefined || child.exitCode !== 0 || child.timedOut) {
    const message = `${label}: exit ${child.exitCode}${child.timedOut ? " (timed out)" : ""}, no result\n    ${child.logTail.slice(-12).join("\n    ")}`
    problems.push(message)
    console.log(`  ! ${message}`)
    return false
  }
  return true
}

const log = (text: string) => console.log(text)
const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a")

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

const spanCost = async (receiver: Receiver) => {
  const scenario = "1 span cost"
  const { spans, warmupSpans } = settings.spanCost
  log(`\n== ${scenario}: ${spans} spans (depth 2, + ${warmupSpans} warm-up) in one synchronous loop, ${settings.spanCost.runs} runs`)
  const variants = ["toolkit", "nodesdk", "sdk", "none"] as const
  const results: Record<string, Array<Delivered<SpanCostResult>>> = {}
  await interleave(variants, settings.spanCost.runs, async (variant, index) => {
    const result = await runVariant<SpanCostResult>(receiver, `span-cost-${variant}`, scenarioPath("spanCost"), {
      variant,
      endpoint: receiver.endpoint,
      mode: "loop",
      spans,
      warmupSpans,
      perTick: 0,
      tickMillis: 0,
      durationMillis: 0,
      idleMillis: 0,
      batch: TOOLKIT_BATCH
    })
    if (result === undefined) return
    ;(results[variant] ??= []).push(result)
    keep(scenario, variant, result)
    log(`  run ${index + 1} ${variant.padEnd(8)} ${fmt(result.nsPerSpan ?? NaN)} ns/span, cpu ${fmt(result.cpuNsPerSpan ?? NaN)}, close ${
      fmt(result.closeMillis)
    } ms, delivered ${result.delivered}/${result.created}${result.flushError ? ` (flush: ${result.flushError})` : ""}`)
  })
  const rowsOf = (metric: string, unit: string, pick: (r: Delivered<SpanCostResult>) => number | undefined) =>
    Object.fromEntries(variants.map((variant) => [variant, addRow({ scenario, variant, metric, unit, values: field(results[variant] ?? [], pick) })]))
  const wall = rowsOf("loop wall per span", "ns", (r) => r.nsPerSpan)
  const cpu = rowsOf("loop CPU per span", "ns", (r) => r.cpuNsPerSpan)
  const total = rowsOf("loop+close wall per span", "ns", (r) => r.totalNsPerSpan)
  const totalCpu = rowsOf("loop+close CPU per span", "ns", (r) => r.totalCpuNsPerSpan)
  const delivered = rowsOf("delivered / created", "", (r) => r.delivered / r.created)
  delivered["none"]!.note = "no tracer layer: nothing is exported (Effect's own tracer only)"
  for (const variant of variants) {
    for (const table of [wall, cpu, total, totalCpu]) ratioOf(table[variant]!, table["nodesdk"], "nodesdk")
  }
  const toolkitWall = wall["toolkit"]!
  toolkitWall.target = "≤ 0.75 × nodesdk"
  toolkitWall.met = toolkitWall.ratio !== undefined && toolkitWall.ratio.value <= 0.75
  const toolkitTotal = totalCpu["toolkit"]!
  toolkitTotal.target = "≤ 0.75 × nodesdk"
  toolkitTotal.met = toolkitTotal.ratio !== undefined && toolkitTotal.ratio.value <= 0.75
  toolkitTotal.note = "includes the export work done at scope close"
  // Effect's own span cost (the floor, no tracer layer) is in both: what each tracer adds above it.
  for (const [table, label] of [[wall, "loop wall per span"], [totalCpu, "loop+close CPU per span"]] as const) {
    const floor = table["none"]!.summary.median
    const above = (variant: string) => table[variant]!.summary.median - floor
    const toolkitAbove = addRow({ scenario, variant: "toolkit", metric: `${label} above the floor`, unit: "ns", values: [above("toolkit")] })
    const nodesdkAbove = addRow({ scenario, variant: "nodesdk", metric: `${label} above the floor`, unit: "ns", values: [above("nodesdk")] })
    ratioOf(toolkitAbove, nodesdkAbove, "nodesdk")
    toolkitAbove.note = "median − median of `none`; a ratio of medians, no spread"
  }
  const toolkitDelivered = delivered["toolkit"]!
  toolkitDelivered.target = "= 1 (collector up)"
  toolkitDelivered.met = toolkitDelivered.summary.min === 1
  for (const variant of ["nodesdk", "sdk"] as const) {
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
  const variants = ["effect-plain", "effect-toolkit", "node-plain", "node-otel"] as const
  const results: Record<string, Array<LoadResult & { spans: number; serverCpuSeconds: number }>> = {}
  await interleave(variants, s.runs, async (variant, index) => {
    await receiver.reset()
    const dir = profileDir(`http-${variant}`)
    let send: (command: string) => void = () => {}
    let resolveListening: (port: number) => void = () => {}
    const listening = new Promise<number>((resolve) => (resolveListening = resolve))
    const server = runChild<{ cpuSeconds: number }>({
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
    const result = { ...load.result!, spans: stats.spans, serverCpuSeconds: served.result!.cpuSeconds }
    ;(results[variant] ??= []).push(result)
    keep(scenario, variant, result)
    log(`  run ${index + 1} ${variant.padEnd(14)} ${fmt(result.requestsPerSecond)} req/s, p50 ${fmt(result.latencyMillis.p50, 1)} ms, p99 ${
      fmt(result.latencyMillis.p99, 1)
    } ms, errors ${result.errors}, spans received ${result.spans}`)
  })
  const rps = Object.fromEntries(variants.map((variant) => [variant, addRow({ scenario, variant, metric: "req/s", unit: "req/s", values: field(results[variant] ?? [], (r) => r.requestsPerSecond) })]))
  const p99 = Object.fromEntries(variants.map((variant) => [variant, addRow({ scenario, variant, metric: "p99 latency", unit: "ms", values: field(results[variant] ?? [], (r) => r.latencyMillis.p99) })]))
  for (const variant of variants) {
    addRow({ scenario, variant, metric: "p50 latency", unit: "ms", values: field(results[variant] ?? [], (r) => r.latencyMillis.p50) })
  }
  ratioOf(rps["effect-toolkit"]!, rps["effect-plain"], "effect-plain")
  ratioOf(p99["effect-toolkit"]!, p99["effect-plain"], "effect-plain")
  ratioOf(rps["node-otel"]!, rps["node-plain"], "node-plain")
  ratioOf(p99["node-otel"]!, p99["node-plain"], "node-plain")
  const toolkitRps = rps["effect-toolkit"]!
  toolkitRps.target = "≥ 0.85 × plain"
  toolkitRps.met = toolkitRps.ratio !== undefined && toolkitRps.ratio.value >= 0.85
  const toolkitP99 = p99["effect-toolkit"]!
  toolkitP99.target = "≤ 1.3 × plain"
  toolkitP99.met = toolkitP99.ratio !== undefined && toolkitP99.ratio.value <= 1.3
  for (const variant of ["effect-toolkit", "node-otel"] as const) {
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
  for (const variant of variants) {
    addRow({ scenario, variant: `start ${variant}`, metric: "imports", unit: "ms", values: field(results[variant] ?? [], (r) => r.importMillis) })
    addRow({ scenario, variant: `start ${variant}`, metric: "layer build (in process)", unit: "ms", values: field(results[variant] ?? [], (r) => r.buildMillis) })
  }
  ratioOf(wall["toolkit"]!, wall["bare"], "bare")
  ratioOf(wall["nodesdk"]!, wall["bare"], "bare")
  wall["toolkit"]!.target = "≤ 1.2 × bare"
  wall["toolkit"]!.met = wall["toolkit"]!.ratio !== undefined && wall["toolkit"]!.ratio.value <= 1.2

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
// Table
// -------------------------------------------------------------------------------------------

const num = (value: number, unit: string) => {
  if (!Number.isFinite(value)) return "n/a"
  if (unit === "") return value.toFixed(3)
  const abs = Math.abs(value)
  return abs >= 1000 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2)
}

const table = (loadStart: ReadonlyArray<number>, loadEnd: ReadonlyArray<number>) => {
  // A row nothing was measured for (left out by --quick, or its runs failed) meets nothing.
  for (const row of rows) if (row.summary.n === 0) row.met = undefined
  const header = ["scenario", "variant", "metric", "median", "spread (min–max)", "ratio", "target", "met?"]
  const body = rows.map((row) => [
    row.scenario,
    row.variant,
    row.unit === "" ? row.metric : `${row.metric} (${row.unit})`,
    num(row.summary.median, row.unit),
    row.summary.n <= 1 ? `n=${row.summary.n}` : `${num(row.summary.min, row.unit)}–${num(row.summary.max, row.unit)} n=${row.summary.n}`,
    row.ratio === undefined ? "" : `${row.ratio.value.toFixed(2)} × ${row.ratio.vs}`,
    row.target ?? "",
    row.met === undefined ? (row.target === undefined ? "" : row.summary.n === 0 ? "not run" : "?") : row.met ? "yes" : "NO"
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")
  const la = (values: ReadonlyArray<number>) => values.map((v) => v.toFixed(2)).join(" ")
  console.log(`\nlingo-obs bench ${quick ? "--quick " : ""}— node ${process.version}, ${Os.cpus().length} CPUs, load average at start ${la(loadStart)}, at end ${la(loadEnd)}`)
  console.log(line(header))
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"))
  for (const cells of body) console.log(line(cells))
  const notes = rows.filter((row) => row.note !== undefined)
  if (notes.length > 0) {
    console.log("\nnotes:")
    for (const row of notes) console.log(`  ${row.scenario} / ${row.variant} / ${row.metric}: ${row.note}`)
  }
  if (problems.length > 0) {
    console.log("\nproblems:")
    for (const problem of problems) console.log(`  ${problem}`)
  }
}

// -------------------------------------------------------------------------------------------

const main = async () => {
  const startedAt = new Date()
  const loadStart = Os.loadavg()
  const receiver = await Receiver.start()
  log(`receiver on ${receiver.endpoint} (its own process); ${quick ? "quick" : "full"} run; load average ${loadStart.map((v) => v.toFixed(2)).join(" ")}`)
  try {
    if (selected("1")) await spanCost(receiver)
    if (selected("1b")) await sustained(receiver)
    if (selected("2")) await http(receiver)
    if (selected("3")) await collectorDown(receiver)
    if (selected("4")) await startup(receiver)
  } finally {
    await receiver.close()
  }
  const loadEnd = Os.loadavg()
  table(loadStart, loadEnd)
  const output = {
    meta: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick,
      filters,
      node: process.version,
      platform: `${Os.type()} ${Os.release()} ${Os.arch()}`,
      cpus: Os.cpus().map((cpu) => cpu.model),
      totalMemoryMB: Os.totalmem() / 2 ** 20,
      loadavgStart: loadStart,
      loadavgEnd: loadEnd,
      settings
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
