/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): self time per function, and per owner —
 * Effect's runtime, the OpenTelemetry SDK, the toolkit's own packages, gRPC/protobuf, Node's
 * internals, tsx's loader, GC and idle — so that a missed target can be traced to whose code
 * spends the time.
 *
 *   node --import tsx bench/lib/profile.ts bench/profiles/<file>.cpuprofile [top]
 */
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
}

interface CpuProfile {
  readonly startTime: number
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

export type Owner =
  | "effect"
  | "@effect/opentelemetry"
  | "@effect/platform"
  | "opentelemetry-sdk"
  | "lingo-obs"
  | "grpc/protobuf"
  | "bench"
  | "tsx/loader"
  | "node"
  | "gc"
  | "idle"
  | "other"

export const ownerOf = (frame: CallFrame): Owner => {
  const { url, functionName } = frame
  if (functionName === "(garbage collector)") return "gc"
  if (functionName === "(idle)") return "idle"
  if (url.includes("/@effect/opentelemetry/")) return "@effect/opentelemetry"
  if (url.includes("/@effect/platform")) return "@effect/platform"
  if (url.includes("/node_modules/effect/")) return "effect"
  if (url.includes("/@opentelemetry/")) return "opentelemetry-sdk"
  if (url.includes("/@grpc/") || url.includes("/protobufjs/") || url.includes("/@protobufjs/")) return "grpc/protobuf"
  if (url.includes("/tsx/") || url.includes("/esbuild")) return "tsx/loader"
  if (url.includes("/packages/") && !url.includes("node_modules")) return "lingo-obs"
  if (url.includes("/bench/")) return "bench"
  if (url.startsWith("node:") || url === "" || !url.includes("/")) return "node"
  return "other"
}

const shortUrl = (url: string) => url.replace(/^file:\/\//, "").replace(/.*\/node_modules\//, "").replace(/^\/work\/main\//, "")

export interface ProfileSummary {
  readonly totalMillis: number
  readonly byOwner: ReadonlyArray<{ owner: Owner; millis: number; share: number }>
  readonly top: ReadonlyArray<{ name: string; owner: Owner; millis: number; share: number }>
}

/** A time window on the monotonic clock, in microseconds (see `protocol.mark`). */
export interface Window {
  readonly start: number
  readonly end: number
}

/** Self time per function and per owner; only the samples inside `window`, if given. */
export const summarize = (path: string, top = 25, window?: Window): ProfileSummary => {
  const profile = JSON.parse(Fs.readFileSync(path, "utf8")) as CpuProfile
  const selfMicros = new Map<number, number>()
  let time = profile.startTime
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    time += delta
    if (window !== undefined && (time < window.start || time > window.end)) return
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta)
  })
  const byFunction = new Map<string, { owner: Owner; micros: number }>()
  const byOwner = new Map<Owner, number>()
  let total = 0
  for (const node of profile.nodes) {
    const micros = selfMicros.get(node.id) ?? 0
    if (micros === 0) continue
    const frame = node.callFrame
    const owner = ownerOf(frame)
    const key = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
    const entry = byFunction.get(key) ?? { owner, micros: 0 }
    entry.micros += micros
    byFunction.set(key, entry)
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + micros)
    total += micros
  }
  const share = (micros: number) => (total === 0 ? 0 : micros / total)
  return {
    totalMillis: total / 1000,
    byOwner: [...byOwner.entries()].sort((a, b) => b[1] - a[1]).map(([owner, micros]) => ({ owner, millis: micros / 1000, share: share(micros) })),
    top: [...byFunction.entries()].sort((a, b) => b[1].micros - a[1].micros).slice(0, top).map(([name, { owner, micros }]) => ({
      name,
      owner,
      millis: micros / 1000,
      share: share(micros)
    }))
  }
}

export const format = (summary: ProfileSummary): string => {
  const pct = (value: number) => `${(value * 100).toFixed(1).padStart(5)}%`
  const lines = [`total sampled ${summary.totalMillis.toFixed(0)} ms`, "by owner:"]
  for (const { owner, millis, share } of summary.byOwner) lines.push(`  ${pct(share)} ${millis.toFixed(0).padStart(7)} ms  ${owner}`)
  lines.push("top self time:")
  for (const { name, owner, millis, share } of summary.top) {
    lines.push(`  ${pct(share)} ${millis.toFixed(0).padStart(7)} ms  [${owner}] ${name}`)
  }
  return lines.join("\n")
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2)
  if (file === undefined) {
    console.error("usage: node --import tsx bench/lib/profile.ts <file.cpuprofile> [top]")
    process.exit(2)
  }
  console.log(format(summarize(file, top === undefined ? 25 : Number(top))))
}
