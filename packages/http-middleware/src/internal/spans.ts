/**
 * Span plumbing the middleware needs beyond `Effect.withSpan`: a span that starts at a moment
 * already past (the HTTP server span is opened once routing has named it, but its clock starts
 * when the request arrived), and ending a span with an exit chosen by the protocol (a 404 is a
 * failed Effect but not an errored span; a 500 response may come from a successful Effect).
 * Only Effect's tracing API is used, so whichever tracer is installed receives the spans.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Tracer from "effect/Tracer"

/** A clock that answers `startTime` to "now" and otherwise defers to `clock`. */
const clockAt = (clock: Clock.Clock, startTime: bigint): Clock.Clock =>
  Object.create(clock, {
    unsafeCurrentTimeNanos: { value: () => startTime },
    unsafeCurrentTimeMillis: { value: () => Number(startTime / 1_000_000n) },
    currentTimeNanos: { value: Effect.succeed(startTime) },
    currentTimeMillis: { value: Effect.succeed(Number(startTime / 1_000_000n)) }
  })

/**
 * `Effect.makeSpan`, optionally backdated to `startTime` (nanoseconds since the epoch, as
 * `Clock.currentTimeNanos` gives). The span honours everything `makeSpan` does (tracer enabled,
 * span annotations and links from the environment); the caller ends it with `end`.
 */
export const make = (
  name: string,
  options: Tracer.SpanOptions,
  startTime?: bigint | undefined
): Effect.Effect<Tracer.Span> => {
  const span = Effect.makeSpan(name, { captureStackTrace: false, ...options })
  return startTime === undefined ? span : Effect.clockWith((clock) => Effect.withClock(span, clockAt(clock, startTime)))
}

/** Ends `span` now with `exit`, which decides its status (failure: error, anything else: ok). */
export const end = (span: Tracer.Span, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeNanos, (now) =>
    Effect.sync(() => {
      if (span.status._tag === "Started") span.end(now, exit)
    }))

/** Sets the attributes whose value is defined. */
export const annotate = (span: Tracer.Span, attributes: Readonly<Record<string, unknown>>): void => {
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) span.attribute(key, value)
  }
}
