/**
 * What the toolkit may print of config and environment content. Every path that shows a config
 * value, an environment value or an error about one (env warnings, `ConfigError`s, YAML/JSON
 * syntax errors, the config watcher, `ConfigReport` / `config check`, `doctor`) goes through this
 * module, so a secret is hidden by construction rather than by each caller remembering to.
 *
 * The rules:
 * - a header value is never shown, whatever the header's name: `***` and its length
 *   (`***(32 chars)`), except for the few names of `SHOWN_HEADERS`, which carry no credential;
 * - the user-info of a URL (`http://user:pw@host`) is never shown: `http://***@host`;
 * - an environment variable that carries headers is never echoed, only its length;
 * - free text (an error message) is scrubbed of every secret the input holds.
 *
 * @example
 * ```ts
 * import { Redact } from "@lingo-obs/core"
 *
 * Redact.headers({ "x-honeycomb-team": "abc123", "content-type": "application/x-protobuf" })
 * // { "x-honeycomb-team": "***(6 chars)", "content-type": "application/x-protobuf" }
 * Redact.url("https://user:pw@collector:4317") // "https://***@collector:4317"
 * ```
 */
import { isPlainObject } from "./ConfigInput.js"

/**
 * Header names whose values are shown in clear: standard headers that never carry a credential.
 * Every other header value is redacted, whatever its name (`x-honeycomb-team`, `dd-api-key`,
 * `x-tenant` alike): a vendor's key can have any name.
 */
export const SHOWN_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "content-encoding",
  "content-type",
  "user-agent"
])

/** Names that look like they carry a credential; for places other than headers (URL query parameters). */
const SECRET_NAME = /authorization|api[-_]?key|token|secret|password|passwd|cookie|credential|signature|session/i

/** Whether a name (of a query parameter, say) looks like it carries a credential. */
export const looksSecret = (name: string): boolean => SECRET_NAME.test(name)

/** What is printed instead of a secret of `length` characters. */
export const hidden = (length: number): string => `***(${length} chars)`

/** A header's value as it may be printed: hidden unless the name is one of `SHOWN_HEADERS`. */
export const headerValue = (name: string, value: string): string =>
  SHOWN_HEADERS.has(name.toLowerCase()) ? value : hidden(value.length)

/**
 * A copy of `headers` safe to print: every value hidden except those of `SHOWN_HEADERS`.
 *
 * @example
 * ```ts
 * Redact.headers({ authorization: "Bearer x" }) // { authorization: "***(8 chars)" }
 * ```
 */
export const headers = (record: Readonly<Record<string, unknown>>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).map(([name, value]) => [name, headerValue(name, String(value))]))

const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i

/** A URL (or `host:port`) without its user-info: `http://user:pw@host:4317` → `http://***@host:4317`. */
export const url = (text: string): string => {
  const match = USER_INFO.exec(text)
  if (match !== null) return `${match[1]}***@${text.slice(match[0].length)}`
  // Without a scheme: `user:pw@host:4317`.
  const at = text.indexOf("@")
  return at > 0 && !/[/\s]/.test(text.slice(0, at)) ? `***@${text.slice(at + 1)}` : text
}

/** The user-info of a URL (`user:pw`), if it has one: a secret to scrub from messages. */
const userInfo = (text: string): string | undefined => {
  const match = USER_INFO.exec(text)
  if (match !== null) return match[2] === "" ? undefined : match[2]
  const at = text.indexOf("@")
  return at > 0 && !/[/\s]/.test(text.slice(0, at)) ? text.slice(0, at) : undefined
}

/** Whether an environment variable carries header values (`OTEL_EXPORTER_OTLP_HEADERS` and per signal). */
const isHeaderVariable = (name: string): boolean => /HEADERS$/.test(name)
/** Whether an environment variable carries an endpoint URL, which may hold a password. */
const isEndpointVariable = (name: string): boolean => /ENDPOINT$/.test(name)

/**
 * An environment variable's value as a warning may print it: header lists never (only their
 * length), endpoints without user-info, the rest quoted as they are.
 *
 * @example
 * ```ts
 * Redact.environmentValue("OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc,broken")
 * // "(value hidden: 18 chars)"
 * ```
 */
export const environmentValue = (name: string, raw: string): string =>
  isHeaderVariable(name)
    ? `(value hidden: ${raw.length} chars)`
    : JSON.stringify(isEndpointVariable(name) ? url(raw) : raw)

/**
 * The secrets a piece of config input holds: the values of every `headers` map (at any depth, for
 * configs nested under `observability:` or snake_case), and URL user-info of string values, so that
 * an error message about that input can be scrubbed of them. Iterative: input nested however deep
 * never overflows the stack.
 */
export const secretsIn = (input: unknown): ReadonlyArray<string> => {
  const secrets = new Set<string>()
  const stack: Array<{ readonly value: unknown; readonly underHeaders: boolean }> = [{ value: input, underHeaders: false }]
  let visited = 0
  // Bounded: the config decoder refuses larger inputs before it formats any message.
  while (stack.length > 0 && visited++ < 1_000_000) {
    const { value, underHeaders } = stack.pop()!
    if (typeof value === "string") {
      if (underHeaders) for (const form of credentialForms(value)) secrets.add(form)
      const info = userInfo(value)
      if (info !== undefined) secrets.add(info)
      continue
    }
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, underHeaders })
      continue
    }
    if (!isPlainObject(value)) {
      if (underHeaders && (typeof value === "number" || typeof value === "boolean")) secrets.add(String(value))
      continue
    }
    for (const key of Object.keys(value)) {
      stack.push({ value: value[key], underHeaders: underHeaders || key.toLowerCase() === "headers" })
    }
  }
  return [...secrets]
}

/**
 * A header value and what a server could echo of it: the value, and for an `authorization`-style
 * value (`Bearer abc`, `Basic dXNlcjpwdw==`) the credential without its scheme, and a Basic
 * credential decoded (`user:pw` and `pw`).
 */
const credentialForms = (value: string): ReadonlyArray<string> => {
  const forms = [value, value.trim()]
  const scheme = /^([A-Za-z][\w.+-]*)\s+(\S.*)$/.exec(value.trim())
  if (scheme !== null) {
    const credential = scheme[2]!.trim()
    forms.push(credential)
    if (scheme[1]!.toLowerCase() === "basic") {
      const decoded = Buffer.from(credential, "base64").toString("utf8")
      const colon = decoded.indexOf(":")
      if (colon >= 0 && /^[ -~]+$/.test(decoded)) forms.push(decoded, decoded.slice(colon + 1))
    }
  }
  return forms.filter((form) => form !== "")
}

/** Shorter secrets are hidden only where they stand alone, so that `1` does not blank out `401`. */
const SHORT_SECRET = 4

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * `text` with every occurrence of each secret (as written, as JSON would escape it, and
 * percent-encoded) replaced by `***`. Longest first, so a secret that contains another is hidden
 * whole. A secret shorter than four characters is hidden where no letter or digit adjoins it.
 */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  let result = text
  const forms = secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])
  for (const secret of [...new Set(forms)].sort((a, b) => b.length - a.length)) {
    if (secret === "" || !result.includes(secret)) continue
    result = secret.length >= SHORT_SECRET
      ? result.split(secret).join("***")
      : result.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(secret)}(?![A-Za-z0-9])`, "g"), "***")
  }
  return result
}
