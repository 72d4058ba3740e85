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

let collectors = 0

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
    // Each test its own collector: what one learns of it is shared by the pipelines sending there.
    server: `collector-${++collectors}:4317`,
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

const refused = () => unavailable({ unreachable: true, message: "connection refused" })

describe("Pipeline shutdown delivers what can still be delivered", () => {
  it("never reached since start, up now: the shutdown's fresh attempt delivers", async () => {
    let up = false
    const { lines, pipeline, sent } = make(() => (up ? { ok: true } : refused()))
    pipeline.reportUnreachable("UNAVAILABLE", "connection refused")
    for (let i = 0; i < 15; i++) pipeline.offer(i)
    await vi.advanceTimersByTimeAsync(10)
    expect(sent).toHaveLength(1)
    up = true
    const done = pipeline.shutdown(5_000)
    await vi.advanceTimersByTimeAsync(10)
    await done
    expect(sent.slice(1).flatMap((call) => call.items)).toHaveLength(15)
    expect(lines.at(-1)!.message).toMatch(/^traces pipeline shut down in \d+ms; 15 spans flushed$/)
  })

  it("never reached and refused again: one fresh attempt, then the exit is immediate", async () => {
    const { lines, pipeline, sent } = make(() => refused())
    pipeline.reportUnreachable("UNAVAILABLE", "connection refused")
    for (let i = 0; i < 15; i++) pipeline.offer(i)
    await vi.advanceTimersByTimeAsync(10)
    const before = sent.length
    const started = Date.now()
    const done = pipeline.shutdown(5_000)
    await vi.advanceTimersByTimeAsync(0)
    await done
    expect(Date.now() - started).toBe(0)
    expect(sent.length - before).toBe(1)
    expect(lines.at(-1)!.message).toBe(
      "traces shutdown: 15 spans not delivered, 0 delivered: the collector was not reachable since start (UNAVAILABLE: connection refused)"
    )
  })

  it("another signal reached the same server: this one keeps trying within the timeout", async () => {
    const server = "shared-collector:4318"
    const traces = make(() => ({ ok: true }), { server })
    let attempts = 0
    const metrics = make(() => (++attempts < 4 ? refused() : { ok: true }), { server, signal: "metrics" })
    traces.pipeline.offer(1)
    await vi.advanceTimersByTimeAsync(10)
    metrics.pipeline.offer(1)
    await vi.advanceTimersByTimeAsync(10)
    const done = metrics.pipeline.shutdown(5_000)
    await vi.advanceTimersByTimeAsync(2_000)
    await done
    expect(attempts).toBe(4)
    expect(metrics.lines.at(-1)!.message).toMatch(/^metrics pipeline shut down in .*; 1 data points flushed$/)
  })

  it("a success of another signal on the same server ends this one's back-off at once", async () => {
    const server = "shared-collector:4317"
    let up = false
    const metrics = make(() => (up ? { ok: true } : refused()), { server, signal: "metrics" })
    const traces = make(() => (up ? { ok: true } : refused()), { server })
    metrics.pipeline.offer(1)
    await vi.advanceTimersByTimeAsync(10)
    expect(metrics.sent).toHaveLength(1)
    up = true
    traces.pipeline.offer(1)
    await vi.advanceTimersByTimeAsync(10)
    // The metrics back-off (1-2 s) has not ended; the traces' success cut it short.
    expect(metrics.sent).toHaveLength(2)
    expect(metrics.lines.some((line) => line.message.startsWith("metrics export recovered"))).toBe(true)
  })

  it("503 with Retry-After 1 s twice at shutdown: retried as asked (not at initialBackoff), delivered", async () => {
    const { lines, pipeline, sent } = make(
      (attempt) => (attempt <= 2 ? unavailable({ status: "HTTP 503", code: 503, retryDelayMillis: 1_000 }) : { ok: true }),
      { retry: { enabled: true, initialBackoffMillis: 5_000, maxBackoffMillis: 30_000, maxElapsedMillis: 60_000 } }
    )
    for (let i = 0; i < 7; i++) pipeline.offer(i)
    const started = Date.now()
    const done = pipeline.shutdown(5_000)
    await vi.advanceTimersByTimeAsync(3_000)
    await done
    expect(sent.map((call) => call.at - started)).toEqual([0, 1_000, 2_000])
    expect(lines.at(-1)!.message).toMatch(/^traces pipeline shut down in 2\.0s; 7 spans flushed$/)
  })

  it("a server's delay that does not fit in what is left: no wait, the shutdown line says why", async () => {
    const { lines, pipeline, sent } = make(() => unavailable({ retryDelayMillis: 1_000 }))
    for (let i = 0; i < 7; i++) pipeline.offer(i)
    const started = Date.now()
    const done = pipeline.shutdown(800)
    await vi.advanceTimersByTimeAsync(10)
    await done
    expect(Date.now() - started).toBeLessThan(100)
    expect(sent).toHaveLength(1)
    expect(lines.at(-1)!.message).toMatch(/^traces shutdown: 7 spans not delivered, 0 delivered: the collector has been failing/)
  })
})

