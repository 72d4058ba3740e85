/**
 * The Effect 4 line's scenarios, run by `pnpm bench` after the Effect 3 line's (or alone with
 * `pnpm bench effect4`), with the same receiver, load generator, interleaving and table. Every
 * child is `bench/effect4`'s compiled scenario on Node 24 (resolved once), so that it resolves
 * effect 4, `@effect/opentelemetry` 4 and the built `lingo-obs`.
 *
 * Compared: lingo-obs (`Observability.layer`, OTLP/gRPC; OTLP/HTTP protobuf as `lingo-obs-http` in
 * the span cost), `effect/observability` `Otlp.layerProtobuf` (`otlp`), `@effect/opentelemetry` 4
 * `NodeSdk` with the stock OTLP/gRPC exporter (`nodesdk`), and Effect 4 with no exporter. The
 * targets are issue 22's.
 */
import { type ChildResult, effect4ScenarioPath, libPath, runChild } from "../lib/child.js"
import { quick, runs, type Scenario, scenarioSelected } from "../lib/options.js"
import type { Receiver } from "../lib/receiver.js"
import { addRow, checkChild, field, fmt, interleave, keep, log, profileDir, ratioOf, ratioTarget, type Row, summarizeProfiles, windowOf } from "../lib/record.js"
import { percentiles, slope } from "../lib/stats.js"

export const SCENARIOS: ReadonlyArray<Scenario> = [
  { id: "1", name: "span-cost" },
  { id: "2", name: "http" },
  { id: "3", name: "collector-down" },
  { id: "4", name: "startup" }
]

/** The SDK batch processor's settings NodeSdk runs with where it must deliver every span. */
export interface Batch {
  readonly maxQueueSize: number
  readonly maxExportBatchSize: number
  readonly scheduledDelayMillis: number
  readonly exportTimeoutMillis: number
}

const OUTAGE_RATE = { perTick: 50, tickMillis: 10 } // 5k spans/s
export const settings = {
  spanCost: { spans: quick ? 20_000 : 100_000, warmupSpans: 2_000, yieldEvery: 256, runs: runs(5, 1) },
  http: { connections: 50, warmupMillis: quick ? 500 : 1_000, durationMillis: quick ? 2_000 : 5_000, runs: runs(5, 1) },
  outage: {
    ...OUTAGE_RATE,
    // The receiver stops 1 s in and starts again `outageMillis` later; the run goes on 9 s more.
    short: { stopAfterMillis: 1_000, outageMillis: quick ? 2_000 : 8_000, durationMillis: quick ? 6_000 : 18_000, runs: runs(3, 1) },
    // 120 s of outage, once per variant in a full run (not with --quick).
    long: { stopAfterMillis: 1_000, outageMillis: 120_000, durationMillis: 130_000, runs: quick ? 0 : 1 }
  },
  startup: { runs: runs(5, 1) }
}

interface Context {
  /** The Node 24 binary. */
  readonly node: string
  readonly receiver: Receiver
  readonly batch: Batch
}

const endpointsOf = (receiver: Receiver) => ({ grpc: receiver.endpoint, http: receiver.httpEndpoint })

type Delivered<R> = R & { readonly delivered: number; readonly wallMillis: number }

/** One child on Node 24 with the receiver reset before and its count read after. */
const runVariant = async <R>(context: Context, label: string, script: string, params: object, timeoutMillis = 300_000): Promise<Delivered<R> | undefined> => {
  await context.receiver.reset()
  const dir = profileDir(label)
  const child = await runChild<R>({ script: effect4ScenarioPath(script), execPath: context.node, params, cpuProfileDir: dir, timeoutMillis })
  const stats = await context.receiver.stats()
  summarizeProfiles(dir, label, windowOf(child.events))
  if (!checkChild(label, child)) return undefined
  return { ...child.result!, delivered: stats.spans, wallMillis: child.wallMillis }
}

/** Two rows for lingo-obs's figure: its ratio to NodeSdk 4's and to native Otlp's, with their targets. */
const againstPeers = (
  scenario: string,
  metric: string,
  unit: string,
  values: ReadonlyArray<number>,
  peers: { readonly nodesdk: Row; readonly otlp: Row },
  limits: { readonly nodesdk?: number; readonly otlp?: number },
  extra = true
) => {
  for (const peer of ["nodesdk", "otlp"] as const) {
    const row = addRow({ scenario, variant: "lingo-obs", metric: `${metric} (vs ${peer})`, unit, values })
    if (peers[peer].summary.median > 0) ratioOf(row, peers[peer], peer)
    else row.note = `${peer}'s figure was ≤ 0 in this run (noise): no ratio`
    const limit = limits[peer]
    if (limit !== undefined) ratioTarget(row, limit, `≤ ${limit.toFixed(1)} × ${peer}`, extra)
  }
}

