/**
 * `--file`: what arrives is appended to a journal, a JSON-lines file whose first line is its own
 * header (`{"lingo-obs-journal":1}`) and then one item per line (`{"span":…}`, `{"log":…}` or
 * `{"metric":…}`), loaded back into the store on the next start. The file is rewritten with only
 * what the store holds when it has grown past twice the store's capacity (in items, or in bytes
 * past twice the store's byte bound), and on load when it held more than that, so it stays
 * bounded like the store.
 *
 * The journal is only ever the journal: a path that does not exist is created; an existing file is
 * opened only when it starts with the header (an empty one is taken as new); anything else, a
 * symbolic link included, is refused before a byte of it is written. An unwritable path fails
 * `open`, once, rather than every write after it.
 *
 * @example
 * ```ts
 * const store = Store.make()
 * const journal = await Journal.open("telemetry.jsonl", store)
 * journal.append("span", spans)
 * await journal.close()
 * ```
 */
import { constants, createReadStream } from "node:fs"
import { type FileHandle, lstat, open as openFile, rename, rm } from "node:fs/promises"
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
  /** Called with what loading skipped and why (over-long lines). */
  readonly onWarning?: (message: string) => void
  /** Lines longer than this are skipped on load, with a warning (default 256 MiB, below V8's string limit). */
  readonly maxLineBytes?: number
  /** Rewrite the file once it has grown past this many bytes (default twice the store's byte bound). */
  readonly compactBytes?: number
  /** Compaction writes the file in pieces of about this size, never as one string (default 1 MiB). */
  readonly writeChunkBytes?: number
}

/** The journal's first line: what marks a file as one `--file` may append to and rewrite. */
export const HEADER = `{"lingo-obs-journal":1}`

/** A path `--file` will not use, or cannot: the message says which and why, in one line. */
export class JournalError extends Error {
  readonly _tag = "JournalError"
}

const LOAD_BATCH = 1_000
const DEFAULT_MAX_LINE_BYTES = 256 * 1024 * 1024
const DEFAULT_WRITE_CHUNK_BYTES = 1024 * 1024
const NEWLINE = 0x0a
const FILE_MODE = 0o644
/** O_NOFOLLOW: the last component of the path is never followed if it is a link. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Checks, creates or opens `path` as a journal, reads it into `store`, then appends to it. */
export const open = async (path: string, store: Store, options: OpenOptions = {}): Promise<Journal> => {
  const existing = await inspect(path)
  let handle: FileHandle
  try {
    handle = await openFile(path, existing === "missing" ? CREATE_FLAGS | constants.O_APPEND : APPEND_FLAGS, FILE_MODE)
  } catch (error) {
    throw new JournalError(`cannot ${existing === "missing" ? "create" : "write"} the journal ${path}: ${reason(error)}`)
  }
  let fileBytes: number
  let counts = { loaded: 0, skipped: 0 }
  try {
    if (existing === "missing" || existing === "empty") {
      await handle.appendFile(`${HEADER}\n`)
      fileBytes = HEADER.length + 1
    } else {
      counts = await load(path, store, options)
      fileBytes = (await handle.stat()).size
    }
  } catch (error) {
    await handle.close()
    throw error instanceof JournalError ? error : new JournalError(`cannot use the journal ${path}: ${reason(error)}`)
  }
  const journal = new FileJournal(path, store, handle, counts.loaded, counts.skipped, fileBytes, options)
  if (counts.loaded > journal.lineLimit || counts.skipped > 0 || fileBytes > journal.byteLimit) journal.compact()
  return journal
}

