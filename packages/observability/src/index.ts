export * as Observability from "./Observability.js"
export * as Reconfigure from "./Reconfigure.js"
export { ObservabilityLive, ObservabilityTest } from "./Observability.js"
export {
  Config,
  ConfigSource,
  Control,
  Diagnostics,
  Instrumentation,
  Propagation,
  Required,
  SelfMetrics,
  ServiceResource,
  TestLogger
} from "@lingo-obs/core"
export { CorrelatedLogger, Logs } from "@lingo-obs/logs"
export { Metrics, MetricsTest, RuntimeMetrics } from "@lingo-obs/metrics"
export { Tracing, TracingTest } from "@lingo-obs/tracing"
