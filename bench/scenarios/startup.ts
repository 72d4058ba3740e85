/**
 * Scenario 4a (startup): a process that starts, builds its layer, runs one trivial effect and
 * exits. The orchestrator times the whole process; inside, this reports when the entry module
 * began (Node and tsx boot), how long the imports took, the layer build, and the scope close.
 *
 * Variants: `bare` (Effect only, no layer), `toolkit` (Observability.layer exporting traces to the
 * receiver, metrics off, as in scenario 1), `nodesdk` (@effect/opentelemetry NodeSdk + OTLP/gRPC).
 * Imports are dynamic so that each variant loads only what it uses.
 */
import { performance } from "node:perf_hooks"
import { exit, params, result } from "../lib/protocol.js"

interface Params {
  readonly variant: "bare" | "toolkit" | "nodesdk"
  readonly endpoint: string
  readonly batch: import("../lib/peers.js").Batch
}

const p = params<Params>()
const entryMillis = performance.now()

const main = async () => {
  const importStart = performance.now()
  const Effect = await import("effect/Effect")
  const Layer = await import("effect/Layer")
  let layer: import("../lib/spans.js").AnyLayer = Layer.empty
  if (p.variant === "toolkit") {
    const { toolkitLayer } = await import("../lib/toolkit.js")
    layer = toolkitLayer(p.endpoint)
  } else if (p.variant === "nodesdk") {
    const { nodeSdkLayer } = await import("../lib/peers.js")
    layer = nodeSdkLayer(p.endpoint, p.batch)
  }
  const importMillis = performance.now() - importStart
  let built = 0
  let bodyEnd = 0
  const program = Effect.suspend(() => {
    built = performance.now()
    return Effect.void.pipe(Effect.withSpan("trivial"), Effect.tap(() => void (bodyEnd = performance.now())))
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
