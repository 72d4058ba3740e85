/**
 * The toolkit's set-up (`Observability.layer`) and its self-metrics, for the child processes
 * that measure it. Only those import this module.
 */
import { Observability, SelfMetrics } from "@lingo-obs/observability"
import { type AnyLayer, SERVICE } from "./spans.js"

/** The toolkit's extra config for a run (durations as the config's strings, e.g. "1s"). */
export interface ToolkitOverrides {
  readonly shutdownTimeout?: string | undefined
  /** Export metrics too (to the same receiver), e.g. the HTTP middleware's request metrics. */
  readonly metrics?: boolean | undefined
}

/** `Observability.layer` exporting traces to `endpoint` over plaintext OTLP/gRPC, sampling 1.0. */
export const toolkitLayer = (endpoint: string, overrides: ToolkitOverrides = {}): AnyLayer =>
  Observability.layer({
    service: { name: SERVICE },
    config: {
      tracing: { endpoint, insecure: true, samplingRatio: 1 },
      metrics: overrides.metrics === true ? { endpoint, insecure: true } : { enabled: false },
      ...(overrides.shutdownTimeout === undefined ? {} : { shutdownTimeout: overrides.shutdownTimeout })
    }
  })

export type Counters = ReturnType<typeof toolkitCounters>

/** The toolkit's self-metrics for traces: what the pipeline exported, failed and dropped, by reason. */
export const toolkitCounters = () => {
  const traces = (name: SelfMetrics.CounterName, attribute: string, value: string) =>
    SelfMetrics.value(name, { signal: "traces", [attribute]: value })
  return {
    exported: traces("lingo_obs.exporter.items", "outcome", "exported"),
    failedItems: traces("lingo_obs.exporter.items", "outcome", "failed"),
    droppedQueueFull: traces("lingo_obs.queue.dropped", "reason", "queue_full"),
    droppedShutdown: traces("lingo_obs.queue.dropped", "reason", "shutdown"),
    droppedRetryExhausted: traces("lingo_obs.queue.dropped", "reason", "retry_exhausted"),
    droppedPermanent: traces("lingo_obs.queue.dropped", "reason", "permanent_failure"),
    droppedUnexpected: traces("lingo_obs.queue.dropped", "reason", "unexpected_failure")
  }
}

/**
 * The traces pipeline's queue size now. The gauge is only published through a meter, so a
 * stand-in meter is handed to `SelfMetrics.observe` for one synchronous collection.
 */
export const queueSize = (): number => {
  let size = Number.NaN
  type Observe = (instrument: { name?: string }, value: number, attributes?: Record<string, unknown>) => void
  const meter = {
    createObservableCounter: () => ({}),
    createObservableGauge: (name: string) => ({ name }),
    addBatchObservableCallback: (callback: (result: { observe: Observe }) => void) =>
      callback({
        observe: (instrument, value, attributes) => {
          if (instrument.name === "lingo_obs.queue.size" && attributes?.["signal"] === "traces") size = value
        }
      }),
    removeBatchObservableCallback: () => {}
  }
  SelfMetrics.observe(meter as unknown as Parameters<typeof SelfMetrics.observe>[0])()
  return size
}
