/**
 * Effect 4, start-up: a process that imports, builds its layer, runs one trivial effect (one span)
 * and exits. The orchestrator times the whole process; inside, this reports when the entry module
 * began (Node's boot), the imports, the layer build and the scope close. Imports are dynamic so
 * that each variant loads only what it uses.
 */
import { performance } from "node:perf_hooks"
import { exit, params, result } from "../../lib/protocol.js"
import type { Batch, Endpoints, Variant } from "../lib/setups.js"

interface Params {
  readonly variant: Variant
  readonly endpoints: Endpoints
  readonly batch: Batch
}

const p = params<Params>()
const entryMillis = performance.now()

const main = async () => {
  const importStart = performance.now()
  const Effect = await import("effect/Effect")
  const { layerOf } = await import("../lib/setups.js")
  const layer = await layerOf(p.variant, p.endpoints, { batch: p.batch })
  const importMillis = performance.now() - importStart
  let built = 0
  let bodyEnd = 0
  const program = Effect.suspend(() => {
    built = performance.now()
    return Effect.void.pipe(Effect.withSpan("trivial"), Effect.tap(() => Effect.sync(() => void (bodyEnd = performance.now()))))
  })
  const buildStart = performance.now()
  await Effect.runPromise(program.pipe(Effect.provide(layer), Effect.orDie))
  const closed = performance.now()
  result({
    variant: p.variant,
    entryMillis,
    importMillis,
    buildMillis: built - buildStart,
    closeMillis: closed - bodyEnd,
    inProcessMillis: closed
  })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
