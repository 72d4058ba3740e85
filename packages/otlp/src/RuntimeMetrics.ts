/**
 * Node runtime metrics, named by the OpenTelemetry semantic conventions for Node.js, V8 and
 * processes: event-loop delay and utilisation, V8 heap per space, GC duration by kind, process
 * CPU time and utilisation, resident memory. Values are read by observable instruments when the
 * reader collects (at the metrics interval), so nothing runs on the program's hot path; only the
 * event-loop sampler (one unreferenced timer) and GC pauses, as Node reports them, are recorded
 * in between. Delay and utilisation describe the time since the previous collection. Sampling
 * stops when the function `start` returns is called.
 *
 * Written here rather than taken from `@opentelemetry/instrumentation-runtime-node`: its last
 * release for SDK 2.x (0.36) leaves out the process metrics, and it brings the module-patching
 * machinery of `@opentelemetry/instrumentation` for an instrumentation that patches nothing.
 *
 * @example
 * ```ts
 * const stop = RuntimeMetrics.start(meterProvider)
 * // ... at shutdown
 * stop()
 * ```
 */
import * as Os from "node:os"
import { constants as PerfConstants, createHistogram, performance, PerformanceObserver } from "node:perf_hooks"
import * as V8 from "node:v8"
import type * as OtelApi from "@opentelemetry/api"
import { ValueType } from "@opentelemetry/api"
import type * as SemConv from "./RuntimeSemConv.js"

/** The instrumentation scope of the runtime metrics. */
export const SCOPE = "@lingo-obs/metrics/RuntimeMetrics"

/** Every metric this module reports, with its unit and meaning. */
export const METRICS = {
  "nodejs.eventloop.delay.min": "s: smallest event-loop delay since the last collection",
  "nodejs.eventloop.delay.max": "s: largest event-loop delay since the last collection",
  "nodejs.eventloop.delay.mean": "s: mean event-loop delay since the last collection",
  "nodejs.eventloop.delay.stddev": "s: standard deviation of the event-loop delay since the last collection",
  "nodejs.eventloop.delay.p50": "s: median event-loop delay since the last collection",
  "nodejs.eventloop.delay.p90": "s: 90th percentile of the event-loop delay since the last collection",
  "nodejs.eventloop.delay.p99": "s: 99th percentile of the event-loop delay since the last collection",
  "nodejs.eventloop.utilization": "1: share of the time the event loop was busy since the last collection",
  "nodejs.eventloop.time": "s: cumulative event-loop time, by nodejs.eventloop.state (active, idle)",
  "v8js.memory.heap.used": "By: V8 heap in use, by v8js.heap.space.name",
  "v8js.memory.heap.space.size": "By: V8 heap reserved for a space (its current limit), by v8js.heap.space.name",
  "v8js.memory.heap.space.available_size": "By: V8 heap still available in a space, by v8js.heap.space.name",
  "v8js.memory.heap.space.physical_size": "By: V8 heap committed in physical memory, by v8js.heap.space.name",
  "v8js.gc.duration": "s: garbage-collection pauses, by v8js.gc.type (major, minor, incremental, weakcb)",
  "process.cpu.time": "s: cumulative CPU time of the process, by cpu.mode (user, system)",
  "process.cpu.utilization": "1: CPU time since the last collection over elapsed time and available CPUs, by cpu.mode",
  "process.memory.usage": "By: resident set size of the process"
  // Every name is the semantic conventions' own, checked against the installed package.
} as const satisfies Record<SemConv.RuntimeMetricName, string>

export type MetricName = keyof typeof METRICS

export interface Options {
  /** How often the event-loop delay is sampled; default 10 ms (the finest useful, and cheap). */
  readonly eventLoopResolutionMillis?: number | undefined
}

/** GC pauses are mostly between 1 and 50 ms; the semantic conventions' buckets (10 ms and up) would hide them. */
const GC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

