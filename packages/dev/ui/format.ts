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

export const value = (raw: unknown): string => (typeof raw === "string" ? raw : JSON.stringify(raw))

/** A colour per service, stable across reloads: a hue from the name's hash. */
export const serviceColour = (service: string): string => {
  let hash = 0
  for (let index = 0; index < service.length; index++) hash = (hash * 31 + service.charCodeAt(index)) | 0
  return `hsl(${Math.abs(hash) % 360}, 60%, 48%)`
}

export const SPAN_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"]
export const STATUS = ["unset", "ok", "error"]

export const severityClass = (severityNumber: number): string =>
  severityNumber >= 17 ? "error" : severityNumber >= 13 ? "warn" : severityNumber >= 9 ? "info" : "debug"

export const traceLink = (traceId: string, spanId?: string): string =>
  `#/traces/${traceId}${spanId === undefined ? "" : `?span=${spanId}`}`

export const absoluteLink = (hash: string): string => `${location.origin}/${hash}`
