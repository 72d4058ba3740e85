/**
 * Request metrics recorded synchronously, without Effect operations. `Metric.withAttributes`
 * builds a new metric on every call; here one Effect metric per attribute set is made once and
 * kept, so recording a request is one map lookup and one `updateUnsafe` (which finds the series in
 * the fiber's `MetricRegistry`, honouring `Metric.CurrentMetricAttributes`). The metrics are plain
 * Effect metrics, exported by the Metrics layer as any other.
 */
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"

/** Attribute values as metric attributes (strings); undefined values are left out. */
export type Attributes = Readonly<Record<string, string | number | undefined>>

export interface Instrument<M extends Metric.Metric<number, unknown>> {
  /** The public Effect metric (with its `unit` attribute), for reading or for updating by hand. */
  readonly metric: M
  readonly make: (attributes: Record<string, string>) => M
  readonly byAttributes: Map<string, M>
}

/**
 * An instrument named `name`. Effect metrics have no unit field; the toolkit's metric producer
 * takes it from a `unit` attribute, so each metric carries `unit` as a constant attribute.
 */
export const make = <M extends Metric.Metric<number, unknown>>(
  unit: string,
  build: (attributes: Record<string, string>) => M
): Instrument<M> => {
  const make = (attributes: Record<string, string>) => build({ unit, ...attributes })
  return { metric: make({}), make, byAttributes: new Map() }
}

/**
 * Bound on the attribute sets kept per instrument: the attributes are low-cardinality by design
 * (route templates, methods, status codes), so this only guards against a client that calls very
 * many hosts; past it, a metric is made per update.
 */
const MAX_CACHED_ATTRIBUTE_SETS = 1_000

const metricFor = <M extends Metric.Metric<number, unknown>>(instrument: Instrument<M>, attributes: Attributes): M => {
  let cacheKey = ""
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) cacheKey += `${key}\u0000${value}\u0001`
  }
  let metric = instrument.byAttributes.get(cacheKey)
  if (metric === undefined) {
    const strings: Record<string, string> = {}
    for (const key in attributes) {
      const value = attributes[key]
      if (value !== undefined) strings[key] = String(value)
    }
    metric = instrument.make(strings)
    if (instrument.byAttributes.size < MAX_CACHED_ATTRIBUTE_SETS) instrument.byAttributes.set(cacheKey, metric)
  }
  return metric
}

/** Records `value` (a histogram value, or a counter's delta) for `attributes` in the fiber's registry. */
export const unsafeUpdate = <M extends Metric.Metric<number, unknown>>(
  fiber: Fiber.Fiber<unknown, unknown>,
  instrument: Instrument<M>,
  attributes: Attributes,
  value: number
): void => {
  metricFor(instrument, attributes).updateUnsafe(value, fiber.context)
}