describe("Pipeline drop accounting", () => {
  /** The lines that say a drop, and the shutdown line's undelivered count. */
  const said = (lines: ReadonlyArray<Line>) =>
    lines.reduce((sum, line) => sum + Number(line.fields["dropped"] ?? 0), 0) -
    // The outage's reminder and recovery lines repeat counts already said.
    lines.filter((line) => /still failing after|recovered after/.test(line.message))
      .reduce((sum, line) => sum + Number(line.fields["dropped"] ?? 0), 0) +
    lines.reduce((sum, line) => sum + Number(line.fields["undelivered"] ?? 0), 0)

  it("retry exhaustion, permanent failures, queue overflow and shutdown: each item said once, the total at WARN", async () => {
    // Attempt 1 refused for good (413), then 503 for ever.
    const { lines, pipeline } = make(
      (attempt) => (attempt === 1 ? { ok: false, retryable: false, code: 413, status: "HTTP 413", message: "too large" } : unavailable()),
      {
        maxQueueSize: 30,
        retry: { enabled: true, initialBackoffMillis: 100, maxBackoffMillis: 100, maxElapsedMillis: 1_000 }
      }
    )
    const produced = 60
    let accepted = 0
    for (let i = 0; i < 10; i++) accepted += pipeline.offer(i) ? 1 : 0
    await vi.advanceTimersByTimeAsync(10)
    for (let i = 10; i < produced; i++) accepted += pipeline.offer(i) ? 1 : 0
    await vi.advanceTimersByTimeAsync(5_000)
    for (let i = 0; i < 5; i++) pipeline.offer(i)
    const done = pipeline.shutdown(300)
    await vi.advanceTimersByTimeAsync(400)
    await done
    expect(accepted).toBeLessThan(produced)
    expect(said(lines)).toBe(produced + 5)
    const last = lines.at(-1)!
    expect(last.level).toBe("warning")
    expect(last.fields["lost"]).toBe(produced + 5)
    expect(last.message).toContain(`${produced + 5} spans lost in all since start`)
    expect(lines.filter((line) => line.message.startsWith("traces export permanent failure: HTTP 413 (too large); dropped 10 spans")))
      .toHaveLength(1)
    expect(lines.some((line) => /^traces export: dropped \d+ spans whose retry window \(retry\.maxElapsedTime, 1\.0s\) ended; last failure: UNAVAILABLE/.test(line.message)))
      .toBe(true)
    expect(lines.some((line) => /^traces queue full \(30 spans\): dropped \d+ spans$/.test(line.message))).toBe(true)
  })

  it("the same permanent failure twice: both batches counted in the lines (20, not 10)", async () => {
    const { lines, pipeline } = make(() => ({ ok: false, retryable: false, code: 413, status: "HTTP 413", message: "too large" }))
    for (let i = 0; i < 20; i++) pipeline.offer(i)
    const done = pipeline.shutdown(1_000)
    await vi.advanceTimersByTimeAsync(10)
    await done
    const permanent = lines.filter((line) => line.message.startsWith("traces export permanent failure"))
    expect(permanent.reduce((sum, line) => sum + Number(line.fields["dropped"]), 0)).toBe(20)
    expect(lines.at(-1)!.message).toContain("20 spans lost in all since start (permanent_failure 20)")
  })

  it("a Retry-After above maxBackoff is said to be capped, not honoured", async () => {
    const { lines, pipeline } = make((attempt) => (attempt === 1 ? unavailable({ retryDelayMillis: 999_999_000 }) : { ok: true }))
    pipeline.offer(1)
    await vi.advanceTimersByTimeAsync(10)
    const warning = lines.find((line) => line.level === "warning")!
    expect(warning.message).toContain("retrying in 8.0s (the server asked for")
    expect(warning.message).toContain("capped at retry.maxBackoff")
    expect(warning.message).not.toContain("as the server asked")
  })
})

describe("Pipeline after shutdown", () => {
  it("an item offered after shutdown is counted and said at once", async () => {
    const { lines, pipeline } = make(() => ({ ok: true }))
    const done = pipeline.shutdown(1_000)
    await vi.advanceTimersByTimeAsync(10)
    await done
    expect(pipeline.offer(1)).toBe(false)
    expect(lines.at(-1)).toMatchObject({
      level: "warning",
      message: "traces pipeline is shut down: dropped 1 spans that came after it",
      fields: { dropped: 1, reason: "shutdown" }
    })
  })
})
