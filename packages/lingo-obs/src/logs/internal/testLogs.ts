/**
 * The log records a test wrote, kept in memory with the ids of the span each was written in, so a
 * test asserts on its log lines as it does on its spans (`ObservabilityTest.logs`).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { fromFiber } from "./correlation.js"
import { label } from "./severity.js"

/** One log record as a test sees it. */
export interface LogRecord {
  /** The Effect 3 line's spelling: `"INFO"`, `"WARN"`, … */
  readonly level: "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL" | string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  /** The trace and span the record was written in; `undefined` outside any span. */
  readonly traceId: string | undefined
  readonly spanId: string | undefined
  readonly timeMillis: number
}

export class TestLogs extends Context.Service<TestLogs, {
  readonly records: Effect.Effect<ReadonlyArray<LogRecord>>
  readonly reset: Effect.Effect<void>
}>()("lingo-obs/ObservabilityTest/TestLogs") {}

/** A logger beside the program's own (which still prints) that records into `TestLogs`; one record list per build. */
export const layer: Layer.Layer<TestLogs> = Layer.fresh(Layer.unwrap(Effect.sync(() => {
  const records: Array<LogRecord> = []
  const recorder = Logger.make(({ date, fiber, logLevel, message }) => {
    const correlation = fromFiber(fiber)
    records.push({
      level: label(logLevel),
      message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
      annotations: { ...fiber.getRef(References.CurrentLogAnnotations) },
      traceId: correlation?.traceId,
      spanId: correlation?.spanId,
      timeMillis: date.getTime()
    })
  })
  return Layer.merge(
    Logger.layer([recorder], { mergeWithExisting: true }),
    Layer.succeed(TestLogs, {
      records: Effect.sync(() => [...records]),
      reset: Effect.sync(() => void records.splice(0))
    })
  )
})))