// -------------------------------------------------------------------------------------------
// E4-1: span cost
// -------------------------------------------------------------------------------------------

interface SpanCostResult {
  readonly created: number
  readonly nsPerSpan: number
  readonly cpuNsPerSpan: number
  readonly totalCpuNsPerSpan: number
  readonly closeMillis: number
  readonly rssMB: number
}

const spanCost = async (context: Context) => {
  const scenario = "E4-1 span cost"
  const s = settings.spanCost
  log(`\n== ${scenario}: ${s.spans} spans (depth 2, + ${s.warmupSpans} warm-up), an event-loop turn every ${s.yieldEvery} spans, ${s.runs} runs`)
  const variants = ["lingo-obs", "lingo-obs-http", "otlp", "nodesdk", "none"] as const
  const results: Record<string, Array<Delivered<SpanCostResult>>> = {}
  await interleave(variants, s.runs, async (variant, index) => {
    const result = await runVariant<SpanCostResult>(context, `e4-span-cost-${variant}`, "spanCost", {
      variant,
      endpoints: endpointsOf(context.receiver),
      spans: s.spans,
      warmupSpans: s.warmupSpans,
      yieldEvery: s.yieldEvery,
      batch: context.batch
    })
    if (result === undefined) return
    ;(results[variant] ??= []).push(result)
    keep(scenario, variant, result)
    log(`  run ${index + 1} ${variant.padEnd(15)} cpu ${fmt(result.cpuNsPerSpan)} ns/span, with close ${fmt(result.totalCpuNsPerSpan)}, wall ${fmt(result.nsPerSpan)}, close ${
      fmt(result.closeMillis)
    } ms, delivered ${result.delivered}/${result.created}, RSS ${fmt(result.rssMB)} MB`)
  })
  const rowsOf = (metric: string, unit: string, pick: (r: Delivered<SpanCostResult>) => number | undefined) =>
    Object.fromEntries(variants.map((variant) => [variant, addRow({ scenario, variant, metric, unit, values: field(results[variant] ?? [], pick) })]))
  const total = rowsOf("CPU per span, export included", "ns", (r) => r.totalCpuNsPerSpan)
  rowsOf("loop CPU per span", "ns", (r) => r.cpuNsPerSpan)
  rowsOf("RSS at exit", "MB", (r) => r.rssMB)
  const delivered = rowsOf("delivered / created", "", (r) => r.delivered / r.created)
  delivered["none"]!.note = "no exporter: nothing is exported (Effect's own tracer only)"
  for (const variant of ["lingo-obs", "lingo-obs-http"] as const) {
    delivered[variant]!.target = "= 1 (collector up)"
    delivered[variant]!.met = delivered[variant]!.summary.n > 0 && delivered[variant]!.summary.min === 1
  }
  // Every span delivered by lingo-obs in every run, and by the peer it is compared with.
  const allDelivered = (variant: string) => delivered[variant]!.summary.n > 0 && delivered[variant]!.summary.min === 1
  const peers = { nodesdk: total["nodesdk"]!, otlp: total["otlp"]! }
  againstPeers(scenario, "CPU per span, export included", "ns", field(results["lingo-obs"] ?? [], (r) => r.totalCpuNsPerSpan), peers, { nodesdk: 0.6, otlp: 1.0 }, allDelivered("lingo-obs"))
  for (const variant of ["lingo-obs-http", "otlp"] as const) ratioOf(total[variant]!, total["nodesdk"], "nodesdk")
  // What each exporter adds above Effect 4's own span cost (no exporter): medians, no spread.
  const floor = total["none"]!.summary.median
  const above = (variant: string) => addRow({ scenario, variant, metric: "CPU per span above the floor", unit: "ns", values: [total[variant]!.summary.median - floor] })
  const aboveRows = { "lingo-obs": above("lingo-obs"), "lingo-obs-http": above("lingo-obs-http"), otlp: above("otlp"), nodesdk: above("nodesdk") }
  ratioOf(aboveRows["lingo-obs"], aboveRows.nodesdk, "nodesdk")
  ratioOf(aboveRows["lingo-obs-http"], aboveRows.otlp, "otlp")
  ratioOf(aboveRows.otlp, aboveRows.nodesdk, "nodesdk")
  aboveRows["lingo-obs"].note = "median − median of `none`; the ratio of those, no spread"
}

