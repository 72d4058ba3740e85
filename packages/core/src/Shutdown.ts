/**
 * Bounded, never-failing shutdown of a signal's pipeline: flush what is buffered, shut down,
 * give up after the shutdown timeout, and log one line saying how it went. A dead collector
 * can delay the end of a program by at most the timeout; it can never fail the scope.
 *
 * @example
 * ```ts
 * yield* Effect.acquireRelease(makeProvider, (provider) =>
 *   Shutdown.bounded("traces", Duration.seconds(5), () => provider.shutdown()))
 * ```
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Diagnostics from "./Diagnostics.js"

export const bounded = (
  signal: string,
  timeout: Duration.DurationInput,
  run: () => Promise<unknown>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const started = Date.now()
    // Finalizers run uninterruptibly; the flush itself must stay interruptible for the timeout to win.
    const outcome = yield* Effect.tryPromise(run).pipe(
      Effect.interruptible,
      Effect.timeoutOption(timeout),
      Effect.either
    )
    const elapsed = `${Date.now() - started}ms`
    if (outcome._tag === "Left") {
      yield* Effect.logWarning(`${signal} pipeline shut down with an error after ${elapsed}: ${String(outcome.left.error)}`)
    } else if (Option.isNone(outcome.right)) {
      yield* Effect.logWarning(
        `${signal} pipeline did not finish flushing within ${Duration.format(Duration.decode(timeout))}; ` +
          `unsent data was dropped`
      )
    } else {
      // The pipeline's own line says what was delivered and what was not.
      yield* Effect.logDebug(`${signal} provider shut down in ${elapsed}`)
    }
  }).pipe(Diagnostics.annotate({ signal }))
