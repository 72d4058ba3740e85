/**
 * What the middleware records of URLs, made safe to store: no credentials, and no values of
 * query parameters that carry secrets (the semantic conventions' list, plus anything whose name
 * looks like a secret to `Redact.looksSecret`).
 */
import { Diagnostics, Redact } from "@lingo-obs/core"

/** Query parameters whose values are credentials by convention (the semantic conventions' list). */
const SECRET_QUERY_PARAMS = new Set(["awsaccesskeyid", "signature", "sig", "x-goog-signature"])

/** The query without its leading `?`, with secret-looking values replaced by `REDACTED`. */
export const redactQuery = (search: string): string | undefined => {
  const query = search.startsWith("?") ? search.slice(1) : search
  if (query === "") return undefined
  return query
    .split("&")
    .map((pair) => {
      const at = pair.indexOf("=")
      if (at <= 0) return pair
      const name = Diagnostics.decodeURIComponentSafe(pair.slice(0, at))
      const secret = SECRET_QUERY_PARAMS.has(name.toLowerCase()) || Redact.looksSecret(name)
      return secret ? `${pair.slice(0, at)}=REDACTED` : pair
    })
    .join("&")
}

/** A URL as recorded in `url.full`: user and password, and secret query values, replaced by `REDACTED`. */
export const redactUrl = (url: URL): string => {
  const copy = new URL(url.toString())
  if (copy.username !== "" || copy.password !== "") {
    copy.username = "REDACTED"
    copy.password = "REDACTED"
  }
  const query = redactQuery(copy.search)
  copy.search = query === undefined ? "" : `?${query}`
  return copy.toString()
}
