/**
 * Scenario 3 (collector down): the toolkit creates `perTick` spans every `tickMillis` (5k spans/s
 * by default) for `durationMillis`, while the orchestrator stops (and, in the `restart` variant,
 * restarts) the receiver. Every second the RSS is sampled, with the pipeline's queue size; each
 * tick's creation is timed (the app's own latency). At the end the self-metrics tell how many
 * spans were dropped and why; then the scope closes (flush within the shutdown timeout).
 *
 * The child emits `started` when the load begins; the orchestrator times its commands from it.
 */
import * as Effect from "effect/Effect"
import { event, exit, millisSince, now, params, result } from "../lib/protocol.js"
import { spanPair } from "../lib/spans.js"
import { type Counters, queueSize, toolkitCounters, toolkitLayer } from "../lib/toolkit.js"
import { percentiles } from "../lib/stats.js"

interface Params {
  readonly endpoint: string
  readonly perTick: number
  readonly tickMillis: number
  readonly durationMillis: number
  readonly shutdownTimeout: string
}

const p = params<Params>()

const main = async () => {
  const samples: Array<{ t: number; rssMB: number; heapMB: number; queue: number; created: number }> = []
  const tickTimes: Array<number> = []
  let created = 0
  let late = 0
  let bodyEnd = 0n
  let countersBeforeClose: Counters | undefined
  const load = Effect.gen(function*() {
    const ticks = Math.round(p.durationMillis / p.tickMillis)
    const start = now()
    const sample = () =>
      samples.push({
        t: millisSince(start) / 1000,
        rssMB: process.memoryUsage.rss() / 2 ** 20,
        heapMB: process.memoryUsage().heapUsed / 2 ** 20,
        queue: queueSize(),
        created
      })
    sample()
    const sampler = setInterval(sample, 1000)
    event("started")
    for (let tick = 0; tick < ticks; tick++) {
      const wait = tick * p.tickMillis - millisSince(start)
      if (wait <= 0) late++
      yield* Effect.sleep(Math.max(0, wait))
      const t = now()
      for (let i = 0; i < p.perTick / 2; i++) yield* spanPair
      tickTimes.push(millisSince(t))
      created += p.perTick
    }
    clearInterval(sampler)
    sample()
    countersBeforeClose = toolkitCounters()
    event("loadDone")
    bodyEnd = now()
  })
  await Effect.runPromise(load.pipe(Effect.provide(toolkitLayer(p.endpoint, { shutdownTimeout: p.shutdownTimeout })), Effect.orDie))
  const closeMillis = Number(now() - bodyEnd) / 1e6
  result({
    created,
    lateTicks: late,
    tickMillis: percentiles(tickTimes),
    samples,
    beforeClose: countersBeforeClose,
    afterClose: toolkitCounters(),
    closeMillis,
    rssEndMB: process.memoryUsage.rss() / 2 ** 20
  })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