/** What is at `path`: nothing, an empty file, or a journal; throws `JournalError` for anything else. */
const inspect = async (path: string): Promise<"missing" | "empty" | "journal"> => {
  let stats: Awaited<ReturnType<typeof lstat>>
  try {
    stats = await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing"
    throw new JournalError(`cannot use the journal ${path}: ${reason(error)}`)
  }
  if (stats.isSymbolicLink()) {
    throw new JournalError(`${path} is a symbolic link; links are not followed, so give the journal's own path`)
  }
  if (!stats.isFile()) throw new JournalError(`${path} is not a regular file, so it cannot be a journal`)
  if (stats.size === 0) return "empty"
  let first: Buffer
  try {
    const handle = await openFile(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      first = Buffer.alloc(HEADER.length + 1)
      const { bytesRead } = await handle.read(first, 0, first.length, 0)
      first = first.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw new JournalError(`cannot read the journal ${path}: ${reason(error)}`)
  }
  if (first.toString("utf8") !== `${HEADER}\n`) {
    throw new JournalError(
      `${path} is not a lingo-obs journal (its first line is not ${HEADER}) and was left untouched; give --file a new path or an existing journal`
    )
  }
  return "journal"
}

/**
 * Reads the items after the header into `store`, in chunks: a line is at most `maxLineBytes` (a
 * longer one, however long, is skipped with a warning), so no file can make a string past V8's limit.
 */
const load = async (path: string, store: Store, options: OpenOptions): Promise<{ loaded: number; skipped: number }> => {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
  let loaded = 0
  let skipped = 0
  const batches = { span: [] as Array<NewSpan>, log: [] as Array<NewLogRecord>, metric: [] as Array<NewMetricPoint> }
  const flush = () => {
    if (batches.span.length > 0) store.addSpans(batches.span.splice(0))
    if (batches.log.length > 0) store.addLogs(batches.log.splice(0))
    if (batches.metric.length > 0) store.addMetricPoints(batches.metric.splice(0))
  }
  let parts: Array<Buffer> = []
  let lineBytes = 0
  let overlong = false
  let lineNumber = 1
  const endLine = () => {
    lineNumber++
    if (overlong) {
      skipped++
      options.onWarning?.(`${path}: line ${lineNumber} is longer than ${maxLineBytes} bytes; skipped`)
    } else if (lineBytes > 0) {
      const item = parseLine(Buffer.concat(parts, lineBytes).toString("utf8"))
      if (item === undefined) {
        skipped++
      } else {
        ;(batches[item.kind] as Array<unknown>).push(item.value)
        loaded++
        if (loaded % LOAD_BATCH === 0) flush()
      }
    }
    parts = []
    lineBytes = 0
    overlong = false
  }
  const take = (piece: Buffer) => {
    if (overlong || piece.length === 0) return
    if (lineBytes + piece.length > maxLineBytes) {
      overlong = true
      parts = []
      return
    }
    parts.push(piece)
    lineBytes += piece.length
  }
  for await (const chunk of createReadStream(path, { start: HEADER.length + 1, highWaterMark: 1024 * 1024 })) {
    const buffer = chunk as Buffer
    let from = 0
    for (let at = buffer.indexOf(NEWLINE, from); at >= 0; at = buffer.indexOf(NEWLINE, from)) {
      take(buffer.subarray(from, at))
      endLine()
      from = at + 1
    }
    // Copied: the rest of a line must not pin the whole chunk.
    if (from < buffer.length) take(Buffer.from(buffer.subarray(from)))
  }
  if (lineBytes > 0 || overlong) endLine()
  flush()
  return { loaded, skipped }
}

const parseLine = (line: string): { kind: Kind; value: unknown } | undefined => {
  if (line.trim() === "") return undefined
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
  private pendingBytes = 0
  private lines: number
  private timer: NodeJS.Timeout | undefined
  private writes: Promise<void> = Promise.resolve()
  private closed = false
  readonly lineLimit: number
  readonly byteLimit: number

  constructor(
    readonly path: string,
    private readonly store: Store,
    private handle: FileHandle,
    readonly loaded: number,
    readonly skipped: number,
    private fileBytes: number,
    private readonly options: OpenOptions
  ) {
    this.lines = loaded
    const { maxSpans, maxLogs, maxMetricPoints, maxBytes } = store.capacity
    this.lineLimit = 2 * (maxSpans + maxLogs + maxMetricPoints)
    this.byteLimit = options.compactBytes ?? 2 * maxBytes
  }

  append<K extends Kind>(kind: K, items: ReadonlyArray<Kinds[K]>): void {
    if (this.closed || items.length === 0) return
    for (const item of items) {
      const line = lineOf(kind, item)
      this.pending.push(line)
      this.pendingBytes += Buffer.byteLength(line)
    }
    this.timer ??= setTimeout(() => this.flush(), this.options.flushDelayMs ?? 100)
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      this.flush()
      this.enqueue(() => this.handle.close())
    }
    await this.writes
  }

  /**
   * Replaces the file with what the store holds now; pending lines are part of that, so they are
   * dropped. The items are taken now and written later, in pieces, to a new file renamed over the
   * journal, which is then reopened for appending.
   */
  compact(): void {
    this.pending = []
    this.pendingBytes = 0
    const items = [...this.store.contents()]
    this.lines = items.length
    const temporary = `${this.path}.${process.pid}.tmp`
    const chunkBytes = this.options.writeChunkBytes ?? DEFAULT_WRITE_CHUNK_BYTES
    this.enqueue(async () => {
      await rm(temporary, { force: true })
      const output = await openFile(temporary, CREATE_FLAGS, FILE_MODE)
      try {
        let chunk = `${HEADER}\n`
        for (const { kind, item } of items) {
          chunk += lineOf(kind, item)
          if (chunk.length >= chunkBytes) {
            await output.appendFile(chunk)
            chunk = ""
          }
        }
        await output.appendFile(chunk)
      } finally {
        await output.close()
      }
      await rename(temporary, this.path)
      const previous = this.handle
      this.handle = await openFile(this.path, APPEND_FLAGS)
      await previous.close()
      this.fileBytes = (await this.handle.stat()).size
    })
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending.length === 0) return
    if (this.lines + this.pending.length > this.lineLimit || this.fileBytes + this.pendingBytes > this.byteLimit) {
      return this.compact()
    }
    const text = this.pending.join("")
    const bytes = this.pendingBytes
    this.lines += this.pending.length
    this.pending = []
    this.pendingBytes = 0
    this.enqueue(async () => {
      await this.handle.appendFile(text)
      this.fileBytes += bytes
    })
  }

  /** Writes run one after another, so a compaction never interleaves with an append. */
  private enqueue(write: () => Promise<unknown>): void {
    this.writes = this.writes.then(write).then(
      () => undefined,
      (error: unknown) => this.options.onError?.(error)
    )
  }
}
