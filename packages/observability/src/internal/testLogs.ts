/**
 * The log records a test wrote, kept in memory with the ids of the span each was written in, so a
 * test asserts on its log lines as it does on its spans (`Observability.logs`).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Tracer from "effect/Tracer"

/** One log record as a test sees it. */
export interface LogRecord {
  readonly level: "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL" | string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  /** The trace and span the record was written in; `undefined` outside any span. */
  readonly traceId: string | undefined
  readonly spanId: string | undefined
  readonly timeMillis: number
}

export class TestLogs extends Context.Tag("@lingo-obs/observability/TestLogs")<TestLogs, {
  readonly records: Effect.Effect<ReadonlyArray<LogRecord>>
  readonly reset: Effect.Effect<void>
}>() {}

/** A logger beside the program's own (which still prints) that records into `TestLogs`. */
export const layer: Layer.Layer<TestLogs> = Layer.unwrapEffect(Effect.sync(() => {
  const records: Array<LogRecord> = []
  const recorder = Logger.make(({ annotations, context, date, logLevel, message }) => {
    const span = Context.getOption(FiberRefs.getOrDefault(context, FiberRef.currentContext), Tracer.ParentSpan)
    records.push({
      level: logLevel.label,
      message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
      annotations: Object.fromEntries(HashMap.toEntries(annotations)),
      traceId: span._tag === "Some" ? span.value.traceId : undefined,
      spanId: span._tag === "Some" ? span.value.spanId : undefined,
      timeMillis: date.getTime()
    })
  })
  return Layer.merge(
    Logger.add(recorder),
    Layer.succeed(TestLogs, {
      records: Effect.sync(() => [...records]),
      reset: Effect.sync(() => void records.splice(0))
    })
  )
}))
