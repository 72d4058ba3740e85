/**
 * Bounded, never-failing shutdown of a signal's pipeline: flush what is buffered, shut down,
 * give up after the shutdown timeout, and log one line saying how it went. A dead collector
 * can delay the end of a program by at most the timeout; it can never fail the scope.
 *
 * While a flush runs, a second SIGTERM/SIGINT (the first one started the shutdown, e.g. through
 * `NodeRuntime.runMain`, which stops listening after it) logs one line saying what is not
 * delivered and exits at once, instead of Node's silent default kill.
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
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Diagnostics from "./Diagnostics.js"

/** What each live pipeline still holds, for the second-signal line. */
const held = new Set<() => string | undefined>()

/**
 * Counts `describe` (e.g. `"120 spans"`, or `undefined` when nothing is held) in the line a
 * second signal logs, while the scope is open.
 */
export const trackHeld = (describe: () => string | undefined): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(() => held.add(describe)), () => Effect.sync(() => held.delete(describe))).pipe(
    Effect.asVoid
  )

const SIGNALS = ["SIGTERM", "SIGINT"] as const
const EXIT_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 }
let guards = 0
let onSignal: ((name: (typeof SIGNALS)[number]) => void) | undefined
let removeTimer: NodeJS.Timeout | undefined

/** Installs the second-signal handler while at least one flush runs (and a moment after, to bridge the next). */
const guard = (log: (message: string) => void) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      guards++
      clearTimeout(removeTimer)
      if (onSignal !== undefined) return
      onSignal = (name) => {
        const parts = [...held].map((describe) => describe()).filter((part) => part !== undefined)
        log(`second signal (${name}): exiting now, ${parts.length === 0 ? "nothing" : parts.join(", ")} not delivered`)
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

export const bounded = (
  signal: string,
  timeout: Duration.DurationInput,
  run: () => Promise<unknown>
): Effect.Effect<void> =>
  Effect.scoped(Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    yield* guard((message) =>
      Runtime.runSync(runtime)(Effect.logWarning(message).pipe(Diagnostics.annotate({ signal: "all" })))
    )
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
  })).pipe(Diagnostics.annotate({ signal }))
