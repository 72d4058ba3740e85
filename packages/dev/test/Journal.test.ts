import { Journal, Store } from "@lingo-obs/dev"
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"

const tempFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "lingo-obs-dev-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, "telemetry.jsonl")
}

const span = (spanId: string, parentSpanId?: string): Store.NewSpan => ({
  traceId: "t1",
  spanId,
  ...(parentSpanId === undefined ? {} : { parentSpanId }),
  name: spanId,
  service: "svc",
  kind: 2,
  start: 1_700_000_000_000.125,
  end: 1_700_000_000_010.5,
  attributes: { "http.route": "/users/:id", big: "9007199254740993" },
  status: { code: 2, message: "boom" },
  events: [{ name: "e", time: 1, attributes: {} }],
  links: [],
  resource: { "service.name": "svc" },
  scope: { name: "scope", version: "1" }
})

const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter((line) => line !== "")

describe("Journal", () => {
  it("appends what arrives and reloads it into a fresh store on the next start", async () => {
    const path = tempFile()
    const first = Store.make()
    const journal = await Journal.open(path, first, { flushDelayMs: 1 })
    expect(journal.loaded).toBe(0)
    first.addSpans([span("child", "root")])
    journal.append("span", [span("child", "root")])
    journal.append("span", [span("root")])
    journal.append("log", [{ time: 2, severityNumber: 9, severityText: "INFO", body: "hello", attributes: {}, traceId: "t1", service: "svc", resource: {}, scope: { name: "s" } }])
    journal.append("metric", [{ name: "m", description: "", unit: "1", type: "gauge", service: "svc", attributes: {}, startTime: 0, time: 3, value: 7 }])
    await journal.close()
    expect(lines(path)).toHaveLength(4)

    const second = Store.make()
    const reopened = await Journal.open(path, second)
    await reopened.close()
    expect(reopened.loaded).toBe(4)
    const trace = second.trace("t1")!
    expect(trace.rows.map((row) => [row.span.name, row.depth])).toEqual([["root", 0], ["child", 1]])
    expect(trace.rows[0]!.span).toMatchObject({ start: 1_700_000_000_000.125, attributes: { big: "9007199254740993" }, status: { code: 2, message: "boom" } })
    expect(trace.logs.map((record) => record.body)).toEqual(["hello"])
    expect(second.metrics().map((metric) => metric.name)).toEqual(["m"])
  })

  it("skips a torn last line and keeps the file within the store's capacity", async () => {
    const path = tempFile()
    const writer = await Journal.open(path, Store.make(), { flushDelayMs: 1 })
    writer.append("span", ["a", "b", "c", "d"].map((id) => span(id)))
    await writer.close()
    appendFileSync(path, '{"span":{"traceId":"t1","spa')

    const small = Store.make({ maxSpans: 2 })
    const journal = await Journal.open(path, small)
    await journal.close()
    expect([journal.loaded, journal.skipped]).toEqual([4, 1])
    expect(small.trace("t1")!.rows.map((row) => row.span.spanId)).toEqual(["c", "d"])
    // Rewritten with what the store holds, so the torn line and the evicted spans are gone.
    expect(lines(path).map((line) => JSON.parse(line).span.spanId)).toEqual(["c", "d"])
  })
})
