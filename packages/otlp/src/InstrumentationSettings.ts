/**
 * What a metrics config section says about the instrumentation (both lines' HTTP and gRPC
 * middleware): whether request metrics are recorded, for gRPC at all, for health checks, and
 * under the older RPC metric names too. Each line holds these in its own Effect reference.
 *
 * @example
 * ```ts
 * InstrumentationSettings.fromMetrics({ enabled: true, exporter: "none", grpcEnabled: true, grpcIncludeHealth: false })
 * // { requestMetrics: false, grpcMetrics: true, grpcIncludeHealth: false, legacyRpcMetrics: undefined }
 * ```
 */

export interface Settings {
  /** Request metrics at all (`metrics.enabled` and an exporter other than `none`). */
  readonly requestMetrics: boolean
  /** gRPC server and client metrics (`metrics.grpcEnabled`). */
  readonly grpcMetrics: boolean
  /** Count `/grpc.health.v1.Health/Check` calls too (`metrics.grpcIncludeHealth`). */
  readonly grpcIncludeHealth: boolean
  /** Also the RPC metrics of semantic conventions 1.37 (`metrics.legacyRpcMetrics`). */
  readonly legacyRpcMetrics?: boolean | undefined
}

/** Without a config (no Observability layer): the defaults of the config's metrics section. */
export const DEFAULTS: Settings = { requestMetrics: true, grpcMetrics: true, grpcIncludeHealth: false, legacyRpcMetrics: false }

/** The fields of a metrics config section the settings come from (both lines' `MetricsConfig` fit). */
export interface MetricsSection {
  readonly enabled: boolean
  readonly exporter: string
  readonly grpcEnabled: boolean
  readonly grpcIncludeHealth: boolean
  readonly legacyRpcMetrics?: boolean | undefined
}

/** The settings a metrics config section describes. */
export const fromMetrics = (config: MetricsSection): Settings => ({
  requestMetrics: config.enabled && config.exporter !== "none",
  grpcMetrics: config.grpcEnabled,
  grpcIncludeHealth: config.grpcIncludeHealth,
  legacyRpcMetrics: config.legacyRpcMetrics
})
