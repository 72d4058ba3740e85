/**
 * The quickstart on Effect 4: a small program with nested spans, a counter, a histogram and a log
 * line per order, on `lingo-obs`. It needs Node >= 22.19; `pnpm start` runs it on Node 24 through
 * `npx -p node@24`, so a machine with Node 20 and npm runs it too.
 *
 *   pnpm start                                    # spans and metrics printed as JSON on stdout
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 pnpm start   # pushed over OTLP/gRPC (logs too)
 *   QUICKSTART_ORDERS=100 pnpm start              # more orders, one every 200 ms; Ctrl-C flushes and stops
 *
 * It runs to completion; the layer's scope close flushes the telemetry, on SIGINT/SIGTERM too.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Metric } from "effect"
import { Observability } from "lingo-obs"

const ordersPlaced = Metric.counter("quickstart_orders_total", { description: "Orders placed" })
const orderAmount = Metric.histogram("quickstart_order_amount", {
  description: "Order amount in EUR",
  boundaries: [10, 50, 100, 500]
})

const chargeCard = (amount: number) =>
  Effect.sleep("20 millis").pipe(
    Effect.tap(() => Effect.annotateCurrentSpan("payment.amount", amount)),
    Effect.withSpan("charge-card", { kind: "client" })
  )

const placeOrder = (id: string, amount: number) =>
  Effect.gen(function*() {
    yield* Effect.sleep("5 millis").pipe(Effect.withSpan("validate-order"))
    yield* chargeCard(amount)
    yield* Metric.update(Metric.withAttributes(ordersPlaced, { channel: "web" }), 1)
    yield* Metric.update(orderAmount, amount)
    yield* Effect.logInfo(`order ${id} placed`)
  }).pipe(Effect.withSpan("place-order", { attributes: { "order.id": id } }))

const orders = Math.max(1, Number(process.env["QUICKSTART_ORDERS"] ?? "2") || 2)

const main = Effect.forEach(
  Array.from({ length: orders }, (_, index) => index + 1),
  (n) => placeOrder(`o-${n}`, n % 2 === 1 ? 42 : 120).pipe(Effect.andThen(n < orders && orders > 2 ? Effect.sleep("200 millis") : Effect.void)),
  { discard: true }
).pipe(Effect.withSpan("quickstart"))

/**
 * With no collector configured (neither `OTEL_EXPORTER_OTLP_ENDPOINT` nor
 * `OTEL_EXPORTER_OTLP_PROTOCOL`), print to stdout so a newcomer sees telemetry at once; either
 * one sends OTLP (`http/protobuf` alone: to `http://localhost:4318`), the log lines included.
 */
const ObservabilityLive = Layer.unwrap(Effect.sync(() => {
  const collector = [process.env["OTEL_EXPORTER_OTLP_ENDPOINT"], process.env["OTEL_EXPORTER_OTLP_PROTOCOL"]]
    .some((value) => value !== undefined && value.trim() !== "")
  return Observability.layer({
    service: { name: "quickstart", version: "0.1.0" },
    // On stdout, log lines as JSON with the trace and span ids, so they can be matched to the spans printed.
    config: collector
      ? { logs: { enabled: true } }
      : { tracing: { exporter: "stdout" }, metrics: { exporter: "stdout" }, logs: { format: "json" } }
  })
}))

main.pipe(Effect.provide(ObservabilityLive), NodeRuntime.runMain)
