/**
 * Scenario 1 (span cost) and 1b (sustained rate, burst), one variant per process.
 *
 * - `loop`: `spans` spans, depth 2 (a parent with one child), created in one Effect loop after a
 *   short warm-up; wall and CPU time per span, then the scope close (flush) timed. Every
 *   `yieldEvery` spans the loop gives the event loop one turn (`setImmediate`), as a service does
 *   between requests, so each pipeline exports while the program runs (0: never, the loop
 *   starves the event loop and exports run at scope close).
 * - `paced`: `perTick` spans every `tickMillis` for `durationMillis` (20k spans/s by default),
 *   each tick's creation timed, the event loop given a turn between ticks even when late; the
 *   achieved rate is reported, since a slow machine may not keep up.
 * - `burst`: `spans` spans at once, then the program idles for `idleMillis` before its scope closes.
 *
 * Variants: `toolkit` (Observability.layer), `nodesdk` (@effect/opentelemetry NodeSdk + stock
 * OTLP/gRPC exporter), `sdk` (plain SDK `tracer.startActiveSpan`), `none` (Effect, no tracer layer).
 */
import * as OtelApi from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import { cpuMicrosSince, exit, mark, millisSince, now, params, result } from "../lib/protocol.js"
import type { Batch } from "../lib/peers.js"
import { countersOf, effectLayer, type EffectVariant } from "../lib/setups.js"
import { spanPair } from "../lib/spans.js"
import { percentiles } from "../lib/stats.js"

interface Params {
  readonly variant: EffectVariant | "sdk"
  readonly endpoint: string
  readonly mode: "loop" | "paced" | "burst"
  readonly spans: number
  readonly warmupSpans: number
  readonly perTick: number
  readonly tickMillis: number
  readonly durationMillis: number
  readonly idleMillis: number
  readonly batch: Batch
  /** In `loop` mode: one event-loop turn every this many spans (0: none). */
  readonly yieldEvery?: number
}

const p = params<Params>()

interface Measured {
  created: number
  /** CPU usage when the measured part began, to count the export work done at scope close too. */
  cpuStart?: NodeJS.CpuUsage
  flushError?: string
  loopMillis?: number
  loopCpuMicros?: number
  measuredSpans?: number
  tickMillis?: ReturnType<typeof percentiles>
  achievedPerSecond?: number
  lateTicks?: number
}

// -------------------------------------------------------------------------------------------
// Effect variants
// -------------------------------------------------------------------------------------------

/** One turn of the event loop (its I/O included), as a service gets between requests. */
const turn = Effect.async<void>((resume) => void setImmediate(() => resume(Effect.void)))

const pairs = (count: number, yieldEvery = 0) =>
  Effect.gen(function*() {
    const pairsPerTurn = yieldEvery > 0 ? Math.max(1, Math.round(yieldEvery / 2)) : 0
    for (let i = 0; i < count / 2; i++) {
      yield* spanPair
      if (pairsPerTurn > 0 && (i + 1) % pairsPerTurn === 0) yield* turn
    }
  })

const effectLoop = (measured: Measured) =>
  Effect.gen(function*() {
    yield* pairs(p.warmupSpans, p.yieldEvery)
    const cpu = process.cpuUsage()
    measured.cpuStart = cpu
    mark("windowStart")
    const start = now()
    yield* pairs(p.spans, p.yieldEvery)
    measured.loopMillis = millisSince(start)
    mark("windowEnd")
    measured.loopCpuMicros = cpuMicrosSince(cpu)
    measured.measuredSpans = p.spans
    measured.created = p.warmupSpans + p.spans
  })

const effectPaced = (measured: Measured) =>
  Effect.gen(function*() {
    const ticks = Math.round(p.durationMillis / p.tickMillis)
    const times: Array<number> = []
    let late = 0
    measured.cpuStart = process.cpuUsage()
    const start = now()
    for (let tick = 0; tick < ticks; tick++) {
      // Always a real turn of the event loop between ticks (a timer, even when late), as a
      // service gets between requests: that is where exports run.
      const wait = tick * p.tickMillis - millisSince(start)
      if (wait <= 0) late++
      yield* Effect.sleep(Math.max(0, wait))
      const t = now()
      yield* pairs(p.perTick)
      times.push(millisSince(t))
    }
    const elapsed = millisSince(start)
    measured.created = ticks * p.perTick
    measured.tickMillis = percentiles(times)
    measured.achievedPerSecond = measured.created / (elapsed / 1000)
    measured.lateTicks = late
  })

