/**
 * What both lines' orchestrators record: one row per figure (median and spread of its runs, the
 * ratio to another row, the target and whether it is met), every run's raw result, the problems
 * (children that failed), CPU profile summaries; and the table printed at the end.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type ChildResult, ROOT } from "./child.js"
import { PROFILE_DIR, profile } from "./options.js"
import * as Profile from "./profile.js"
import { type Summary, summarize } from "./stats.js"

export interface Row {
  readonly scenario: string
  readonly variant: string
  readonly metric: string
  readonly unit: string
  readonly summary: Summary
  /** The ratio of this median to another row's median (`vs` names that variant). */
  ratio?: { readonly vs: string; readonly value: number } | undefined
  target?: string | undefined
  met?: boolean | undefined
  note?: string | undefined
}

export const rows: Array<Row> = []
export const raw: Record<string, Record<string, Array<unknown>>> = {}
export const problems: Array<string> = []

export const keep = (scenario: string, variant: string, value: unknown) => {
  ;((raw[scenario] ??= {})[variant] ??= []).push(value)
}

export const addRow = (row: Omit<Row, "summary"> & { values: ReadonlyArray<number> }): Row => {
  const { values, ...rest } = row
  const full: Row = { ...rest, summary: summarize(values) }
  rows.push(full)
  return full
}

export const ratioOf = (row: Row, base: Row | undefined, vs: string) => {
  if (base === undefined || !Number.isFinite(base.summary.median) || base.summary.median === 0) return
  row.ratio = { vs, value: row.summary.median / base.summary.median }
}

/** Sets a target on a row's ratio: met when the ratio exists and is at most `limit`. */
export const ratioTarget = (row: Row, limit: number, text: string, extra = true) => {
  row.target = text
  row.met = row.ratio !== undefined && row.ratio.value <= limit && extra
}

/** Values of `field` across the runs of a variant (non-numbers skipped). */
export const field = <T>(results: ReadonlyArray<T>, pick: (result: T) => number | undefined): Array<number> =>
  results.map(pick).filter((value): value is number => typeof value === "number" && Number.isFinite(value))

/** Runs every variant `count` times, the order rotated each run so that none always goes first. */
export const interleave = async <V extends string>(variants: ReadonlyArray<V>, count: number, run: (variant: V, index: number) => Promise<void>) => {
  for (let index = 0; index < count; index++) {
    for (let k = 0; k < variants.length; k++) {
      await run(variants[(k + index) % variants.length]!, index)
    }
  }
}

export const profileDir = (label: string) => (profile ? Fs.mkdtempSync(Path.join(PROFILE_DIR, `${label}-`)) : undefined)

/** The `windowStart` … `windowEnd` marks a child printed, if any (microseconds, monotonic). */
export const windowOf = (events: ChildResult<unknown>["events"]): Profile.Window | undefined => {
  const start = events.find((e) => e.name === "windowStart")?.["hrMicros"]
  const end = events.find((e) => e.name === "windowEnd")?.["hrMicros"]
  return typeof start === "number" && typeof end === "number" ? { start, end } : undefined
}

export const summarizeProfiles = (dir: string | undefined, label: string, window?: Profile.Window) => {
  if (dir === undefined) return
  // Node writes one profile per thread; the main thread's is the one that ran the program.
  for (const file of Fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const path = Path.join(dir, file)
    const summary = Profile.summarize(path, 20)
    if (summary.byOwner.every((o) => o.owner === "idle" || o.owner === "node" || o.owner === "tsx/loader" || o.owner === "gc" || o.owner === "other")) continue
    console.log(`\n--- CPU profile ${label}: ${Path.relative(ROOT, path)} (whole process)\n${Profile.format(summary)}`)
    if (window !== undefined) {
      console.log(`--- the same, measured window only (${fmt((window.end - window.start) / 1000)} ms)\n${Profile.format(Profile.summarize(path, 25, window))}`)
    }
  }
}

export const checkChild = (label: string, child: ChildResult<unknown>) => {
  if (child.result === undefined || child.exitCode !== 0 || child.timedOut) {
    const message = `${label}: exit ${child.exitCode}${child.timedOut ? " (timed out)" : ""}, no result\n    ${child.logTail.slice(-12).join("\n    ")}`
    problems.push(message)
    console.log(`  ! ${message}`)
    return false
  }
  return true
}

export const log = (text: string) => console.log(text)
export const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a")

// -------------------------------------------------------------------------------------------
// Table
// -------------------------------------------------------------------------------------------

const num = (value: number, unit: string) => {
  if (!Number.isFinite(value)) return "n/a"
  if (unit === "") return value.toFixed(3)
  const abs = Math.abs(value)
  return abs >= 1000 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2)
}

/** Prints every row under `title` (the run's settings and machine), then the notes and problems. */
export const table = (title: string) => {
  // A row nothing was measured for (left out by --quick, or its runs failed) meets nothing.
  for (const row of rows) if (row.summary.n === 0) row.met = undefined
  const header = ["scenario", "variant", "metric", "median", "spread (min–max)", "ratio", "target", "met?"]
  const body = rows.map((row) => [
    row.scenario,
    row.variant,
    row.unit === "" ? row.metric : `${row.metric} (${row.unit})`,
    num(row.summary.median, row.unit),
    row.summary.n <= 1 ? `n=${row.summary.n}` : `${num(row.summary.min, row.unit)}–${num(row.summary.max, row.unit)} n=${row.summary.n}`,
    row.ratio === undefined ? "" : `${row.ratio.value.toFixed(2)} × ${row.ratio.vs}`,
    row.target ?? "",
    row.met === undefined ? (row.target === undefined ? "" : row.summary.n === 0 ? "not run" : "?") : row.met ? "yes" : "NO"
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")
  console.log(`\n${title}`)
  console.log(line(header))
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"))
  for (const cells of body) console.log(line(cells))
  const notes = rows.filter((row) => row.note !== undefined)
  if (notes.length > 0) {
    console.log("\nnotes:")
    for (const row of notes) console.log(`  ${row.scenario} / ${row.variant} / ${row.metric}: ${row.note}`)
  }
  if (problems.length > 0) {
    console.log("\nproblems:")
    for (const problem of problems) console.log(`  ${problem}`)
  }
}
