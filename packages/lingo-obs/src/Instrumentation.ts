/**
 * What the config says about instrumentation (the middleware of `lingo-obs/http` and
 * `lingo-obs/grpc`): whether request metrics are recorded, for gRPC at all, and for health checks;
 * and the exit that ends a span with its status Unset. A reference with a default, provided from
 * the config by the Observability layer.
 *
 * @example
 * ```ts
 * const settings = yield* Instrumentation.Settings
 * if (settings.requestMetrics) yield* RequestMetrics.recordHttpServer(attributes, seconds)
 * ```
 */
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Config from "./config/Config.js"

export interface SettingsShape {
  /** Request metrics at all (`metrics.enabled` and an exporter other than `none`). */
  readonly requestMetrics: boolean
  /** gRPC server and client metrics (`metrics.grpcEnabled`). */
  readonly grpcMetrics: boolean
  /** Count `/grpc.health.v1.Health/Check` calls too (`metrics.grpcIncludeHealth`). */
  readonly grpcIncludeHealth: boolean
  /** Also the RPC metrics of semantic conventions 1.37 (`metrics.legacyRpcMetrics`). */
  readonly legacyRpcMetrics: boolean
}

export const fromConfig = (config: Config.MetricsConfig): SettingsShape => ({
  requestMetrics: config.enabled && config.exporter !== "none",
  grpcMetrics: config.grpcEnabled,
  grpcIncludeHealth: config.grpcIncludeHealth,
  legacyRpcMetrics: config.legacyRpcMetrics
})

/** The settings in force; the Observability layer provides them from `metrics`. */
export const Settings = Context.Reference<SettingsShape>("lingo-obs/Instrumentation/Settings", {
  defaultValue: () => ({ requestMetrics: true, grpcMetrics: true, grpcIncludeHealth: false, legacyRpcMetrics: false })
})

/** Provides the settings of a metrics config section. */
export const layer = (config: Config.MetricsConfig): Layer.Layer<never> => Layer.succeed(Settings, fromConfig(config))

/**
 * The success value an instrumentation ends a span with when the outcome is not its to judge as
 * OK (a server span answered below 5xx): the semantic conventions leave such a span's status Unset.
 * The registered symbol of the Effect 3 line, so both lines' tracers agree on it.
 */
export const STATUS_UNSET: unique symbol = Symbol.for("@lingo-obs/core/Instrumentation/STATUS_UNSET")

/** The exit that ends a span with its status Unset. */
export const unsetExit: Exit.Exit<typeof STATUS_UNSET> = Exit.succeed(STATUS_UNSET)
