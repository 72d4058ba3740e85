/**
 * The OpenTelemetry API globals (`metrics`, `logs`) a layer of the metrics and logs signals holds,
 * registered the Effect 3 line's way: the first holder wins (the API refuses a second
 * registration), a nested layer leaves it alone, and only the holder unregisters it when its scope
 * closes, so closing an inner layer keeps the outer one's. (Tracing keeps the same rule for
 * `context` and `trace` in its own module.)
 */
import * as Effect from "effect/Effect"

const held = new Set<"metrics" | "logs">()

export const register = (api: "metrics" | "logs", install: () => boolean, uninstall: () => void) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      if (held.has(api) || !install()) return false
      held.add(api)
      return true
    }),
    (registered) =>
      Effect.sync(() => {
        if (!registered) return
        uninstall()
        held.delete(api)
      })
  )
