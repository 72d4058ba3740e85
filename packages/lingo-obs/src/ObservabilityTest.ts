/**
 * Observability for tests on Effect 4: every span is kept in memory the moment it ends and read
 * back with `ObservabilityTest.spans` (and forgotten with `reset`), so a test asserts names,
 * parent links, attributes and durations without sleeping and without a collector.
 *
 * It fits both of `@effect/vitest` 4's modes. Under `it.live` spans measure real time. Under
 * `it.effect` the clock is Effect's TestClock, which never moves by itself; the layer moves it to
 * the next pending sleep whenever the program waits on nothing else (`advanceClock`, on by
 * default), so business code that sleeps finishes at once and a 20 ms sleep is a 20 ms span.
 *
 * Metrics and log records are kept too (`metrics`, `logs`), as on the Effect 3 line. `reset` forgets
 * spans and log records and starts every metric again from nothing, so reads after it are exact
 * for every kind: counters, histograms (count, sum, min, max, buckets), summaries, frequencies and
 * OpenTelemetry-API instruments; gauges keep their current value. Each build of the layer has its
 * own Effect metric registry (Effect 4's registry is a `Context.Reference`), so, unlike the Effect
 * 3 line, a reset never touches another test's metrics.
 *
 * @example
 * ```ts
 * it.effect("a slow step is one span", () =>
 *   Effect.gen(function* () {
 *     yield* Effect.sleep("20 millis").pipe(Effect.withSpan("slow"))
 *     const [slow] = yield* ObservabilityTest.spans
 *     expect(slow?.durationMicros).toBe(20_000)
 *   }).pipe(Effect.provide(ObservabilityTest.layer())))
 * ```
 */
import { type Attributes, SpanKind, SpanStatusCode } from "@opentelemetry/api"
import { hrTimeToMicroseconds } from "@opentelemetry/core"
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClockAdvance from "./internal/testClock.js"
import * as TestLogs from "./logs/internal/testLogs.js"
import * as MetricsTest from "./metrics/MetricsTest.js"
import * as Tracing from "./tracing/Tracing.js"

/** A finished span as a test sees it (the Effect 3 line's `FinishedSpan`). */
export interface FinishedSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly kind: "internal" | "server" | "client" | "producer" | "consumer"
  readonly status: "unset" | "ok" | "error"
  readonly statusMessage: string | undefined
  readonly attributes: Attributes
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: Attributes | undefined }>
  /** The spans this one links to (`Effect.withSpan(name, { links })`, `Effect.linkSpans`). */
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string; readonly attributes: Attributes | undefined }>
  readonly resource: Attributes
  readonly durationMicros: number
}

const KINDS: Record<SpanKind, FinishedSpan["kind"]> = {
  [SpanKind.INTERNAL]: "internal",
  [SpanKind.SERVER]: "server",
  [SpanKind.CLIENT]: "client",
  [SpanKind.PRODUCER]: "producer",
  [SpanKind.CONSUMER]: "consumer"
}
const STATUSES: Record<SpanStatusCode, FinishedSpan["status"]> = {
  [SpanStatusCode.UNSET]: "unset",
  [SpanStatusCode.OK]: "ok",
  [SpanStatusCode.ERROR]: "error"
}

const toFinishedSpan = (span: ReadableSpan): FinishedSpan => ({
  name: span.name,
  traceId: span.spanContext().traceId,
  spanId: span.spanContext().spanId,
  parentSpanId: span.parentSpanContext?.spanId,
  kind: KINDS[span.kind],
  status: STATUSES[span.status.code],
  statusMessage: span.status.message,
  attributes: span.attributes,
  events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
  links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId, attributes: link.attributes })),
  resource: span.resource.attributes,
  durationMicros: hrTimeToMicroseconds(span.duration)
})

/** Reads and forgets the spans finished so far. */
export class TestSpans extends Context.Service<TestSpans, {
  /** Every span finished since the start or the last reset, in the order they ended. */
  readonly finished: Effect.Effect<ReadonlyArray<FinishedSpan>>
  readonly reset: Effect.Effect<void>
}>()("lingo-obs/ObservabilityTest/TestSpans") {}

/** The finished spans, in the order they ended. */
export const spans: Effect.Effect<ReadonlyArray<FinishedSpan>, never, TestSpans> = TestSpans.use((service) => service.finished)

export type { LogRecord } from "./logs/internal/testLogs.js"
export type { CollectedMetric, MetricPoint } from "./metrics/MetricsTest.js"
export { TestLogs } from "./logs/internal/testLogs.js"
export { TestMetrics } from "./metrics/MetricsTest.js"

/** What the test layer provides: the recorded spans, metrics and log records. */
export type TestServices = TestSpans | MetricsTest.TestMetrics | TestLogs.TestLogs

/** Collects the metrics now, each relative to the last `reset`. */
export const metrics: Effect.Effect<ReadonlyArray<MetricsTest.CollectedMetric>, never, MetricsTest.TestMetrics> = MetricsTest.collect

/** The log records written so far, with the ids of the span each was written in. */
export const logs: Effect.Effect<ReadonlyArray<TestLogs.LogRecord>, never, TestLogs.TestLogs> = TestLogs.TestLogs.use((service) =>
  service.records
)

/** Forgets the spans and log records, and starts every metric but gauges again from nothing. */
export const reset: Effect.Effect<void, never, TestServices> = Effect.all([
  TestSpans.use((service) => service.reset),
  MetricsTest.reset,
  TestLogs.TestLogs.use((service) => service.reset)
], { discard: true })

export interface Options {
  /** The resource's `service.name`; default `test`. */
  readonly serviceName?: string | undefined
  readonly resource?: Resource | undefined
  /** `OTEL_TRACES_SAMPLER` name and ratio; default: every span recorded. */
  readonly sampler?: string | undefined
  readonly samplingRatio?: number | undefined
  /** Move the TestClock to the next pending sleep when the program waits on nothing else; default `true`. */
  readonly advanceClock?: boolean | undefined
}

/**
 * Spans, metrics and log records to memory. Each build has its own recorders and metric registry
 * (Effect 4 shares built layers; `Layer.fresh` keeps tests apart).
 */
export const layer = (options: Options = {}): Layer.Layer<TestServices> =>
  Layer.fresh(Layer.unwrap(Effect.sync(() => {
    const exporter = new InMemorySpanExporter()
    const resource = options.resource ?? resourceFromAttributes({ "service.name": options.serviceName ?? "test" })
    const tracing = Tracing.layerProcessor({
      resource,
      spanProcessor: new SimpleSpanProcessor(exporter),
      sampler: options.sampler ?? "parentbased_always_on",
      samplingRatio: options.samplingRatio
    })
    const recording = Layer.mergeAll(
      tracing,
      Layer.succeed(TestSpans, {
        finished: Effect.sync(() => exporter.getFinishedSpans().map(toFinishedSpan)),
        reset: Effect.sync(() => exporter.reset())
      }),
      MetricsTest.layer({ resource }),
      TestLogs.layer
    )
    return options.advanceClock === false ? recording : Layer.merge(recording, TestClockAdvance.layer)
  })))