// -------------------------------------------------------------------------------------------
// E4-2: HTTP server overhead (HttpRouter and HttpApi)
// -------------------------------------------------------------------------------------------

interface LoadResult {
  readonly requests: number
  readonly requestsPerSecond: number
  readonly errors: number
  readonly non2xx: number
  readonly latencyMillis: { p50: number; p90: number; p99: number; max: number }
}

interface HttpRunResult extends LoadResult {
  readonly run: number
  readonly spans: number
  readonly rssMB: number
  readonly cpuMicrosPerRequest: number | undefined
}

const HTTP_VARIANTS = ["plain-off", "plain", "otlp", "nodesdk", "lingo-obs"] as const
const HTTP_APIS = ["router", "httpapi"] as const

const http = async (context: Context) => {
  const s = settings.http
  log(`\n== E4-2 http: GET /users/:id on HttpRouter and HttpApi, ${s.connections} keep-alive connections, ${s.durationMillis / 1000} s after ${
    s.warmupMillis / 1000
  } s warm-up, ${s.runs} runs`)
  const keys = HTTP_APIS.flatMap((api) => HTTP_VARIANTS.map((variant) => `${api} ${variant}` as const))
  const results: Record<string, Array<HttpRunResult>> = {}
  await interleave(keys, s.runs, async (key, index) => {
    const [api, variant] = key.split(" ") as [(typeof HTTP_APIS)[number], (typeof HTTP_VARIANTS)[number]]
    await context.receiver.reset()
    const label = `e4-http-${api}-${variant}`
    const dir = profileDir(label)
    let send: (command: string) => void = () => {}
    let resolveListening: (port: number) => void = () => {}
    const listening = new Promise<number>((resolve) => (resolveListening = resolve))
    const server = runChild<{ windowCpuMicros?: number; rssMB: number }>({
      script: effect4ScenarioPath("httpServer"),
      execPath: context.node,
      params: { variant, api, endpoints: endpointsOf(context.receiver), batch: context.batch },
      cpuProfileDir: dir,
      timeoutMillis: 120_000,
      onEvent: (event, write) => {
        send = write
        if (event.name === "listening") resolveListening(Number(event["port"]))
      }
    })
    const port = await Promise.race([listening, server.then(() => undefined)])
    if (port === undefined) {
      checkChild(`${label} server`, await server)
      return
    }
    const load = await runChild<LoadResult>({
      script: libPath("loadgen"),
      params: { url: `http://127.0.0.1:${port}/users/42`, connections: s.connections, warmupMillis: s.warmupMillis, durationMillis: s.durationMillis },
      timeoutMillis: 120_000,
      onEvent: (event) => {
        if (event.name === "measuring") send("window-start")
        if (event.name === "measured") send("window-end")
      }
    })
    send("stop")
    const served = await server
    const stats = await context.receiver.stats()
    summarizeProfiles(dir, label, windowOf(served.events))
    if (!checkChild(`${label} load`, load) || !checkChild(`${label} server`, served)) return
    const windowCpu = served.result!.windowCpuMicros
    const result: HttpRunResult = {
      ...load.result!,
      run: index,
      spans: stats.spans,
      rssMB: served.result!.rssMB,
      cpuMicrosPerRequest: windowCpu === undefined || load.result!.requests === 0 ? undefined : windowCpu / load.result!.requests
    }
    ;(results[key] ??= []).push(result)
    keep("E4-2 http", key, result)
    log(`  run ${index + 1} ${key.padEnd(18)} ${fmt(result.requestsPerSecond)} req/s, server CPU ${fmt(result.cpuMicrosPerRequest ?? NaN)} µs/req, p50 ${
      fmt(result.latencyMillis.p50, 1)
    } ms, p99 ${fmt(result.latencyMillis.p99, 1)} ms, errors ${result.errors}, non-2xx ${result.non2xx}, spans received ${result.spans}`)
  })
  for (const api of HTTP_APIS) httpRows(api, results)
}

