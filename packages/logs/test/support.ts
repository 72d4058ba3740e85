import { Console, Effect } from "effect"

/**
 * A console that keeps what loggers write with `console.log`, as a test reads stdout. Loggers
 * write through the fiber's `Console`, so `Effect.withConsole(capture.console)` catches them.
 */
export const captureConsole = Effect.map(Effect.console, (base) => {
  const lines: Array<string> = []
  const unsafe: Console.UnsafeConsole = {
    ...base.unsafe,
    log: (...args: ReadonlyArray<unknown>) => void lines.push(args.map(String).join(" ")),
    info: (...args: ReadonlyArray<unknown>) => void lines.push(args.map(String).join(" "))
  }
  const console: Console.Console = { ...base, unsafe }
  return { lines, console }
})

/** The lines that are JSON objects, parsed. */
export const jsonLines = (lines: ReadonlyArray<string>): Array<Record<string, unknown>> =>
  lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>)
