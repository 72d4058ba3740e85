import type * as Fiber from "effect/Fiber"

/** The span a log line was written in, as backends join logs to traces. */
export interface Correlation {
  /** 32 lower-case hex digits. */
  readonly traceId: string
  /** 16 lower-case hex digits. */
  readonly spanId: string
  /** W3C trace flags: 1 when the trace is sampled (exported), 0 when not. */
  readonly traceFlags: number
}

/**
 * The current span of the fiber that logged (Effect 4 keeps it in the fiber's cache), never a
 * global, so it is right whichever tracer runs and however fibers interleave. A remote parent
 * extracted by a middleware counts too: its ids are the caller's trace.
 */
export const fromFiber = (fiber: Fiber.Fiber<unknown, unknown>): Correlation | undefined => {
  const span = fiber.cache.span
  if (span === undefined) return undefined
  return { traceId: span.traceId, spanId: span.spanId, traceFlags: span.sampled ? 1 : 0 }
}

/** Trace flags as the two hex digits of a `traceparent` header (`01`, `00`): the engine's, as the stdout exporter prints them. */
export { formatTraceFlags } from "@lingo-obs/otlp/StdoutJson"
