/**
 * The toolkit's own health as metrics, so a team can alert on its telemetry: exported batches
 * and items, failed exports by gRPC code, items dropped and why, queue size and capacity, and
 * consecutive failures. The export pipelines record into this process-wide store; the Metrics
 * layer observes it through its meter (`observe`), so recording never waits on a meter.
 *
 * @example
 * ```ts
 * SelfMetrics.add("lingo_obs.exporter.items", { signal: "traces", outcome: "exported" }, 512)
 * ```
 */
import type { Attributes, Meter } from "@opentelemetry/api"

/** The counters, with their meaning. */
export const COUNTERS = {
  "lingo_obs.exporter.batches": "Export calls, by signal and outcome (exported, failed)",
  "lingo_obs.exporter.items": "Items (spans, metric data points) in export calls, by signal and outcome (exported, failed, rejected)",
  "lingo_obs.exporter.failures": "Failed export calls, by signal and status (gRPC code name or HTTP status)",
  "lingo_obs.queue.dropped": "Items dropped, by signal and reason (queue_full, retry_exhausted, permanent_failure, retry_disabled, unexpected_failure, too_large, shutdown); each drop is also said in one log line"
} as const

/** The gauges, with their meaning. */
export const GAUGES = {
  "lingo_obs.queue.size": "Items held by the export pipeline: waiting, retrying or in flight",
  "lingo_obs.queue.capacity": "The most items the export pipeline holds before dropping",
  "lingo_obs.exporter.consecutive_failures": "Failed export calls since the last successful one"
} as const

export type CounterName = keyof typeof COUNTERS
export type GaugeName = keyof typeof GAUGES

interface Point {
  readonly attributes: Attributes
  value: number
}

const counters = new Map<CounterName, Map<string, Point>>()
const gaugeSources = new Set<() => ReadonlyArray<{ name: GaugeName; attributes: Attributes; value: number }>>()

/** One counter with fixed attributes; adding to it is a field increment (pipelines hold these). */
export interface CounterHandle {
  add(value?: number): void
}

/** The handle of a counter for exactly these attributes. */
export const counter = (name: CounterName, attributes: Attributes): CounterHandle => {
  let points = counters.get(name)
  if (points === undefined) counters.set(name, points = new Map())
  const key = JSON.stringify(attributes)
  let point = points.get(key)
  if (point === undefined) points.set(key, point = { attributes, value: 0 })
  const target = point
  return { add: (value = 1) => void (target.value += value) }
}

/** Adds `value` to a counter (for occasional updates; hot paths keep a `counter` handle). */
export const add = (name: CounterName, attributes: Attributes, value = 1): void => counter(name, attributes).add(value)

/** The current value of a counter for exactly these attributes (0 when never recorded). */
export const value = (name: CounterName, attributes: Attributes): number =>
  counters.get(name)?.get(JSON.stringify(attributes))?.value ?? 0

/** Registers a source of gauge values (a live pipeline); returns its removal. */
export const addGauges = (
  source: () => ReadonlyArray<{ name: GaugeName; attributes: Attributes; value: number }>
): () => void => {
  gaugeSources.add(source)
  return () => gaugeSources.delete(source)
}

/** Reports the store through `meter` at each collection; returns the removal of the callback. */
export const observe = (meter: Meter): () => void => {
  const counterInstruments = Object.entries(COUNTERS).map(([name, description]) =>
    [name as CounterName, meter.createObservableCounter(name, { description })] as const
  )
  const gaugeInstruments = new Map(
    Object.entries(GAUGES).map(([name, description]) => [name, meter.createObservableGauge(name, { description })])
  )
  const observables = [...counterInstruments.map(([, instrument]) => instrument), ...gaugeInstruments.values()]
  const callback: Parameters<Meter["addBatchObservableCallback"]>[0] = (result) => {
    for (const [name, instrument] of counterInstruments) {
      for (const point of counters.get(name)?.values() ?? []) result.observe(instrument, point.value, point.attributes)
    }
    for (const source of gaugeSources) {
      for (const gauge of source()) {
        const instrument = gaugeInstruments.get(gauge.name)
        if (instrument !== undefined) result.observe(instrument, gauge.value, gauge.attributes)
      }
    }
  }
  meter.addBatchObservableCallback(callback, observables)
  return () => meter.removeBatchObservableCallback(callback, observables)
}
