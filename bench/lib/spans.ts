/** What the measured programs do and how they are named; imports only `effect`. */
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"

/** The service name every set-up reports. */
export const SERVICE = "lingo-obs-bench"

/** Any set-up's layer: the programs measured here need none of its services, only its tracer. */
export type AnyLayer = Layer.Layer<never, unknown>

/** One parent span with one child: two spans, depth 2 (built per call, as business code does). */
export const spanPair: Effect.Effect<void> = Effect.suspend(() =>
  Effect.void.pipe(Effect.withSpan("child"), Effect.withSpan("parent"))
)
