export * as Metrics from "./Metrics.js"
export * as MetricsTest from "./MetricsTest.js"
export * as RuntimeMetrics from "./RuntimeMetrics.js"