const httpRows = (api: (typeof HTTP_APIS)[number], results: Record<string, ReadonlyArray<HttpRunResult>>) => {
  const scenario = `E4-2 http ${api}`
  const of = (variant: string) => results[`${api} ${variant}`] ?? []
  const rowsOf = (metric: string, unit: string, pick: (r: HttpRunResult) => number | undefined) =>
    Object.fromEntries(HTTP_VARIANTS.map((variant) => [variant, addRow({ scenario, variant, metric, unit, values: field(of(variant), pick) })]))
  const rps = rowsOf("req/s", "req/s", (r) => r.requestsPerSecond)
  const p99 = rowsOf("p99 latency", "ms", (r) => r.latencyMillis.p99)
  rowsOf("p50 latency", "ms", (r) => r.latencyMillis.p50)
  const cpu = rowsOf("server CPU per request", "µs", (r) => r.cpuMicrosPerRequest)
  rowsOf("server RSS at exit", "MB", (r) => r.rssMB)
  rowsOf("errors + non-2xx", "", (r) => r.errors + r.non2xx)
  for (const variant of HTTP_VARIANTS.slice(1)) {
    ratioOf(rps[variant]!, rps["plain-off"], "plain-off")
    ratioOf(cpu[variant]!, cpu["plain-off"], "plain-off")
  }
  againstPeers(scenario, "p99 latency", "ms", field(of("lingo-obs"), (r) => r.latencyMillis.p99), { nodesdk: p99["nodesdk"]!, otlp: p99["otlp"]! }, {})
  // Added CPU per request, taken between the runs of one interleaving round, then the median.
  const added = (variant: string, base: string) => {
    const bases = new Map(of(base).map((r) => [r.run, r.cpuMicrosPerRequest]))
    return field(of(variant), (r) => {
      const floor = bases.get(r.run)
      return r.cpuMicrosPerRequest === undefined || floor === undefined ? undefined : r.cpuMicrosPerRequest - floor
    })
  }
  for (const base of ["plain-off", "plain"] as const) {
    const metric = `added CPU per request vs ${base}`
    const peers = {
      nodesdk: addRow({ scenario, variant: "nodesdk", metric, unit: "µs", values: added("nodesdk", base) }),
      otlp: addRow({ scenario, variant: "otlp", metric, unit: "µs", values: added("otlp", base) })
    }
    // The targets are on what an exporter adds to a server with no tracing (plain-off).
    againstPeers(scenario, metric, "µs", added("lingo-obs", base), peers, base === "plain-off" ? { nodesdk: 0.5, otlp: 1.0 } : {})
  }
  for (const variant of ["otlp", "nodesdk", "lingo-obs"]) {
    const s = settings.http
    addRow({ scenario, variant, metric: "spans received / s of load", unit: "spans/s", values: field(of(variant), (r) => r.spans / ((s.durationMillis + s.warmupMillis) / 1000)) })
  }
}

// -------------------------------------------------------------------------------------------
// E4-3: collector outage, 8 s and 120 s
// -------------------------------------------------------------------------------------------

interface OutageResult {
  readonly created: number
  readonly tickMillis: ReturnType<typeof percentiles>
  readonly samples: ReadonlyArray<{ t: number; rssMB: number; heapMB: number; created: number }>
  readonly afterClose?: { exported: number; droppedQueueFull: number; droppedRetryExhausted: number; droppedShutdown: number; droppedFailure: number }
  readonly closeMillis: number
}

