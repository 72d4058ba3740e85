import { Journal, Store } from "@lingo-obs/dev"
import { createHash } from "node:crypto"
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
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

/** The item lines, after checking the file starts with the journal's header. */
const lines = (path: string) => {
  const [header, ...rest] = readFileSync(path, "utf8").split("\n")
  expect(header).toBe(Journal.HEADER)
  return rest.filter((line) => line !== "")
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex")

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

  it("refuses an existing file that is not a journal and leaves it byte for byte as it was", async () => {
    const path = tempFile()
    writeFileSync(path, "# notes\n\nthings to remember\n")
    const before = sha256(path)
    await expect(Journal.open(path, Store.make())).rejects.toThrow(
      new Journal.JournalError(`${path} is not a lingo-obs journal (its first line is not ${Journal.HEADER}) and was left untouched; give --file a new path or an existing journal`)
    )
    expect(sha256(path)).toBe(before)
    // A journal written before the header existed is refused the same way.
    writeFileSync(path, `${JSON.stringify({ span: span("a") })}\n`)
    const old = sha256(path)
    await expect(Journal.open(path, Store.make())).rejects.toThrow(/is not a lingo-obs journal/)
    expect(sha256(path)).toBe(old)
  })

  it("does not follow a symbolic link, to a journal or to anything else", async () => {
    const journalPath = tempFile()
    await (await Journal.open(journalPath, Store.make())).close()
    const before = sha256(journalPath)
    const link = `${journalPath}.link`
    symlinkSync(journalPath, link)
    await expect(Journal.open(link, Store.make())).rejects.toThrow(`${link} is a symbolic link; links are not followed, so give the journal's own path`)
    expect(sha256(journalPath)).toBe(before)
  })

  it("fails at open, in one line, for a path it cannot create or use", async () => {
    const failure = (path: string) => Journal.open(path, Store.make()).then(() => undefined, (caught: unknown) => caught as Error)
    const missingDirectory = join(tempFile(), "..", "no-such-directory", "telemetry.jsonl")
    const error = await failure(missingDirectory)
    expect(error).toBeInstanceOf(Journal.JournalError)
    expect(error!.message).toMatch(/^cannot create the journal .*no-such-directory\/telemetry\.jsonl: ENOENT/)
    const parent = tempFile()
    writeFileSync(parent, "a file, not a directory")
    expect((await failure(join(parent, "telemetry.jsonl")))!.message).toMatch(/^cannot use the journal .*: ENOTDIR/)
    for (const message of [error!.message]) expect(message).not.toContain("\n")
  })

  it("takes an existing empty file as a new journal", async () => {
    const path = tempFile()
    writeFileSync(path, "")
    const journal = await Journal.open(path, Store.make(), { flushDelayMs: 1 })
    journal.append("span", [span("a")])
    await journal.close()
    expect(lines(path).map((line) => JSON.parse(line).span.spanId)).toEqual(["a"])
  })

  it("skips a line longer than the bound, however long, with a warning, and reads the lines after it", async () => {
    const path = tempFile()
    const writer = await Journal.open(path, Store.make(), { flushDelayMs: 1 })
    writer.append("span", [span("a")])
    await writer.close()
    // 64 KiB without a newline, written in pieces, then a good line.
    appendFileSync(path, "x".repeat(64 * 1024))
    appendFileSync(path, `\n${JSON.stringify({ span: span("b") })}\n`)
    const warnings: Array<string> = []
    const store = Store.make()
    const journal = await Journal.open(path, store, { maxLineBytes: 4 * 1024, onWarning: (message) => warnings.push(message) })
    await journal.close()
    expect([journal.loaded, journal.skipped]).toEqual([2, 1])
    expect(warnings).toEqual([`${path}: line 3 is longer than 4096 bytes; skipped`])
    expect(store.trace("t1")!.rows.map((row) => row.span.spanId)).toEqual(["a", "b"])
    // A file that ends inside an over-long line loads too.
    appendFileSync(path, "y".repeat(64 * 1024))
    const again = await Journal.open(path, Store.make(), { maxLineBytes: 4 * 1024 })
    await again.close()
    expect([again.loaded, again.skipped]).toEqual([2, 1])
  })

  it("compacts once the file passes its byte bound, writing the store's contents in pieces", async () => {
    const path = tempFile()
    const store = Store.make()
    const journal = await Journal.open(path, store, { flushDelayMs: 1, compactBytes: 8 * 1024, writeChunkBytes: 1024 })
    const big = (id: string) => span(id)
    for (let round = 0; round < 20; round++) {
      const spans = [big(`s${round}`)]
      store.addSpans(spans)
      journal.append("span", spans)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    // The same span id again and again replaces itself in the store: only what the store holds stays.
    const repeated = Array.from({ length: 30 }, () => span("same"))
    store.addSpans(repeated)
    journal.append("span", repeated)
    await journal.close()
    const ids = lines(path).map((line) => JSON.parse(line).span.spanId as string)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toContain("same")
    expect(statSync(path).size).toBeLessThan(16 * 1024)
    const reloaded = Store.make()
    await (await Journal.open(path, reloaded)).close()
    expect(reloaded.stats().held.spans).toBe(21)
  })
})
