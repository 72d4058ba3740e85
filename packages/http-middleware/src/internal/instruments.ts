/**
 * Request metrics recorded synchronously, without Effect operations. `Metric.update` on a tagged
 * metric merges the tags into a new array and looks its key up in Effect's registry (building and
 * hashing a `MetricKey`) on every update; here the registry's hook is resolved once per attribute
 * set and kept, so recording a request is one map lookup and one `hook.update`. The metrics are
 * the same Effect metrics (same keys, same tags, same order), exported by the Metrics layer as any
 * other.
 */
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import type * as MetricHook from "effect/MetricHook"
import * as MetricKey from "effect/MetricKey"
import type * as MetricKeyType from "effect/MetricKeyType"
import * as MetricLabel from "effect/MetricLabel"

/** Attribute values as metric tags (strings); undefined values are left out. */
export type Attributes = Readonly<Record<string, string | number | undefined>>

type NumberKey = MetricKey.MetricKey<MetricKeyType.MetricKeyType<number, any>>

export interface Instrument<M> {
  readonly key: NumberKey
  /** Effect metric keys have no unit field; the OpenTelemetry bridge takes it from a `unit` tag. */
  readonly unit: MetricLabel.MetricLabel
  /** The public Effect metric (with its `unit` tag), for reading or for updating by hand. */
  readonly metric: M
  readonly hooks: Map<string, MetricHook.MetricHook<number, unknown>>
}

export const make = <M>(key: NumberKey, unit: string): Instrument<M> => ({
  key,
  unit: MetricLabel.make("unit", unit),
  metric: Metric.tagged(Metric.fromMetricKey(key), "unit", unit) as unknown as M,
  hooks: new Map()
})

/**
 * Bound on the attribute sets kept per instrument: the attributes are low-cardinality by design
 * (route templates, methods, status codes), so this is only a guard against a client that calls
 * very many hosts; past it, the hook is looked up per update as Effect itself does.
 */
const MAX_CACHED_ATTRIBUTE_SETS = 1_000

/** The tags as `Metric.tagged(metric, "unit", …)` then `Metric.taggedWithLabels(…, attributes)` would give them. */
const labelsOf = (
  instrument: Instrument<unknown>,
  attributes: Attributes,
  fiberLabels: ReadonlyArray<MetricLabel.MetricLabel>
): Array<MetricLabel.MetricLabel> => {
  const labels = [instrument.unit]
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) labels.push(MetricLabel.make(key, String(value)))
  }
  for (const label of fiberLabels) {
    if (!labels.some((known) => known.key === label.key && known.value === label.value)) labels.push(label)
  }
  return labels
}

const hookFor = (
  instrument: Instrument<unknown>,
  attributes: Attributes,
  fiberLabels: ReadonlyArray<MetricLabel.MetricLabel>
): MetricHook.MetricHook<number, unknown> => {
  const get = () =>
    Metric.globalMetricRegistry.get(
      MetricKey.taggedWithLabels(instrument.key, labelsOf(instrument, attributes, fiberLabels))
    ) as unknown as MetricHook.MetricHook<number, unknown>
  // Labels set on the fiber (`Metric.taggedWithLabels` around the server) are rare: no cache then.
  if (fiberLabels.length > 0) return get()
  let cacheKey = ""
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) cacheKey += `${key}\u0000${value}\u0001`
  }
  let hook = instrument.hooks.get(cacheKey)
  if (hook === undefined) {
    hook = get()
    if (instrument.hooks.size < MAX_CACHED_ATTRIBUTE_SETS) instrument.hooks.set(cacheKey, hook)
  }
  return hook
}

/** Records `value` (a histogram value, or a counter's delta) for `attributes`, honouring the fiber's metric labels. */
export const unsafeUpdate = (
  fiber: Fiber.RuntimeFiber<any, any>,
  instrument: Instrument<unknown>,
  attributes: Attributes,
  value: number
): void => {
  hookFor(instrument, attributes, fiber.getFiberRef(FiberRef.currentMetricLabels)).update(value)
}
