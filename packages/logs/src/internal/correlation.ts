import * as Context from "effect/Context"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import type * as Logger from "effect/Logger"
import * as Tracer from "effect/Tracer"

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
 * The current span of the fiber that logged, read from the log call's context (never from a
 * global), so it is right whichever tracer runs and however fibers interleave. A remote parent
 * extracted by a middleware counts too: its ids are the caller's trace.
 */
export const fromLogOptions = (options: Logger.Logger.Options<unknown>): Correlation | undefined => {
  const span = Context.getOption(FiberRefs.getOrDefault(options.context, FiberRef.currentContext), Tracer.ParentSpan)
  if (span._tag === "None") return undefined
  return { traceId: span.value.traceId, spanId: span.value.spanId, traceFlags: span.value.sampled ? 1 : 0 }
}

/** Trace flags as the two hex digits of a `traceparent` header (`01`, `00`): the engine's, as the stdout exporter prints them. */
export { formatTraceFlags } from "@lingo-obs/otlp/StdoutJson"
