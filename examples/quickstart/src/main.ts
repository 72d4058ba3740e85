/**
 * The quickstart on the Effect 3 line (`pnpm start` runs the Effect 4 one, examples/effect4/quickstart):
 * a small program with nested spans, a counter, a histogram and a log line.
 *
 *   pnpm start:effect3                            # spans and metrics printed as JSON on stdout
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 pnpm start:effect3   # pushed over OTLP/gRPC
 *
 * It runs to completion; the layer's scope close flushes the telemetry, no sleep needed.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Observability } from "@lingo-obs/observability"
import { Config, Effect, Layer, Metric, MetricBoundaries, Option } from "effect"

const ordersPlaced = Metric.counter("quickstart_orders_total", { description: "Orders placed" })
const orderAmount = Metric.histogram(
  "quickstart_order_amount",
  MetricBoundaries.fromIterable([10, 50, 100, 500]),
  "Order amount in EUR"
)

const chargeCard = (amount: number) =>
  Effect.sleep("20 millis").pipe(
    Effect.tap(() => Effect.annotateCurrentSpan("payment.amount", amount)),
    Effect.withSpan("charge-card", { kind: "client" })
  )

const placeOrder = (id: string, amount: number) =>
  Effect.gen(function*() {
    yield* Effect.sleep("5 millis").pipe(Effect.withSpan("validate-order"))
    yield* chargeCard(amount)
    yield* Metric.increment(ordersPlaced).pipe(Effect.tagMetrics("channel", "web"))
    yield* Metric.update(orderAmount, amount)
    yield* Effect.logInfo(`order ${id} placed`)
  }).pipe(Effect.withSpan("place-order", { attributes: { "order.id": id } }))

const main = Effect.gen(function*() {
  yield* placeOrder("o-1", 42)
  yield* placeOrder("o-2", 120)
}).pipe(Effect.withSpan("quickstart"))

/**
 * With no collector configured (neither `OTEL_EXPORTER_OTLP_ENDPOINT` nor
 * `OTEL_EXPORTER_OTLP_PROTOCOL`), print to stdout so a newcomer sees telemetry at once; either
 * one sends OTLP (`http/protobuf` alone: to `http://localhost:4318`).
 */
const ObservabilityLive = Layer.unwrapEffect(Effect.gen(function*() {
  const collector = yield* Config.option(
    Config.nonEmptyString("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(Config.orElse(() => Config.nonEmptyString("OTEL_EXPORTER_OTLP_PROTOCOL")))
  )
  const exporter = Option.isSome(collector) ? undefined : "stdout" as const
  return Observability.layer({
    service: { name: "quickstart", version: "0.1.0" },
    // Log lines as JSON with the trace and span ids, so they can be matched to the spans printed.
    config: exporter === undefined ? {} : { tracing: { exporter }, metrics: { exporter }, logs: { format: "json" } }
  })
}))

main.pipe(Effect.provide(ObservabilityLive), NodeRuntime.runMain)
