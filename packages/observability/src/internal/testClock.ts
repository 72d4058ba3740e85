/**
 * Lets business code that sleeps run under `it.effect`: there the clock is Effect's TestClock, which
 * never moves by itself, so a 20 ms `Effect.sleep` waits until vitest's timeout. While the test
 * layer is up, a background fiber moves the TestClock to the next pending sleep whenever the
 * program waits on nothing else. Spans still measure the test's clock: a 20 ms sleep is a 20 ms
 * span, at once. Under `it.live` (a real clock) it does nothing.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"

const isTestClock = (clock: unknown): clock is TestClock.TestClock =>
  typeof clock === "object" && clock !== null && "sleeps" in clock && "setTime" in clock

/** One macrotask: other fibers and real I/O run before the clock is moved. */
const idle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

export const layer: Layer.Layer<never> = Layer.scopedDiscard(Effect.clockWith((clock) => {
  if (!isTestClock(clock)) return Effect.void
  const step = Effect.gen(function*() {
    yield* idle
    const pending = yield* clock.sleeps
    if (Chunk.isEmpty(pending)) return
    const next = Math.min(...pending)
    const now = yield* clock.currentTimeMillis
    if (next > now) yield* clock.setTime(next)
  })
  return Effect.forkScoped(Effect.forever(step)).pipe(Effect.asVoid)
}))
