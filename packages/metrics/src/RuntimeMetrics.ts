/**
 * Node runtime metrics (the engine's `RuntimeMetrics`: event loop, V8 heap and GC, process CPU
 * and memory, named by the semantic conventions) registered for the life of a scope.
 *
 * @example
 * ```ts
 * import { RuntimeMetrics } from "@lingo-obs/metrics"
 *
 * // in a scope, with a MeterProvider of your own (Metrics.layer does this unless disableRuntimeStats)
 * yield* RuntimeMetrics.register(meterProvider)
 * ```
 */
import type * as OtelApi from "@opentelemetry/api"
import * as RuntimeMetrics from "@lingo-obs/otlp/RuntimeMetrics"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

export { METRICS, type MetricName, type Options, SCOPE } from "@lingo-obs/otlp/RuntimeMetrics"

/**
 * Starts sampling and registers the runtime instruments on a meter of `meterProvider`; sampling
 * stops and the instruments stop reporting when the scope closes.
 *
 * @example
 * ```ts
 * const provider = new MeterProvider({ readers: [reader] })
 * yield* RuntimeMetrics.register(provider)
 * ```
 */
export const register = (
  meterProvider: OtelApi.MeterProvider,
  options: RuntimeMetrics.Options = {}
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => RuntimeMetrics.start(meterProvider, options)),
    (stop) => Effect.sync(stop)
  ).pipe(Effect.asVoid)
