/**
 * The OpenTelemetry API globals (`metrics`, `logs`) a layer of the metrics and logs signals holds,
 * registered the Effect 3 line's way: the first holder wins (the API refuses a second
 * registration), a nested layer leaves it alone, and only the holder unregisters it when its scope
 * closes, so closing an inner layer keeps the outer one's. (Tracing's own `globalFor`, with the
 * same rule for `context` and `trace`, can use this module too.)
 */
import * as Effect from "effect/Effect"

/** The OpenTelemetry API globals the signals register. */
export type Api = "context" | "trace" | "metrics" | "logs"

const held = new Set<Api>()

export const register = (api: Api, install: () => boolean, uninstall: () => void) =>
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
