/**
 * What the Metrics layer takes: its own module, so that the export (loaded on first use) and the
 * public `Metrics` module both import it instead of each other.
 */
import type { Config } from "@lingo-obs/core"
import type { Resource } from "@opentelemetry/resources"
import type { MetricProducer, MetricReader } from "@opentelemetry/sdk-metrics"
import type * as Duration from "effect/Duration"

/** What the Metrics layer needs besides its config section. */
export interface Options {
  readonly config: Config.MetricsConfig
  /** The resource every metric carries (see `ServiceResource.make`). */
  readonly resource: Resource
  /** How long scope close may spend on the final export; default 5 s. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /**
   * Replaces the periodic reader the config describes (tests collect on demand). It receives
   * the producer of Effect's metrics, to pass on as one of its `metricProducers`.
   */
  readonly makeReader?: ((effectMetrics: OtelMetricsProducer) => MetricReader) | undefined
  /** Called when the layer starts closing, before the provider shuts down. */
  readonly beforeShutdown?: (() => void) | undefined
}

/** The producer that reads Effect's `Metric` registry at each collection. */
export type OtelMetricsProducer = MetricProducer
