import * as Effect from "effect/Effect"
import { ObservabilityTest } from "../../src/index.js"

export type FinishedSpan = ObservabilityTest.FinishedSpan

export const ofKind = (spans: ReadonlyArray<FinishedSpan>, kind: FinishedSpan["kind"]) =>
  spans.filter((span) => span.kind === kind)

/** Polls the recorded spans until `predicate` holds (a generous bound: the machine is shared). */
export const waitForSpans = (predicate: (spans: ReadonlyArray<FinishedSpan>) => boolean) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 15_000
    while (true) {
      const spans = yield* ObservabilityTest.spans
      if (predicate(spans)) return spans
      if (Date.now() > deadline) {
        return yield* Effect.die(new Error(`spans never matched; got ${JSON.stringify(spans.map((span) => span.name))}`))
      }
      yield* Effect.sleep("10 millis")
    }
  })

/** The points of metric `name`, as collected now. */
export const points = (name: string) =>
  Effect.map(ObservabilityTest.metrics, (metrics) => metrics.find((metric) => metric.name === name)?.points ?? [])

/** The `rpc.message` events of a span as `[type, id, size]`. */
export const messages = (span: FinishedSpan) =>
  span.events.filter((event) => event.name === "rpc.message").map((event) => [
    event.attributes?.["rpc.message.type"],
    event.attributes?.["rpc.message.id"],
    event.attributes?.["rpc.message.uncompressed_size"]
  ])

/** The size of a JSON message as the echo service encodes it. */
export const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value))