const outage = async (context: Context) => {
  const s = settings.outage
  const rate = (s.perTick / s.tickMillis) * 1000
  for (const [length, o] of [["short", s.short], ["long", s.long]] as const) {
    const scenario = `E4-3 outage ${o.outageMillis / 1000} s`
    if (o.runs === 0) {
      log(`\n== ${scenario}: left out (--quick)`)
      continue
    }
    log(`\n== ${scenario}: ${rate} spans/s for ${o.durationMillis / 1000} s, the receiver stopped ${o.stopAfterMillis / 1000} s in and started ${
      (o.stopAfterMillis + o.outageMillis) / 1000
    } s in; ${o.runs} run(s)`)
    const variants = ["lingo-obs", "otlp"] as const
    const results: Record<string, Array<Delivered<OutageResult>>> = {}
    await interleave(variants, o.runs, async (variant, index) => {
      const timers: Array<NodeJS.Timeout> = []
      const commands: Array<Promise<unknown>> = []
      await context.receiver.reset()
      const label = `e4-outage-${length}-${variant}`
      const dir = profileDir(label)
      const child: ChildResult<OutageResult> = await runChild<OutageResult>({
        script: effect4ScenarioPath("outage"),
        execPath: context.node,
        params: { variant, endpoints: endpointsOf(context.receiver), perTick: s.perTick, tickMillis: s.tickMillis, durationMillis: o.durationMillis },
        cpuProfileDir: dir,
        timeoutMillis: o.durationMillis + 120_000,
        onEvent: (event) => {
          if (event.name !== "started") return
          timers.push(setTimeout(() => commands.push(context.receiver.command("stop")), o.stopAfterMillis))
          timers.push(setTimeout(() => commands.push(context.receiver.command("start")), o.stopAfterMillis + o.outageMillis))
        }
      })
      timers.forEach(clearTimeout)
      await Promise.all(commands)
      const stats = await context.receiver.stats()
      await context.receiver.command("start") // up for the next variant, whatever happened
      summarizeProfiles(dir, label)
      if (!checkChild(label, child)) return
      const result = { ...child.result!, delivered: stats.spans, wallMillis: child.wallMillis }
      ;(results[variant] ??= []).push(result)
      keep(scenario, variant, result)
      const dropped = result.afterClose
      log(`  run ${index + 1} ${variant.padEnd(10)} created ${result.created}, delivered ${result.delivered}, lost ${result.created - result.delivered}${
        dropped === undefined ? "" : ` (counted: queue_full ${dropped.droppedQueueFull}, retry_exhausted ${dropped.droppedRetryExhausted}, shutdown ${dropped.droppedShutdown}, failed ${dropped.droppedFailure})`
      }, max RSS ${fmt(Math.max(...result.samples.map((x) => x.rssMB)))} MB, tick p99 ${fmt(result.tickMillis.p99, 2)} ms`)
    })
    outageRows(scenario, o, results)
  }
}

const outageRows = (
  scenario: string,
  o: { readonly stopAfterMillis: number; readonly outageMillis: number },
  results: Record<string, ReadonlyArray<Delivered<OutageResult>>>
) => {
  const lingo = results["lingo-obs"] ?? []
  const native = results["otlp"] ?? []
  const deliveredRow = addRow({ scenario, variant: "lingo-obs", metric: "delivered / created", unit: "", values: field(lingo, (r) => r.delivered / r.created) })
  addRow({ scenario, variant: "otlp", metric: "delivered / created", unit: "", values: field(native, (r) => r.delivered / r.created) })
  addRow({ scenario, variant: "lingo-obs", metric: "lost (created − received)", unit: "spans", values: field(lingo, (r) => r.created - r.delivered) })
  const nativeLost = addRow({ scenario, variant: "otlp", metric: "lost (created − received)", unit: "spans", values: field(native, (r) => r.created - r.delivered) })
  nativeLost.note = "native Otlp counts nothing: after 3 failed retries it drops its buffer and every span for 60 s"
  const counted = (r: OutageResult) => r.afterClose === undefined ? NaN : r.afterClose.droppedQueueFull + r.afterClose.droppedRetryExhausted + r.afterClose.droppedShutdown + r.afterClose.droppedFailure
  addRow({ scenario, variant: "lingo-obs", metric: "dropped, counted by its self-metrics", unit: "spans", values: field(lingo, counted) })
  const uncounted = addRow({ scenario, variant: "lingo-obs", metric: "lost and not counted (created − received − counted)", unit: "spans", values: field(lingo, (r) => r.created - r.delivered - counted(r)) })
  uncounted.target = "0"
  uncounted.met = uncounted.summary.n > 0 && uncounted.summary.max <= 0
  const maxRss = (r: OutageResult) => Math.max(...r.samples.map((sample) => sample.rssMB))
  addRow({ scenario, variant: "lingo-obs", metric: "max RSS", unit: "MB", values: lingo.map(maxRss) })
  addRow({ scenario, variant: "otlp", metric: "max RSS", unit: "MB", values: native.map(maxRss) })
  addRow({ scenario, variant: "lingo-obs", metric: "tick time p99 (50 spans)", unit: "ms", values: field(lingo, (r) => r.tickMillis.p99) })
  addRow({ scenario, variant: "otlp", metric: "tick time p99 (50 spans)", unit: "ms", values: field(native, (r) => r.tickMillis.p99) })
  if (o.outageMillis <= 10_000) {
    deliveredRow.target = "= 1 (outage < retry window)"
    deliveredRow.met = deliveredRow.summary.n > 0 && deliveredRow.summary.min === 1
    return
  }
  // Memory during the long outage: the RSS slope over its second half (the queue long full).
  const outageEnd = (o.stopAfterMillis + o.outageMillis) / 1000
  const halfway = o.stopAfterMillis / 1000 + o.outageMillis / 2000
  const secondHalf = (r: OutageResult) => {
    const points = r.samples.filter((sample) => sample.t >= halfway && sample.t <= outageEnd).map((sample) => [sample.t, sample.rssMB] as const)
    return points.length >= 3 ? slope(points) : undefined
  }
  const slopeRow = addRow({ scenario, variant: "lingo-obs", metric: "RSS slope, 2nd half of the outage", unit: "MB/s", values: field(lingo, secondHalf) })
  slopeRow.target = "flat (≤ 0.25 MB/s)"
  slopeRow.met = slopeRow.summary.n > 0 && slopeRow.summary.median <= 0.25
  addRow({ scenario, variant: "otlp", metric: "RSS slope, 2nd half of the outage", unit: "MB/s", values: field(native, secondHalf) })
}

