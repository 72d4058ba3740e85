/**
 * The child side of the orchestrator's protocol: parameters arrive as JSON in `BENCH_PARAMS`;
 * events and the one result go to stdout as JSON lines tagged `"bench"`. Everything else a child
 * prints (the toolkit's log lines, SDK warnings) is kept by the orchestrator as the log tail.
 */
import { createInterface } from "node:readline"

export const params = <P>(): P => {
  const raw = process.env["BENCH_PARAMS"]
  if (raw === undefined) throw new Error("BENCH_PARAMS is not set: run this through bench/run.ts")
  return JSON.parse(raw) as P
}

const line = (message: object): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`)
}

/** Something the orchestrator may react to (e.g. `listening`, `started`). */
export const event = (name: string, data: object = {}): void => line({ bench: "event", name, ...data })

/**
 * Marks a moment on the monotonic clock that CPU profiles use too (microseconds), so that a
 * profile can be cut to a window (`windowStart` … `windowEnd`), e.g. the load, not the start-up.
 */
export const mark = (name: string): void => event(name, { hrMicros: Number(process.hrtime.bigint() / 1000n) })

/** The measurement of this run; printed once, at the end. */
export const result = (data: object): void => line({ bench: "result", data })

/** Nanoseconds now (monotonic). */
export const now = (): bigint => process.hrtime.bigint()

export const millisSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6

/** CPU time (user + system) in microseconds since `since`. */
export const cpuMicrosSince = (since: NodeJS.CpuUsage): number => {
  const usage = process.cpuUsage(since)
  return usage.user + usage.system
}

const handlers = new Map<string, () => void>()
let closed = false
let stdinLines: ReturnType<typeof createInterface> | undefined
const listen = () => {
  if (stdinLines !== undefined) return
  stdinLines = createInterface({ input: process.stdin })
  stdinLines.on("line", (text) => handlers.get(text.trim())?.())
  stdinLines.on("close", () => {
    closed = true
    handlers.get("")?.()
  })
}

/** Calls `handler` on each stdin line equal to `command`. */
export const onCommand = (command: string, handler: () => void): void => {
  handlers.set(command, handler)
  listen()
}

/** Resolves on the first stdin line equal to `command`, or when stdin closes. */
export const waitForCommand = (command: string): Promise<void> =>
  new Promise((resolve) => {
    if (closed) return resolve()
    const done = () => {
      stdinLines?.close()
      resolve()
    }
    handlers.set(command, done)
    handlers.set("", resolve)
    listen()
  })

/** Exits once stdout is written out (a result line must not be cut by `process.exit`). */
export const exit = (code = 0): void => {
  process.stdout.write("", () => process.exit(code))
}
