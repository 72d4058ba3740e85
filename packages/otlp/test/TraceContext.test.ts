/**
 * The propagation rules both lines' HTTP and gRPC middleware share: what a carrier yields (a
 * parent only when valid, nothing from an unreadable carrier or a throwing propagator), and what
 * is injected for a span (its ids and flag, the incoming baggage, the incoming trace state only
 * on the same trace).
 */
import { propagation, ROOT_CONTEXT, type TextMapPropagator, trace } from "@opentelemetry/api"
import { describe, expect, it } from "vitest"
import { Propagators, TraceContext } from "../src/index.js"

const w3c = Propagators.defaultPropagator
const TRACE = "0af7651916cd43dd8448eb211c80319c"
const throwing: TextMapPropagator = {
  inject: () => {
    throw new Error("broken propagator")
  },
  extract: () => {
    throw new Error("broken propagator")
  },
  fields: () => []
}

describe("TraceContext", () => {
  it("extracts the remote parent, the trace state and the baggage of valid headers", () => {
    const { context, parent } = TraceContext.extract(w3c, {
      traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
      tracestate: "vendor=opaque",
      baggage: "tenant=acme"
    }, TraceContext.headersGetter)
    expect(parent).toEqual({ traceId: TRACE, spanId: "b7ad6b7169203331", sampled: true })
    expect(trace.getSpanContext(context)?.traceState?.get("vendor")).toBe("opaque")
    expect(propagation.getBaggage(context)?.getEntry("tenant")?.value).toBe("acme")
  })

  it("yields no parent for a malformed traceparent or a propagator that throws, without failing", () => {
    expect(TraceContext.extract(w3c, { traceparent: "00-zz-not-a-trace-01" }, TraceContext.headersGetter).parent)
      .toBeUndefined()
    const broken = TraceContext.extract(throwing, { traceparent: `00-${TRACE}-b7ad6b7169203331-01` }, TraceContext.headersGetter)
    expect(broken).toEqual({ context: ROOT_CONTEXT, parent: undefined })
  })

  it("injects the span's ids and the incoming baggage; the trace state only when the span continues that trace", () => {
    const { context: incoming } = TraceContext.extract(w3c, {
      traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
      tracestate: "vendor=opaque",
      baggage: "tenant=acme"
    }, TraceContext.headersGetter)
    const sameTrace: Record<string, string> = {}
    TraceContext.inject(w3c, { traceId: TRACE, spanId: "00f067aa0ba902b7", sampled: false }, incoming, sameTrace, TraceContext.headersSetter)
    expect(sameTrace).toEqual({ traceparent: `00-${TRACE}-00f067aa0ba902b7-00`, tracestate: "vendor=opaque", baggage: "tenant=acme" })

    const otherTrace: Record<string, string> = {}
    const other = "4bf92f3577b34da6a3ce929d0e0e4736"
    TraceContext.inject(w3c, { traceId: other, spanId: "00f067aa0ba902b7", sampled: true }, incoming, otherTrace, TraceContext.headersSetter)
    expect(otherTrace).toEqual({ traceparent: `00-${other}-00f067aa0ba902b7-01`, baggage: "tenant=acme" })
  })

  it("injects nothing, and does not throw, when the propagator throws", () => {
    const carrier: Record<string, string> = {}
    TraceContext.inject(throwing, { traceId: TRACE, spanId: "00f067aa0ba902b7", sampled: true }, ROOT_CONTEXT, carrier, TraceContext.headersSetter)
    expect(carrier).toEqual({})
  })
})
