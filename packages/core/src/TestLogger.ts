/**
 * A logger for tests that keeps every line the program logs, with its level and annotations,
 * so a test asserts what an operator would read (for example: exactly one warning naming the
 * endpoint) without parsing stdout.
 *
 * @example
 * ```ts
 * import { TestLogger } from "@lingo-obs/core"
 *
 * const { lines, layer } = TestLogger.make()
 * yield* program.pipe(Effect.provide(layer))
 * expect(lines.filter((line) => line.level === "WARN")).toHaveLength(1)
 * ```
 */
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"

/** One captured log line. */
export interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/** A fresh capture: `lines` fills as the program logs through `layer` (which replaces the default logger). */
export const make = (): { readonly lines: ReadonlyArray<LogLine>; readonly layer: Layer.Layer<never> } => {
  const lines: Array<LogLine> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    lines.push({
      level: logLevel.label,
      message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
      annotations: Object.fromEntries(annotations)
    })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}
