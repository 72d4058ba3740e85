/**
 * How the toolkit talks to operators: every line it logs goes through the program's Effect logger
 * with the fixed annotations `component=observability` and `service.name`, and secrets in headers
 * are redacted wherever they are printed.
 */
import * as Effect from "effect/Effect"

/** The annotation every toolkit log line carries. */
export const COMPONENT = "observability"

/** Adds the fixed annotations (`component`, `service.name`, and any extra fields) to an effect's logs. */
export const annotate = (fields: Record<string, unknown> = {}) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.annotateLogs(self, { component: COMPONENT, ...fields })

/** Header names whose values are never printed. */
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|password|cookie|credential|signature/i

/**
 * A copy of `headers` safe to print: values of secret-looking headers become `"[REDACTED]"`.
 *
 * @example
 * ```ts
 * redactHeaders({ authorization: "Bearer x", "x-tenant": "a" })
 * // { authorization: "[REDACTED]", "x-tenant": "a" }
 * ```
 */
export const redactHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, SECRET_HEADER.test(name) ? "[REDACTED]" : value])
  )

/** Redacts the values of a `k=v,k2=v2` header list (the `OTEL_EXPORTER_OTLP_HEADERS` format). */
export const redactHeaderList = (list: string): string =>
  list
    .split(",")
    .map((pair) => {
      const at = pair.indexOf("=")
      return at > 0 && SECRET_HEADER.test(decodeURIComponentSafe(pair.slice(0, at)))
        ? `${pair.slice(0, at)}=[REDACTED]`
        : pair
    })
    .join(",")

/** `decodeURIComponent` that keeps malformed escapes as they are instead of throwing. */
export const decodeURIComponentSafe = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
