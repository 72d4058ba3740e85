/**
 * Bounded, never-failing shutdown of a signal's pipeline, as on the Effect 3 line: flush what is
 * buffered, shut down, give up after the shutdown timeout, and log one line saying how it went.
 * A dead collector delays the end of a program by at most the timeout and never fails the scope.
 *
 * While a flush runs, a second SIGTERM/SIGINT (the first one started the shutdown through
 * `NodeRuntime.runMain`) logs one line saying what is not delivered and exits at once.
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
import type * as Scope from "effect/Scope"
import * as Diagnostics from "./Diagnostics.js"

/** What each live pipeline still holds, for the second-signal line. */
const held = new Set<() => string | undefined>()

/** Counts `describe` (e.g. `"120 spans"`) in the line a second signal logs, while the scope is open. */
export const trackHeld = (describe: () => string | undefined): Effect.Effect<void, never, Scope.Scope> =>
  Effect.asVoid(Effect.acquireRelease(Effect.sync(() => held.add(describe)), () => Effect.sync(() => held.delete(describe))))

const SIGNALS = ["SIGTERM", "SIGINT"] as const
const EXIT_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 }
let guards = 0
let onSignal: ((name: (typeof SIGNALS)[number]) => void) | undefined
let removeTimer: NodeJS.Timeout | undefined

/** Installs the second-signal handler while at least one flush runs (and a moment after, to bridge the next). */
const guard = (log: Diagnostics.Sink) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      guards++
      clearTimeout(removeTimer)
      if (onSignal !== undefined) return
      onSignal = (name) => {
        const parts = [...held].map((describe) => describe()).filter((part) => part !== undefined)
        // Written directly: the process exits before a forked log fiber would run.
        process.stderr.write(
          `second signal (${name}): exiting now, ${parts.length === 0 ? "nothing" : parts.join(", ")} not delivered\n`
        )
        log.log("warning", `second signal (${name}): exiting now`)
        process.exit(EXIT_CODES[name])
      }
      for (const name of SIGNALS) process.on(name, onSignal)
    }),
    () =>
      Effect.sync(() => {
        if (--guards > 0) return
        // The signals' flushes run one after another: keep listening across the gap between them.
        removeTimer = setTimeout(() => {
          if (guards > 0 || onSignal === undefined) return
          for (const name of SIGNALS) process.off(name, onSignal)
          onSignal = undefined
        }, 50).unref()
      })
  )

/** Runs `run` (a provider's or pipeline's shutdown) for at most `timeout`, logging how it went. */
export const bounded = (
  signal: string,
  timeout: Duration.Input,
  run: () => Promise<unknown>
): Effect.Effect<void> =>
  Effect.scoped(Effect.gen(function*() {
    yield* guard(yield* Diagnostics.sink({ signal: "all" }))
    const started = Date.now()
    // Finalizers run uninterruptibly; the flush itself must stay interruptible for the timeout to win.
    const outcome = yield* Effect.tryPromise(run).pipe(
      Effect.interruptible,
      Effect.timeoutOption(timeout),
      Effect.result
    )
    const elapsed = `${Date.now() - started}ms`
    if (outcome._tag === "Failure") {
      yield* Effect.logWarning(`${signal} pipeline shut down with an error after ${elapsed}: ${String(outcome.failure.cause)}`)
    } else if (Option.isNone(outcome.success)) {
      yield* Effect.logWarning(
        `${signal} pipeline did not finish flushing within ${Duration.format(Duration.fromInputUnsafe(timeout))}; unsent data was dropped`
      )
    } else {
      // The pipeline's own line says what was delivered and what was not.
      yield* Effect.logDebug(`${signal} provider shut down in ${elapsed}`)
    }
  })).pipe(Diagnostics.annotate({ signal }))
