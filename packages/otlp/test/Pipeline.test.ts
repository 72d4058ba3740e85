/** The export engine on its own, with fake timers: back-off bounds, reminders, shutdown bounds. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import type { Transport } from "../src/index.js"
import { Pipeline } from "../src/index.js"

interface Line {
  readonly level: string
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>>
}

const unavailable = (extra: Partial<Transport.SendFailure> = {}): Transport.SendResult => ({
  ok: false,
  retryable: true,
  code: 14,
  status: "UNAVAILABLE",
  message: "collector busy",
  ...extra
})

/** A pipeline of numbers whose transport answers with `answer(attempt)`; what it logs and sends is recorded. */
const make = (
  answer: (attempt: number) => Transport.SendResult,
  overrides: Partial<Pipeline.Options<number, Array<number>>> = {}
) => {
  const lines: Array<Line> = []
  const sent: Array<{ readonly at: number; readonly items: Array<number> }> = []
  const pipeline = new Pipeline.Pipeline<number, Array<number>>({
    signal: "traces",
    endpoint: "collector:4317",
    encode: (items) => [...items],
    send: (items) => {
      sent.push({ at: Date.now(), items })
      return Promise.resolve(answer(sent.length))
    },
    maxQueueSize: 1_000,
    maxBatchSize: 10,
    batchDelayMillis: 0,
    maxConcurrentExports: 1,
    retry: { enabled: true, initialBackoffMillis: 1_000, maxBackoffMillis: 8_000, maxElapsedMillis: 10 * 60_000 },
    log: { log: (level, message, fields = {}) => lines.push({ level, message, fields }) },
    itemName: "spans",
    random: () => 0.999,
    ...overrides
  })
  return { pipeline, lines, sent }
}

const backoffs = (lines: ReadonlyArray<Line>) =>
  lines.filter((line) => line.level === "debug" && line.fields["backoff_ms"] !== undefined).map((line) => line.fields["backoff_ms"] as number)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe("Pipeline retry", () => {
  it("jitter never takes a back-off above maxBackoff", async () => {
    const { lines, pipeline } = make(() => unavailable())
    pipeline.offer(1)
    await vi.advanceTimersByTimeAsync(120_000)
    const delays = backoffs(lines)
    expect(delays.length).toBeGreaterThan(5)
    expect(Math.max(...delays)).toBe(8_000)
    expect(delays.slice(0, 4)).toEqual([1_499, 2_998, 5_996, 8_000])
  })

  it("a RetryInfo of 0 waits initialBackoff; one of 10 minutes waits maxBackoff", async () => {
    const zero = make((attempt) => (attempt <= 3 ? unavailable({ retryDelayMillis: 0 }) : { ok: true }))
    zero.pipeline.offer(1)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(zero.sent.map((call) => call.at - zero.sent[0]!.at)).toEqual([0, 1_000, 2_000, 3_000])

    const huge = make((attempt) => (attempt === 1 ? unavailable({ retryDelayMillis: 600_000 }) : { ok: true }))
    huge.pipeline.offer(1)
    await vi.advanceTimersByTimeAsync(8_000)
    expect(huge.sent.map((call) => call.at - huge.sent[0]!.at)).toEqual([0, 8_000])
  })

  it("an outage is one warning, a reminder a minute with counts, one recovery line", async () => {
    let down = true
    const { lines, pipeline } = make(() => (down ? unavailable() : { ok: true }))
    for (let i = 0; i < 25; i++) pipeline.offer(i)
    await vi.advanceTimersByTimeAsync(3 * 60_000 + 1_000)
    down = false
    await vi.advanceTimersByTimeAsync(10_000)
    const visible = lines.filter((line) => line.level !== "debug")
    expect(visible.map((line) => line.level)).toEqual(["warning", "warning", "warning", "warning", "info"])
    expect(visible[0]!.message).toBe(
      "traces export to collector:4317 is failing: UNAVAILABLE (collector busy); retrying in 1.5s, keeping up to 1000 spans and each batch for up to 10m 0s"
    )
    expect(visible[1]!.message).toMatch(/^traces export to collector:4317 still failing after 1m 0s: UNAVAILABLE \(collector busy\); \d+ attempts, 25 spans held, 0 spans dropped so far$/)
    expect(visible[4]!.message).toMatch(/^traces export recovered after 3m \d+s and \d+ failed attempts$/)
  })

  it("the retry window drops what is too old, and the log counts what was really dropped", async () => {
    const { lines, pipeline } = make(() => unavailable(), {
      retry: { enabled: true, initialBackoffMillis: 1_000, maxBackoffMillis: 1_000, maxElapsedMillis: 5_000 }
    })
    for (let i = 0; i < 25; i++) pipeline.offer(i)
    await vi.advanceTimersByTimeAsync(61_000)
    const reminder = lines.find((line) => line.message.includes("still failing"))!
    expect(reminder.fields).toMatchObject({ held: 0, dropped: 25 })
  })
})

describe("Pipeline shutdown", () => {
  it("retries within what is left of the timeout, then says what was delivered and what was not", async () => {
    const { lines, pipeline, sent } = make((attempt) => (attempt === 1 ? { ok: true } : unavailable({ retryDelayMillis: 4_000 })), {
      retry: { enabled: true, initialBackoffMillis: 100, maxBackoffMillis: 30_000, maxElapsedMillis: 60_000 }
    })
    for (let i = 0; i < 10; i++) pipeline.offer(i)
    await vi.advanceTimersByTimeAsync(10)
    for (let i = 0; i < 5; i++) pipeline.offer(i)
    const started = Date.now()
    const done = pipeline.shutdown(3_000)
    await vi.advanceTimersByTimeAsync(10)
    await done
    // The server asked for 4 s, 3 s were left: no waiting for a retry that cannot happen.
    expect(Date.now() - started).toBeLessThan(100)
    expect(sent).toHaveLength(2)
    const last = lines.at(-1)!
    expect(last.level).toBe("warning")
    expect(last.message).toMatch(/^traces shutdown: 5 spans not delivered, 0 delivered: the collector has been failing for \d+ms \(UNAVAILABLE: collector busy\)$/)
  })

  it("an endpoint that refused every attempt since start is not waited for", async () => {
    const { lines, pipeline } = make(() => unavailable({ unreachable: true, message: "connection refused" }))
    for (let i = 0; i < 10; i++) pipeline.offer(i)
    await vi.advanceTimersByTimeAsync(10)
    const started = Date.now()
    const done = pipeline.shutdown(5_000)
    await vi.advanceTimersByTimeAsync(0)
    await done
    expect(Date.now() - started).toBe(0)
    expect(lines.at(-1)!.message).toBe(
      "traces shutdown: 10 spans not delivered, 0 delivered: the collector was not reachable since start (UNAVAILABLE: connection refused)"
    )
  })

  it("everything delivered: one info line with the count", async () => {
    const { lines, pipeline } = make(() => ({ ok: true }))
    for (let i = 0; i < 15; i++) pipeline.offer(i)
    const done = pipeline.shutdown(5_000)
    await vi.advanceTimersByTimeAsync(10)
    await done
    expect(lines.map((line) => [line.level, line.message.replace(/\d+ms/, "Nms")])).toEqual([
      ["info", "traces pipeline shut down in Nms; 15 spans flushed"]
    ])
  })
})
