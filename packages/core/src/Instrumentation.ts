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
import * as Context from "effect/Context"
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
  readonly legacyRpcMetrics?: boolean | undefined
}

export const fromConfig = (config: Config.MetricsConfig): SettingsShape => ({
  requestMetrics: config.enabled && config.exporter !== "none",
  grpcMetrics: config.grpcEnabled,
  grpcIncludeHealth: config.grpcIncludeHealth,
  legacyRpcMetrics: config.legacyRpcMetrics
})

export class Settings extends Context.Reference<Settings>()("@lingo-obs/core/Instrumentation/Settings", {
  defaultValue: (): SettingsShape => ({
    requestMetrics: true,
    grpcMetrics: true,
    grpcIncludeHealth: false,
    legacyRpcMetrics: false
  })
}) {}

/** Provides the settings of a metrics config section. */
export const layer = (config: Config.MetricsConfig): Layer.Layer<Settings> =>
  Layer.succeed(Settings, fromConfig(config))
