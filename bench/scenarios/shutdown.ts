/**
 * Scenario 4b (shutdown): `spans` spans are created in one synchronous loop (so they are all
 * still pending), then the scope close is timed: the flush of pending spans to a live receiver,
 * or, with a dead endpoint, how long the close waits before giving up.
 *
 * Variants: `toolkit` (with an optional `shutdownTimeout`), `nodesdk` (same batch settings).
 */
import * as Effect from "effect/Effect"
import { exit, millisSince, now, params, result } from "../lib/protocol.js"
import { countersOf, effectLayer } from "../lib/setups.js"
import { spanPair } from "../lib/spans.js"
import type { Counters } from "../lib/toolkit.js"
import type { Batch } from "../lib/peers.js"

interface Params {
  readonly variant: "toolkit" | "nodesdk"
  readonly endpoint: string
  readonly spans: number
  readonly shutdownTimeout?: string | undefined
  /** NodeSdk's batch settings (the toolkit's defaults). */
  readonly batch: Batch
}

const p = params<Params>()

const main = async () => {
  let bodyEnd = 0n
  let createMillis = 0
  let countersBeforeClose: Counters | undefined
  const body = Effect.gen(function*() {
    const start = now()
    for (let i = 0; i < p.spans / 2; i++) yield* spanPair
    createMillis = millisSince(start)
    countersBeforeClose = yield* Effect.promise(() => countersOf(p.variant))
    bodyEnd = now()
  })
  const layer = await effectLayer(p.variant, p.endpoint, {
    batch: p.batch,
    toolkit: { shutdownTimeout: p.shutdownTimeout },
    shutdownTimeoutMillis: p.shutdownTimeout === undefined ? 5_000 : Number.parseFloat(p.shutdownTimeout) * 1000
  })
  await Effect.runPromise(body.pipe(Effect.provide(layer), Effect.orDie))
  const closeMillis = Number(now() - bodyEnd) / 1e6
  result({
    variant: p.variant,
    spans: p.spans,
    createMillis,
    closeMillis,
    beforeClose: countersBeforeClose,
    afterClose: await countersOf(p.variant)
  })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
