/**
 * Effect 4, collector outage: `perTick` spans every `tickMillis` (a steady rate) for
 * `durationMillis`, while the orchestrator stops the receiver and starts it again (an outage of
 * 8 s or 120 s). Every second the RSS and heap are sampled. At the end, lingo-obs's self-metrics
 * say how many spans it dropped and why (native `Otlp` keeps no count: the orchestrator counts what
 * did not arrive); then the scope closes (flush within each exporter's shutdown timeout).
 *
 * Emits `started` when the load begins; the orchestrator times its commands from it.
 */
import type { CounterName } from "@lingo-obs/otlp/SelfMetrics"
import * as Effect from "effect/Effect"
import { event, exit, millisSince, now, params, result } from "../../lib/protocol.js"
import { percentiles } from "../../lib/stats.js"
import { type Endpoints, layerOf, type Variant } from "../lib/setups.js"
import { spanPair } from "../lib/spans.js"

interface Params {
  readonly variant: Extract<Variant, "lingo-obs" | "otlp">
  readonly endpoints: Endpoints
  readonly perTick: number
  readonly tickMillis: number
  readonly durationMillis: number
}

const p = params<Params>()

/** lingo-obs's trace counters (the engine's self-metrics), read in this process. */
const counters = async () => {
  if (p.variant !== "lingo-obs") return undefined
  const SelfMetrics = await import("@lingo-obs/otlp/SelfMetrics")
  const traces = (name: CounterName, attribute: string, value: string) =>
    SelfMetrics.value(name, { signal: "traces", [attribute]: value })
  return {
    exported: traces("lingo_obs.exporter.items", "outcome", "exported"),
    droppedQueueFull: traces("lingo_obs.queue.dropped", "reason", "queue_full"),
    droppedRetryExhausted: traces("lingo_obs.queue.dropped", "reason", "retry_exhausted"),
    droppedShutdown: traces("lingo_obs.queue.dropped", "reason", "shutdown"),
    droppedFailure: traces("lingo_obs.queue.dropped", "reason", "permanent_failure") + traces("lingo_obs.queue.dropped", "reason", "unexpected_failure")
  }
}

const main = async () => {
  const samples: Array<{ t: number; rssMB: number; heapMB: number; created: number }> = []
  const tickTimes: Array<number> = []
  let created = 0
  let bodyEnd = 0n
  const layer = await layerOf(p.variant, p.endpoints, { shutdownTimeout: "5s" })
  const load = Effect.gen(function*() {
    const ticks = Math.round(p.durationMillis / p.tickMillis)
    const start = now()
    const sample = () =>
      samples.push({
        t: millisSince(start) / 1000,
        rssMB: process.memoryUsage.rss() / 2 ** 20,
        heapMB: process.memoryUsage().heapUsed / 2 ** 20,
        created
      })
    sample()
    const sampler = setInterval(sample, 1000)
    event("started")
    for (let tick = 0; tick < ticks; tick++) {
      yield* Effect.sleep(Math.max(0, tick * p.tickMillis - millisSince(start)))
      const t = now()
      for (let i = 0; i < p.perTick / 2; i++) yield* spanPair
      tickTimes.push(millisSince(t))
      created += p.perTick
    }
    clearInterval(sampler)
    sample()
    event("loadDone")
    bodyEnd = now()
  })
  await Effect.runPromise(load.pipe(Effect.provide(layer), Effect.orDie))
  const closeMillis = Number(now() - bodyEnd) / 1e6
  result({
    variant: p.variant,
    created,
    tickMillis: percentiles(tickTimes),
    samples,
    afterClose: await counters(),
    closeMillis
  })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
