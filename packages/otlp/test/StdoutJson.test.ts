/**
 * The stdout exporter's lines on their own, from the OpenTelemetry SDK's real records: what both
 * Effect lines print (their services' stdout is tested on each line).
 */
import { context, ROOT_CONTEXT, SpanStatusCode, trace, TraceFlags } from "@opentelemetry/api"
import { LoggerProvider, type LogRecordProcessor, type SdkLogRecord } from "@opentelemetry/sdk-logs"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { describe, expect, it } from "vitest"
import { StdoutJson } from "../src/index.js"

const parse = (text: string) => {
  expect(text.endsWith("\n")).toBe(true)
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, any>)
}

/** Log records as the SDK hands them to a processor. */
const emitted = (emit: (logger: ReturnType<LoggerProvider["getLogger"]>) => void) => {
  const records: Array<SdkLogRecord> = []
  const processor: LogRecordProcessor = {
    onEmit: (record) => void records.push(record),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve()
  }
  emit(new LoggerProvider({ processors: [processor] }).getLogger("@lingo-obs/logs"))
  return records
}

describe("StdoutJson", () => {
  it("spans: one line each, ids in hex, kind and status by name, times in microseconds, the resource once or each", () => {
    const exporter = new InMemorySpanExporter()
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer("orders")
    const parent = tracer.startSpan("checkout", { startTime: [1_700_000_000, 0] })
    const child = tracer.startSpan("charge", { kind: 2, startTime: [1_700_000_000, 250_000_000] }, trace.setSpan(ROOT_CONTEXT, parent))
    child.setAttribute("card.brand", "visa")
    child.addEvent("declined", { code: "51" }, [1_700_000_000, 500_000_000])
    child.setStatus({ code: SpanStatusCode.ERROR, message: "card declined" })
    child.end([1_700_000_001, 0])
    parent.end([1_700_000_002, 0])
    const spans = exporter.getFinishedSpans()
    // The SDK's default resource: service.name and the telemetry.sdk.* attributes.
    const attributes = spans[0]!.resource.attributes
    expect(Object.keys(attributes).length).toBeGreaterThan(1)
    const [charge, checkout] = parse(StdoutJson.encodeSpans(spans, "once"))
    expect(charge).toEqual({
      traceId: parent.spanContext().traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      name: "charge",
      kind: "client",
      startTimeUnixMicros: 1_700_000_000_250_000,
      durationMicros: 750_000,
      status: { code: "error", message: "card declined" },
      attributes: { "card.brand": "visa" },
      events: [{ name: "declined", timeUnixMicros: 1_700_000_000_500_000, attributes: { code: "51" } }],
      links: [],
      resource: { "service.name": attributes["service.name"] },
      scope: "orders"
    })
    expect(checkout).toMatchObject({ name: "checkout", kind: "internal", status: { code: "unset" }, durationMicros: 2_000_000 })
    expect("parentSpanId" in checkout!).toBe(false)
    expect(parse(StdoutJson.encodeSpans(spans, "each"))[0]!["resource"]).toEqual(attributes)
    expect(StdoutJson.encodeSpans([])).toBe("")
  })

  it("log records: the span's ids and flags as in traceparent; a body that refers to itself still prints", () => {
    type Circular = { order: string; self?: Circular }
    const body: Circular = { order: "o-1" }
    body.self = body
    const sampled = trace.setSpanContext(context.active(), {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED
    })
    const unsampled = trace.setSpanContext(context.active(), {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "00f067aa0ba902b7",
      traceFlags: TraceFlags.NONE
    })
    const records = emitted((logger) => {
      logger.emit({ body, severityText: "INFO", severityNumber: 9, attributes: { "order.id": "o-1" }, context: sampled, timestamp: [1_700_000_000, 1_000] })
      logger.emit({ body: "not sampled", severityText: "DEBUG", severityNumber: 5, context: unsampled })
      logger.emit({ body: "no span", context: ROOT_CONTEXT })
    })
    const [first, second, third] = parse(StdoutJson.encodeLogRecords(records, "once"))
    expect(first).toEqual({
      timeUnixMicros: 1_700_000_000_000_001,
      severityText: "INFO",
      severityNumber: 9,
      body: { order: "o-1" },
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: "01",
      attributes: { "order.id": "o-1" },
      resource: { "service.name": records[0]!.resource.attributes["service.name"] },
      scope: "@lingo-obs/logs"
    })
    expect(second).toMatchObject({ body: "not sampled", spanId: "00f067aa0ba902b7", traceFlags: "00" })
    expect(Object.keys(third!)).not.toContain("traceId")
    expect(parse(StdoutJson.encodeLogRecords(records, "each"))[2]!["resource"]).toEqual(records[2]!.resource.attributes)
  })

  it("the resource line: the full attributes, once", () => {
    expect(StdoutJson.resourceLine({ "service.name": "orders", "service.version": "1.0.0", region: "eu" })).toBe(
      `{"resource":{"service.name":"orders","service.version":"1.0.0","region":"eu"}}\n`
    )
    expect(StdoutJson.formatTraceFlags(1)).toBe("01")
  })
})