const effectBurst = (measured: Measured) =>
  Effect.gen(function*() {
    const start = now()
    yield* pairs(p.spans)
    measured.loopMillis = millisSince(start)
    measured.created = p.spans
    yield* Effect.sleep(p.idleMillis)
  })

const runEffect = async (variant: EffectVariant) => {
  const measured: Measured = { created: 0 }
  const body = p.mode === "loop" ? effectLoop(measured) : p.mode === "paced" ? effectPaced(measured) : effectBurst(measured)
  let bodyEnd = 0n
  const start = now()
  let built = 0n
  const layer = await effectLayer(variant, p.endpoint, { batch: p.batch })
  await Effect.runPromise(
    Effect.sync(() => void (built = now())).pipe(
      Effect.zipRight(body),
      Effect.zipRight(Effect.sync(() => void (bodyEnd = now()))),
      Effect.provide(layer),
      Effect.orDie
    )
  )
  const closeMillis = Number(now() - bodyEnd) / 1e6
  return { ...measured, buildMillis: Number(built - start) / 1e6, closeMillis }
}

// -------------------------------------------------------------------------------------------
// Plain SDK
// -------------------------------------------------------------------------------------------

const runSdk = async () => {
  const { sdkProvider } = await import("../lib/peers.js")
  const provider = sdkProvider(p.endpoint, p.batch)
  const tracer = OtelApi.trace.getTracer("bench")
  const pair = () =>
    tracer.startActiveSpan("parent", (parent) => {
      tracer.startActiveSpan("child", (child) => child.end())
      parent.end()
    })
  const loop = (count: number) => {
    for (let i = 0; i < count / 2; i++) pair()
  }
  const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))
  const measured: Measured = { created: 0 }
  if (p.mode === "loop") {
    loop(p.warmupSpans)
    const cpu = process.cpuUsage()
    measured.cpuStart = cpu
    mark("windowStart")
    const start = now()
    loop(p.spans)
    measured.loopMillis = millisSince(start)
    mark("windowEnd")
    measured.loopCpuMicros = cpuMicrosSince(cpu)
    measured.measuredSpans = p.spans
    measured.created = p.warmupSpans + p.spans
  } else if (p.mode === "paced") {
    const ticks = Math.round(p.durationMillis / p.tickMillis)
    const times: Array<number> = []
    let late = 0
    measured.cpuStart = process.cpuUsage()
    const start = now()
    for (let tick = 0; tick < ticks; tick++) {
      const wait = tick * p.tickMillis - millisSince(start)
      if (wait <= 0) late++
      await sleep(Math.max(0, wait))
      const t = now()
      loop(p.perTick)
      times.push(millisSince(t))
    }
    measured.created = ticks * p.perTick
    measured.tickMillis = percentiles(times)
    measured.achievedPerSecond = measured.created / (millisSince(start) / 1000)
    measured.lateTicks = late
  } else {
    const start = now()
    loop(p.spans)
    measured.loopMillis = millisSince(start)
    measured.created = p.spans
    await sleep(p.idleMillis)
  }
  const closing = now()
  // As NodeSdk's finalizer does: flush, then shut down. A failed flush is reported, not thrown.
  try {
    await provider.forceFlush()
  } catch (error) {
    measured.flushError = String(error)
  }
  try {
    await provider.shutdown()
  } catch (error) {
    measured.flushError ??= String(error)
  }
  return { ...measured, closeMillis: millisSince(closing) }
}

const main = async () => {
  const measured = p.variant === "sdk" ? await runSdk() : await runEffect(p.variant)
  const { cpuStart, ...rest } = measured
  // All the CPU the spans cost, their export included (the scope close is part of it).
  const cpuNsPerCreatedSpan = cpuStart === undefined ? undefined : (cpuMicrosSince(cpuStart) * 1e3) / measured.created
  const perSpan = measured.measuredSpans === undefined ? {} : {
    nsPerSpan: (measured.loopMillis! * 1e6) / measured.measuredSpans,
    cpuNsPerSpan: (measured.loopCpuMicros! * 1e3) / measured.measuredSpans,
    // The loop and the scope close (where most exporting happens): what the spans cost in all.
    totalNsPerSpan: ((measured.loopMillis! + measured.closeMillis) * 1e6) / measured.measuredSpans,
    totalCpuNsPerSpan: cpuStart === undefined ? undefined : (cpuMicrosSince(cpuStart) * 1e3) / measured.measuredSpans
  }
  result({
    variant: p.variant,
    mode: p.mode,
    ...rest,
    ...perSpan,
    cpuNsPerCreatedSpan,
    selfMetrics: await countersOf(p.variant),
    rssMB: process.memoryUsage().rss / 2 ** 20
  })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
