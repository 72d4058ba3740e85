/**
 * A logger for tests that keeps every line the program logs, with its level and annotations, so
 * a test asserts what an operator would read (for example: exactly one warning naming the
 * endpoint) without parsing stdout. `level` keeps the Effect 3 line's spelling (`"WARN"`,
 * `"INFO"`), so assertions read the same in both lines.
 *
 * @example
 * ```ts
 * const { lines, layer } = TestLogger.make()
 * yield* program.pipe(Effect.provide(layer))
 * expect(lines.filter((line) => line.level === "WARN")).toHaveLength(1)
 * ```
 */
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { label } from "./internal/severity.js"

/** One captured log line. */
export interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/**
 * A fresh capture: `lines` fills as the program logs through `layer`, which replaces Effect's
 * default logger (the fiber's other loggers, such as `tracerLogger`, stay).
 */
export const make = (): { readonly lines: ReadonlyArray<LogLine>; readonly layer: Layer.Layer<never> } => {
  const lines: Array<LogLine> = []
  const logger = Logger.make(({ fiber, logLevel, message }) => {
    lines.push({
      level: label(logLevel),
      message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
      annotations: { ...fiber.getRef(References.CurrentLogAnnotations) }
    })
  })
  return { lines, layer: Logger.layer([logger, Logger.tracerLogger]) }
}
