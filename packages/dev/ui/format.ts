/** Display helpers shared by the views. */

export const duration = (ms: number): string => {
  if (ms < 1) return `${(ms * 1000).toFixed(0)}µs`
  if (ms < 10) return `${ms.toFixed(2)}ms`
  if (ms < 1000) return `${ms.toFixed(1)}ms`
  return `${(ms / 1000).toFixed(2)}s`
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0")

export const clock = (ms: number): string => {
  const date = new Date(ms)
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}

export const dateTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 10)} ${clock(ms)}`

/** Four significant digits without trailing zeros: 420, 37.5, 0.001234. */
export const number = (value: number): string => String(Number(value.toPrecision(4)))

export const value = (raw: unknown): string => (typeof raw === "string" ? raw : JSON.stringify(raw))

/** Ten colours that stay apart from each other (Tableau 10). */
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

/** A colour per service, stable across reloads and tabs: an FNV-1a hash of the name picks it. */
export const serviceColour = (service: string): string => {
  let hash = 0x811c9dc5
  for (let index = 0; index < service.length; index++) hash = Math.imul(hash ^ service.charCodeAt(index), 0x01000193)
  return PALETTE[(hash >>> 0) % PALETTE.length]!
}

export const SPAN_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"]
export const STATUS = ["unset", "ok", "error"]

export const severityClass = (severityNumber: number): string =>
  severityNumber >= 17 ? "error" : severityNumber >= 13 ? "warn" : severityNumber >= 9 ? "info" : "debug"

export const traceLink = (traceId: string, spanId?: string): string =>
  `#/traces/${traceId}${spanId === undefined ? "" : `?span=${spanId}`}`

export const absoluteLink = (hash: string): string => `${location.origin}/${hash}`
