/**
 * What both Effect lines' config-file watchers share: noticing that a watched file's content
 * changed (polling the content, which survives editors that replace the file), and telling which
 * fields an edit changed and which of those a running program can apply. Each line runs the
 * polling loop on its own scheduler, decodes with its own Schema and applies through its own
 * `Reconfigure`.
 *
 * @example
 * ```ts
 * const changes = new ConfigWatch.FileChanges(file)
 * await changes.start()
 * // every 500 ms:
 * const read = await changes.next()
 * if (read !== undefined) reload(read)
 * ```
 */
import { isPlainObject } from "./ConfigInput.js"
import { type Invalid, readText } from "./ConfigFile.js"

/** The fields a running program applies from an edited file; any other change waits for the next start. */
export const HOT_FIELDS: ReadonlySet<string> = new Set(["tracing.samplingRatio", "tracing.enabled", "metrics.enabled"])

/**
 * The dotted paths of the fields that differ between two configs in their encoded form (plain
 * data: durations as `"5s"`): a section's fields one by one, other top-level values whole.
 */
export const changedFields = (before: unknown, after: unknown): ReadonlyArray<string> => {
  const a = isPlainObject(before) ? before : {}
  const b = isPlainObject(after) ? after : {}
  return union(a, b).flatMap((section) => {
    const x = a[section]
    const y = b[section]
    if (!isPlainObject(x) || !isPlainObject(y)) return same(x, y) ? [] : [section]
    return union(x, y).filter((key) => !same(x[key], y[key])).map((key) => `${section}.${key}`)
  })
}

const union = (a: Record<string, unknown>, b: Record<string, unknown>): Array<string> => [...new Set([...Object.keys(a), ...Object.keys(b)])]

const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b)

/** `changedFields` split into those a running program applies and those that wait for a restart. */
export const classify = (before: unknown, after: unknown): { readonly hot: ReadonlyArray<string>; readonly cold: ReadonlyArray<string> } => {
  const changed = changedFields(before, after)
  return { hot: changed.filter((field) => HOT_FIELDS.has(field)), cold: changed.filter((field) => !HOT_FIELDS.has(field)) }
}

/** A changed file: its new text, or why it cannot be used (too large, say). */
export type Change = { readonly _tag: "Text"; readonly text: string } | Invalid

/**
 * The changes of one file's content, one poll at a time. A file that cannot be opened for a moment
 * (an editor replacing it) is no change; one that stays unusable is reported once per content.
 */
export class FileChanges {
  private last: string | undefined

  constructor(readonly path: string) {}

  /** Remembers the content now, so that only later edits are changes. */
  async start(): Promise<void> {
    this.last = keyOf(await readText(this.path))
  }

  /** The content if it changed since the last call (or `start`); `undefined` when it did not. */
  async next(): Promise<Change | undefined> {
    const read = await readText(this.path)
    if (read._tag === "Invalid" && read.code === "ENOENT") return undefined
    const key = keyOf(read)
    if (key === this.last) return undefined
    this.last = key
    return read
  }
}

const keyOf = (read: Change): string => (read._tag === "Text" ? `text:${read.text}` : `invalid:${read.message}`)
