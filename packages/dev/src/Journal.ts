/**
 * `--file`: what arrives is appended to a JSON-lines file (one item per line, `{"span":…}`,
 * `{"log":…}` or `{"metric":…}`) and loaded back into the store on the next start. The file is
 * rewritten with only what the store holds when it has grown past twice the store's capacity, and
 * on load when it held more than that, so it stays bounded like the store.
 *
 * @example
 * ```ts
 * const store = Store.make()
 * const journal = await Journal.open("telemetry.jsonl", store)
 * journal.append("span", spans)
 * await journal.close()
 * ```
 */
import { createReadStream, existsSync } from "node:fs"
import { appendFile, rename, writeFile } from "node:fs/promises"
import { createInterface } from "node:readline"
import type { NewLogRecord, NewMetricPoint, NewSpan, Store } from "./Store.js"

export interface Kinds {
  readonly span: NewSpan
  readonly log: NewLogRecord
  readonly metric: NewMetricPoint
}
export type Kind = keyof Kinds

export interface Journal {
  readonly path: string
  /** Items read back on open, and lines that could not be read (a torn last line after a crash). */
  readonly loaded: number
  readonly skipped: number
  append<K extends Kind>(kind: K, items: ReadonlyArray<Kinds[K]>): void
  /** Writes what is pending; the journal takes no more items afterwards. */
  close(): Promise<void>
}

export interface OpenOptions {
  /** How long appended items wait to be written together (default 100 ms). */
  readonly flushDelayMs?: number
  /** Called when a write fails; the journal keeps trying with the next items. */
  readonly onError?: (error: unknown) => void
}

const LOAD_BATCH = 1_000

/** Reads `path` into `store` (a missing file is an empty one), then appends to it. */
export const open = async (path: string, store: Store, options: OpenOptions = {}): Promise<Journal> => {
  const { loaded, skipped } = await load(path, store)
  const journal = new FileJournal(path, store, loaded, skipped, options)
  if (loaded > journal.limit || skipped > 0) journal.compact()
  return journal
}

const load = async (path: string, store: Store): Promise<{ loaded: number; skipped: number }> => {
  let loaded = 0
  let skipped = 0
  if (!existsSync(path)) return { loaded, skipped }
  const batches = { span: [] as Array<NewSpan>, log: [] as Array<NewLogRecord>, metric: [] as Array<NewMetricPoint> }
  const flush = () => {
    if (batches.span.length > 0) store.addSpans(batches.span.splice(0))
    if (batches.log.length > 0) store.addLogs(batches.log.splice(0))
    if (batches.metric.length > 0) store.addMetricPoints(batches.metric.splice(0))
  }
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Number.POSITIVE_INFINITY })
  for await (const line of lines) {
    if (line.trim() === "") continue
    const item = parseLine(line)
    if (item === undefined) {
      skipped++
      continue
    }
    ;(batches[item.kind] as Array<unknown>).push(item.value)
    loaded++
    if (loaded % LOAD_BATCH === 0) flush()
  }
  flush()
  return { loaded, skipped }
}

const parseLine = (line: string): { kind: Kind; value: unknown } | undefined => {
  try {
    const parsed: unknown = JSON.parse(line)
    if (parsed === null || typeof parsed !== "object") return undefined
    for (const kind of ["span", "log", "metric"] as const) {
      const value = (parsed as Record<string, unknown>)[kind]
      if (value !== null && typeof value === "object") return { kind, value }
    }
    return undefined
  } catch {
    return undefined
  }
}

const lineOf = (kind: Kind, item: unknown): string => `${JSON.stringify({ [kind]: item })}\n`

class FileJournal implements Journal {
  private pending: Array<string> = []
  private lines: number
  private timer: NodeJS.Timeout | undefined
  private writes: Promise<void> = Promise.resolve()
  private closed = false
  readonly limit: number

  constructor(
    readonly path: string,
    private readonly store: Store,
    readonly loaded: number,
    readonly skipped: number,
    private readonly options: OpenOptions
  ) {
    this.lines = loaded
    const { maxSpans, maxLogs, maxMetricPoints } = store.capacity
    this.limit = 2 * (maxSpans + maxLogs + maxMetricPoints)
  }

  append<K extends Kind>(kind: K, items: ReadonlyArray<Kinds[K]>): void {
    if (this.closed || items.length === 0) return
    for (const item of items) this.pending.push(lineOf(kind, item))
    this.timer ??= setTimeout(() => this.flush(), this.options.flushDelayMs ?? 100)
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      this.flush()
    }
    await this.writes
  }

  /** Replaces the file with what the store holds; pending lines are part of that, so they are dropped. */
  compact(): void {
    this.pending = []
    const lines: Array<string> = []
    for (const { kind, item } of this.store.contents()) lines.push(lineOf(kind, item))
    this.lines = lines.length
    const temporary = `${this.path}.${process.pid}.tmp`
    this.enqueue(async () => {
      await writeFile(temporary, lines.join(""))
      await rename(temporary, this.path)
    })
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending.length === 0) return
    if (this.lines + this.pending.length > this.limit) return this.compact()
    const text = this.pending.join("")
    this.lines += this.pending.length
    this.pending = []
    this.enqueue(() => appendFile(this.path, text))
  }

  /** Writes run one after another, so a compaction never interleaves with an append. */
  private enqueue(write: () => Promise<void>): void {
    this.writes = this.writes.then(write).catch((error: unknown) => this.options.onError?.(error))
  }
}
