/** What the Effect 4 programs measure; imports only `effect`. */
import * as Effect from "effect/Effect"

/** One parent span with one child: two spans, depth 2 (built per call, as business code does). */
export const spanPair: Effect.Effect<void> = Effect.suspend(() =>
  Effect.void.pipe(Effect.withSpan("child"), Effect.withSpan("parent"))
)
