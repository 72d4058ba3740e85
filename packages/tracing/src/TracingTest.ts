/**
 * Tracing for tests: spans go to memory the moment they end, and the `TestSpans` service reads
 * them back (and resets them), so a test asserts names, parent links and attributes without
 * sleeping and without a collector.
 *
 * @example
 * ```ts
 * import { TracingTest } from "@lingo-obs/tracing"
 *
 * it.effect("records the checkout span", () =>
 *   Effect.gen(function* () {
 *     yield* Effect.void.pipe(Effect.withSpan("checkout"))
 *     const spans = yield* TracingTest.spans
 *     expect(spans.map((span) => span.name)).toEqual(["checkout"])
 *   }).pipe(Effect.provide(TracingTest.layer())))
 * ```
 */
import { Config, Propagation } from "@lingo-obs/core"
import { type Attributes, SpanKind, SpanStatusCode } from "@opentelemetry/api"
import { hrTimeToMicroseconds } from "@opentelemetry/core"
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tracing from "./Tracing.js"

/** A finished span as a test sees it. */
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

/** Reads and resets the spans finished so far. */
export class TestSpans extends Context.Tag("@lingo-obs/tracing/TracingTest/TestSpans")<TestSpans, {
  /** Every span finished since the start or the last reset, in the order they ended. */
  readonly finished: Effect.Effect<ReadonlyArray<FinishedSpan>>
  readonly reset: Effect.Effect<void>
}>() {}

/** The finished spans, in the order they ended. */
export const spans: Effect.Effect<ReadonlyArray<FinishedSpan>, never, TestSpans> = Effect.flatMap(
  TestSpans,
  (service) => service.finished
)

/** Forgets the spans finished so far. */
export const reset: Effect.Effect<void, never, TestSpans> = Effect.flatMap(TestSpans, (service) => service.reset)

/**
 * Tracing to memory: every span is recorded (sampling 1.0 unless the config says otherwise) and
 * readable through `TestSpans` as soon as it ends.
 */
export const layer = (options: {
  readonly config?: Partial<Config.TracingConfig> | undefined
  readonly resource?: Resource | undefined
} = {}): Layer.Layer<TestSpans | Propagation.Propagator> => {
  const exporter = new InMemorySpanExporter()
  const service = TestSpans.of({
    finished: Effect.sync(() => exporter.getFinishedSpans().map(toFinishedSpan)),
    reset: Effect.sync(() => exporter.reset())
  })
  const tracing = Tracing.layer({
    config: { ...Config.defaults.tracing, ...options.config, enabled: true, required: true },
    resource: options.resource ?? resourceFromAttributes({ "service.name": "test" }),
    spanProcessor: new SimpleSpanProcessor(exporter)
  })
  return Layer.merge(Layer.orDie(tracing), Layer.succeed(TestSpans, service))
}