const GC_KINDS: Record<number, string> = {
  [PerfConstants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [PerfConstants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [PerfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [PerfConstants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb"
}

const NANOS_PER_SECOND = 1e9

/** The CPUs the process may use (cgroup limits are not visible to Node; this is the host's view). */
const availableCpus = (): number => Math.max(1, Os.availableParallelism())

/**
 * Starts reporting the runtime metrics through `meterProvider`'s meter of scope `SCOPE`; the
 * function it returns stops the sampler and the instruments.
 *
 * @example
 * ```ts
 * const stop = RuntimeMetrics.start(new MeterProvider({ readers: [reader] }))
 * process.once("beforeExit", stop)
 * ```
 */
export const start = (meterProvider: OtelApi.MeterProvider, options: Options = {}): () => void =>
  startOn(meterProvider.getMeter(SCOPE), options)

const startOn = (meter: OtelApi.Meter, options: Options): () => void => {
  const gauge = (name: MetricName, unit: string) =>
    meter.createObservableGauge(name, { unit, description: describe(name), valueType: ValueType.DOUBLE })
  const upDown = (name: MetricName, unit: string) =>
    meter.createObservableUpDownCounter(name, { unit, description: describe(name), valueType: ValueType.INT })
  const counter = (name: MetricName, unit: string) =>
    meter.createObservableCounter(name, { unit, description: describe(name), valueType: ValueType.DOUBLE })

  const delay = {
    min: gauge("nodejs.eventloop.delay.min", "s"),
    max: gauge("nodejs.eventloop.delay.max", "s"),
    mean: gauge("nodejs.eventloop.delay.mean", "s"),
    stddev: gauge("nodejs.eventloop.delay.stddev", "s"),
    p50: gauge("nodejs.eventloop.delay.p50", "s"),
    p90: gauge("nodejs.eventloop.delay.p90", "s"),
    p99: gauge("nodejs.eventloop.delay.p99", "s")
  }
  const utilization = gauge("nodejs.eventloop.utilization", "1")
  const loopTime = counter("nodejs.eventloop.time", "s")
  // The semantic conventions make heap sizes up-down counters (a sum that can go down), not gauges.
  const heapUsed = upDown("v8js.memory.heap.used", "By")
  const heapSize = upDown("v8js.memory.heap.space.size", "By")
  const heapAvailable = upDown("v8js.memory.heap.space.available_size", "By")
  const heapPhysical = upDown("v8js.memory.heap.space.physical_size", "By")
  const cpuTime = counter("process.cpu.time", "s")
  const cpuUtilization = gauge("process.cpu.utilization", "1")
  const memory = upDown("process.memory.usage", "By")
  const observables = [
    ...Object.values(delay),
    utilization,
    loopTime,
    heapUsed,
    heapSize,
    heapAvailable,
    heapPhysical,
    cpuTime,
    cpuUtilization,
    memory
  ]

  const loopDelay = sampleEventLoopDelay(options.eventLoopResolutionMillis ?? 10)
  const histogram = loopDelay.histogram
  // Utilisation and CPU are reported per collection: each reading is a delta from the last one.
  let lastLoop = performance.eventLoopUtilization()
  let lastCpu = process.cpuUsage()
  let lastCpuAt = performance.now()

  const callback: OtelApi.BatchObservableCallback = (result) => {
    // Without a sample in the window the histogram's fields are placeholders (min is 2^63).
    if (histogram.count > 0) {
      result.observe(delay.min, histogram.min / NANOS_PER_SECOND)
      result.observe(delay.max, histogram.max / NANOS_PER_SECOND)
      result.observe(delay.mean, histogram.mean / NANOS_PER_SECOND)
      result.observe(delay.stddev, histogram.stddev / NANOS_PER_SECOND)
      result.observe(delay.p50, histogram.percentile(50) / NANOS_PER_SECOND)
      result.observe(delay.p90, histogram.percentile(90) / NANOS_PER_SECOND)
      result.observe(delay.p99, histogram.percentile(99) / NANOS_PER_SECOND)
      histogram.reset()
    }

    const loop = performance.eventLoopUtilization()
    result.observe(utilization, performance.eventLoopUtilization(loop, lastLoop).utilization)
    result.observe(loopTime, loop.active / 1_000, { "nodejs.eventloop.state": "active" })
    result.observe(loopTime, loop.idle / 1_000, { "nodejs.eventloop.state": "idle" })
    lastLoop = loop

    for (const space of V8.getHeapSpaceStatistics()) {
      const attributes = { "v8js.heap.space.name": space.space_name }
      result.observe(heapUsed, space.space_used_size, attributes)
      result.observe(heapSize, space.space_size, attributes)
      result.observe(heapAvailable, space.space_available_size, attributes)
      result.observe(heapPhysical, space.physical_space_size, attributes)
    }

    const cpu = process.cpuUsage()
    const now = performance.now()
    result.observe(cpuTime, cpu.user / 1e6, { "cpu.mode": "user" })
    result.observe(cpuTime, cpu.system / 1e6, { "cpu.mode": "system" })
    // cpuUsage is in microseconds, performance.now in milliseconds.
    const capacityMicros = (now - lastCpuAt) * 1_000 * availableCpus()
    if (capacityMicros > 0) {
      result.observe(cpuUtilization, (cpu.user - lastCpu.user) / capacityMicros, { "cpu.mode": "user" })
      result.observe(cpuUtilization, (cpu.system - lastCpu.system) / capacityMicros, { "cpu.mode": "system" })
    }
    lastCpu = cpu
    lastCpuAt = now

    result.observe(memory, process.memoryUsage.rss())
  }
  meter.addBatchObservableCallback(callback, observables)

  const gcDuration = meter.createHistogram("v8js.gc.duration", {
    unit: "s",
    description: describe("v8js.gc.duration"),
    advice: { explicitBucketBoundaries: GC_BUCKETS }
  })
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // `detail.kind` since Node 16; the typings of @types/node 20 do not declare it.
      const kind = (entry as { readonly detail?: { readonly kind?: number } | null }).detail?.kind
      gcDuration.record(entry.duration / 1_000, { "v8js.gc.type": GC_KINDS[kind ?? -1] ?? "unknown" })
    }
  })
  gcObserver.observe({ entryTypes: ["gc"] })

  return () => {
    gcObserver.disconnect()
    loopDelay.stop()
    meter.removeBatchObservableCallback(callback, observables)
  }
}

/**
 * Samples the event loop every `resolutionMillis`: each sample is the time since the previous
 * one, so a blocked loop shows as one long sample (the `monitorEventLoopDelay` measure, the
 * sampling interval included). Not `monitorEventLoopDelay` itself: its `reset()`, needed for a
 * per-collection window, also forgets the previous tick, so a block starting right after a
 * collection (such as the export of that collection) would never be seen.
 */
const sampleEventLoopDelay = (resolutionMillis: number) => {
  const histogram = createHistogram()
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    histogram.record(Math.max(1, Math.round((now - last) * 1e6)))
    last = now
  }, resolutionMillis)
  // Sampling must never keep a finished program alive.
  timer.unref()
  return { histogram, stop: () => clearInterval(timer) }
}

const describe = (name: MetricName): string => {
  const text = METRICS[name]
  return text.slice(text.indexOf(": ") + 2)
}
