/**
 * What the config says about instrumentation (the middleware of `@lingo-obs/http-middleware`):
 * whether request metrics are recorded, for gRPC at all, and for health checks. An Effect
 * service with a default, provided from the config by the Observability layer.
 *
 * @example
 * ```ts
 * const settings = yield* Instrumentation.Settings
 * if (settings.grpcMetrics) yield* Metric.update(rpcServerCallDuration, seconds)
 * ```
 */
import * as InstrumentationSettings from "@lingo-obs/otlp/InstrumentationSettings"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Config from "./config/Config.js"

/** The settings themselves (the engine's, shared with the Effect 4 line). */
export type SettingsShape = InstrumentationSettings.Settings

/** The settings a metrics config section describes. */
export const fromConfig: (config: Config.MetricsConfig) => SettingsShape = InstrumentationSettings.fromMetrics

export class Settings extends Context.Reference<Settings>()("@lingo-obs/core/Instrumentation/Settings", {
  defaultValue: (): SettingsShape => InstrumentationSettings.DEFAULTS
}) {}

/** Provides the settings of a metrics config section. */
export const layer = (config: Config.MetricsConfig): Layer.Layer<Settings> =>
  Layer.succeed(Settings, fromConfig(config))

/**
 * The success value an instrumentation ends a span with when the outcome is not its to judge as
 * OK: a server span answered below 5xx, a gRPC call that ended without a server error. The
 * semantic conventions leave such a span's status Unset ("instrumentation SHOULD NOT set status
 * code to Ok"); the toolkit's tracer reads this value and does so, where a plain success is OK.
 * A registered symbol, so that every copy of the packages agrees on it.
 */
export const STATUS_UNSET: unique symbol = Symbol.for("@lingo-obs/core/Instrumentation/STATUS_UNSET")

/**
 * The exit that ends a span with its status Unset.
 *
 * @example
 * ```ts
 * span.end(endTime, status < 500 ? Instrumentation.unsetExit : Exit.fail(error))
 * ```
 */
export const unsetExit: Exit.Exit<typeof STATUS_UNSET> = Exit.succeed(STATUS_UNSET)
