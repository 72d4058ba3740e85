/**
 * The OpenTelemetry API's process-wide registrations (tracer provider, context manager,
 * propagator, meter provider, logger provider), taken for the life of a scope and given back on
 * close. When one layer of this toolkit already holds one (two services in one process, as in
 * tests), the next simply does without it, instead of the API's "duplicate registration" error;
 * when another SDK holds it, the API reports that once, through the Effect logger.
 *
 * @example
 * ```ts
 * yield* Globals.register("trace", () => trace.setGlobalTracerProvider(provider), () => trace.disable())
 * ```
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

export type Api = "trace" | "context" | "propagation" | "metrics" | "logs"

const held = new Set<Api>()

/** Registers through `set` unless this toolkit holds `api` already; `unset` runs on scope close. */
export const register = (api: Api, set: () => boolean, unset: () => void): Effect.Effect<boolean, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      if (held.has(api)) return false
      const registered = set()
      if (registered) held.add(api)
      return registered
    }),
    (registered) =>
      Effect.sync(() => {
        if (!registered) return
        unset()
        held.delete(api)
      })
  )
