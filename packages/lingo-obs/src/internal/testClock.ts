/**
 * Lets business code that sleeps run under `it.effect`: there the clock is Effect's TestClock,
 * which never moves by itself, so a 20 ms `Effect.sleep` waits until vitest's timeout. While the
 * test layer is up, a background fiber moves the TestClock to the next pending sleep whenever the
 * program waits on nothing else. Spans measure the test's clock: a 20 ms sleep is a 20 ms span, at
 * once. Under `it.live` (a real clock) it does nothing.
 *
 * Effect 4's `TestClock` interface has no public list of pending sleeps (Effect 3's had
 * `sleeps`); its implementation keeps them in `sleeps` (entries with a `timestamp`). That field is
 * read with a shape check: if a release drops it, `advance` is `undefined`, the layer fails
 * loudly, and the done-when test (a 20 ms child span) catches it.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as TestClock from "effect/testing/TestClock"

interface PendingSleeps {
  readonly sleeps: ReadonlyArray<{ readonly timestamp: number }>
}

const isTestClock = (clock: object): clock is TestClock.TestClock => "setTime" in clock && "adjust" in clock

const pendingSleeps = (clock: object): clock is PendingSleeps =>
  "sleeps" in clock && Array.isArray(clock.sleeps)

/** One macrotask: other fibers and real I/O run before the clock is moved. */
const idle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

export const layer: Layer.Layer<never> = Layer.effectDiscard(Effect.clockWith((clock) => {
  if (!isTestClock(clock)) return Effect.void
  if (!pendingSleeps(clock)) {
    return Effect.die(new Error("this effect's TestClock exposes no pending sleeps; pass advanceClock: false and use TestClock.adjust"))
  }
  const step = Effect.gen(function*() {
    yield* idle
    let next = Number.POSITIVE_INFINITY
    for (const sleep of clock.sleeps) next = Math.min(next, sleep.timestamp)
    if (next !== Number.POSITIVE_INFINITY && next > clock.currentTimeMillisUnsafe()) yield* clock.setTime(next)
  })
  return Effect.forkScoped(Effect.forever(step)).pipe(Effect.asVoid)
}))
