/**
 * Traces assembled from spans in whatever order they arrived: the tree is rebuilt from parent ids
 * on every read, so a late parent slots in above children that came first, and a span whose parent
 * never came (or was evicted) is kept as an orphan at the top level rather than hidden.
 */
import type * as Api from "../Api.js"

const STATUS_ERROR = 2

const byStart = (a: Api.Span, b: Api.Span): number => a.start - b.start || a.seq - b.seq

/** Depth-first rows, each span's children by start time; orphans and roots at depth 0 by start time. */
export const waterfall = (spans: ReadonlyMap<string, Api.Span>): Array<Api.WaterfallRow> => {
  const children = new Map<string, Array<Api.Span>>()
  const top: Array<Api.Span> = []
  for (const span of spans.values()) {
    const parent = span.parentSpanId
    if (parent === undefined || parent === span.spanId || !spans.has(parent)) {
      top.push(span)
    } else {
      const siblings = children.get(parent)
      if (siblings === undefined) children.set(parent, [span])
      else siblings.push(span)
    }
  }
  const rows: Array<Api.WaterfallRow> = []
  const placed = new Set<string>()
  // Depth-first with an explicit stack: a trace thousands of spans deep must not overflow the call stack.
  const visit = (start: Api.Span, orphan: boolean): void => {
    const stack: Array<{ readonly span: Api.Span; readonly depth: number; readonly orphan: boolean }> = [{ span: start, depth: 0, orphan }]
    while (stack.length > 0) {
      const { span, depth, orphan: isOrphan } = stack.pop()!
      if (placed.has(span.spanId)) continue
      placed.add(span.spanId)
      rows.push({ span, depth, orphan: isOrphan })
      const kids = (children.get(span.spanId) ?? []).sort(byStart)
      // Pushed last-first, so the earliest child is visited next.
      for (let index = kids.length - 1; index >= 0; index--) stack.push({ span: kids[index]!, depth: depth + 1, orphan: false })
    }
  }
  for (const span of top.sort(byStart)) visit(span, span.parentSpanId !== undefined)
  // Parent ids that form a cycle (malformed data) leave spans unreachable from any root: show them too.
  for (const span of [...spans.values()].sort(byStart)) visit(span, true)
  return rows
}

export const summarize = (traceId: string, spans: ReadonlyMap<string, Api.Span>): Api.TraceSummary => {
  let root: Api.Span | undefined
  let earliest: Api.Span | undefined
  let start = Number.POSITIVE_INFINITY
  let end = Number.NEGATIVE_INFINITY
  let errorCount = 0
  let orphanCount = 0
  let lastSeq = 0
  const services = new Set<string>()
  for (const span of spans.values()) {
    if (span.parentSpanId === undefined) {
      if (root === undefined || byStart(span, root) < 0) root = span
    } else if (!spans.has(span.parentSpanId)) {
      orphanCount++
    }
    if (earliest === undefined || byStart(span, earliest) < 0) earliest = span
    start = Math.min(start, span.start)
    end = Math.max(end, span.end)
    if (span.status.code === STATUS_ERROR) errorCount++
    lastSeq = Math.max(lastSeq, span.seq)
    services.add(span.service)
  }
  const head = root ?? earliest
  return {
    traceId,
    // A request that came in with a traceparent has a root whose parent lives in the caller.
    rootName: (root ?? earliest)?.name ?? "",
    rootService: head?.service ?? "",
    services: [...services].sort(),
    start,
    durationMs: Math.max(0, end - start),
    spanCount: spans.size,
    errorCount,
    orphanCount,
    lastSeq
  }
}

export interface TraceFilter {
  readonly service?: string | undefined
  /** A substring of any span's name, case-insensitive. */
  readonly name?: string | undefined
  readonly minDurationMs?: number | undefined
  readonly errorsOnly?: boolean | undefined
  /** `key=value`: a span or resource attribute with that key whose value reads as `value`. */
  readonly attribute?: string | undefined
  /** A prefix of the trace id, case-insensitive. */
  readonly traceId?: string | undefined
}

const attributeMatches = (attributes: Api.Attributes, key: string, value: string): boolean =>
  key in attributes && String(attributes[key]) === value

/** Whether a trace passes the filter; the cheap checks on the summary come first. */
export const matches = (
  filter: TraceFilter,
  summary: Api.TraceSummary,
  spans: ReadonlyMap<string, Api.Span>
): boolean => {
  if (filter.traceId && !summary.traceId.startsWith(filter.traceId.toLowerCase())) return false
  if (filter.service && !summary.services.includes(filter.service)) return false
  if (filter.minDurationMs !== undefined && summary.durationMs < filter.minDurationMs) return false
  if (filter.errorsOnly && summary.errorCount === 0) return false
  if (filter.name) {
    const name = filter.name.toLowerCase()
    if (![...spans.values()].some((span) => span.name.toLowerCase().includes(name))) return false
  }
  if (filter.attribute) {
    const separator = filter.attribute.indexOf("=")
    const key = separator < 0 ? filter.attribute : filter.attribute.slice(0, separator)
    const value = separator < 0 ? undefined : filter.attribute.slice(separator + 1)
    const has = (attributes: Api.Attributes) =>
      value === undefined ? key in attributes : attributeMatches(attributes, key, value)
    if (![...spans.values()].some((span) => has(span.attributes) || has(span.resource))) return false
  }
  return true
}
