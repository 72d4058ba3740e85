/**
 * Effect 4, span cost: `spans` spans (a parent with one child, `Effect.withSpan` built per call)
 * in one Effect loop after a warm-up, one event-loop turn every `yieldEvery` spans (as a service
 * gets between requests, so exports run while the loop does); wall and CPU time per span, then the
 * scope close (the flush) timed. The CPU counted from the start of the measured loop to the end of
 * the scope close is what the spans cost with their export.
 */
import * as Effect from "effect/Effect"
import { cpuMicrosSince, exit, mark, millisSince, now, params, result } from "../../lib/protocol.js"
import { type Batch, type Endpoints, layerOf, type Variant } from "../lib/setups.js"
import { spanPair } from "../lib/spans.js"

interface Params {
  readonly variant: Variant
  readonly endpoints: Endpoints
  readonly spans: number
  readonly warmupSpans: number
  readonly yieldEvery: number
  readonly batch: Batch
}

const p = params<Params>()

/** One turn of the event loop (its I/O included). */
const turn = Effect.callback<void>((resume) => void setImmediate(() => resume(Effect.void)))

const pairs = (count: number) =>
  Effect.gen(function*() {
    const pairsPerTurn = p.yieldEvery > 0 ? Math.max(1, Math.round(p.yieldEvery / 2)) : 0
    for (let i = 0; i < count / 2; i++) {
      yield* spanPair
      if (pairsPerTurn > 0 && (i + 1) % pairsPerTurn === 0) yield* turn
    }
  })

const main = async () => {
  const layer = await layerOf(p.variant, p.endpoints, { batch: p.batch })
  let cpuStart: NodeJS.CpuUsage | undefined
  let loopMillis = 0
  let loopCpuMicros = 0
  let bodyEnd = 0n
  const body = Effect.gen(function*() {
    yield* pairs(p.warmupSpans)
    cpuStart = process.cpuUsage()
    mark("windowStart")
    const start = now()
    yield* pairs(p.spans)
    loopMillis = millisSince(start)
    mark("windowEnd")
    loopCpuMicros = cpuMicrosSince(cpuStart)
    bodyEnd = now()
  })
  await Effect.runPromise(body.pipe(Effect.provide(layer), Effect.orDie))
  const closeMillis = Number(now() - bodyEnd) / 1e6
  const totalCpuMicros = cpuMicrosSince(cpuStart!)
  result({
    variant: p.variant,
    created: p.warmupSpans + p.spans,
    nsPerSpan: (loopMillis * 1e6) / p.spans,
    cpuNsPerSpan: (loopCpuMicros * 1e3) / p.spans,
    totalCpuNsPerSpan: (totalCpuMicros * 1e3) / p.spans,
    closeMillis,
    rssMB: process.memoryUsage.rss() / 2 ** 20
  })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