// -------------------------------------------------------------------------------------------
// E4-4: start-up
// -------------------------------------------------------------------------------------------

interface StartupResult {
  readonly entryMillis: number
  readonly importMillis: number
  readonly buildMillis: number
  readonly closeMillis: number
}

const startup = async (context: Context) => {
  const scenario = "E4-4 startup"
  log(`\n== ${scenario}: process start to exit (import, layer build, one span, scope close), ${settings.startup.runs} runs`)
  const variants = ["none", "lingo-obs", "otlp", "nodesdk"] as const
  const results: Record<string, Array<StartupResult & { wallMillis: number }>> = {}
  await interleave(variants, settings.startup.runs, async (variant, index) => {
    const result = await runVariant<StartupResult>(context, `e4-startup-${variant}`, "startup", { variant, endpoints: endpointsOf(context.receiver), batch: context.batch }, 60_000)
    if (result === undefined) return
    ;(results[variant] ??= []).push(result)
    keep(scenario, variant, result)
    log(`  run ${index + 1} ${variant.padEnd(10)} process ${fmt(result.wallMillis)} ms (entry ${fmt(result.entryMillis)}, imports ${fmt(result.importMillis)}, layer ${
      fmt(result.buildMillis, 1)
    }, close ${fmt(result.closeMillis, 1)})`)
  })
  const rowsOf = (metric: string, pick: (r: StartupResult & { wallMillis: number }) => number) =>
    Object.fromEntries(variants.map((variant) => [variant, addRow({ scenario, variant, metric, unit: "ms", values: field(results[variant] ?? [], pick) })]))
  const wall = rowsOf("process wall", (r) => r.wallMillis)
  const imports = rowsOf("imports", (r) => r.importMillis)
  const build = rowsOf("layer build", (r) => r.buildMillis)
  const inProcess = rowsOf("imports + layer build", (r) => r.importMillis + r.buildMillis)
  for (const table of [wall, imports, build]) ratioOf(table["otlp"]!, table["nodesdk"], "nodesdk")
  ratioOf(wall["nodesdk"]!, wall["none"], "none")
  const peers = { nodesdk: wall["nodesdk"]!, otlp: wall["otlp"]! }
  againstPeers(scenario, "process wall", "ms", field(results["lingo-obs"] ?? [], (r) => r.wallMillis), peers, { nodesdk: 1.0 })
  const inPeers = { nodesdk: inProcess["nodesdk"]!, otlp: inProcess["otlp"]! }
  againstPeers(scenario, "imports + layer build", "ms", field(results["lingo-obs"] ?? [], (r) => r.importMillis + r.buildMillis), inPeers, { nodesdk: 1.0 })
}

// -------------------------------------------------------------------------------------------

export const run = async (context: Context) => {
  const selected = (id: string) => scenarioSelected(SCENARIOS.find((s) => s.id === id)!)
  log(`\n==== Effect 4 line (children on ${context.node})`)
  if (selected("1")) await spanCost(context)
  if (selected("2")) await http(context)
  if (selected("3")) await outage(context)
  if (selected("4")) await startup(context)
}
