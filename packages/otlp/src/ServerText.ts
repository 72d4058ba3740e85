/**
 * Text that comes from outside the process — a collector's error body or gRPC status message, a
 * partial-success message, a redirect target, a TLS certificate's subject and issuer — made safe
 * to print on one line of a terminal or a log. A hostile or careless server must not be able to
 * move the cursor, ring the bell, forge a log line with a line break, reverse text with a bidi
 * override, or get a credential printed by echoing the request's headers back.
 *
 * @example
 * ```ts
 * const secrets = ServerText.secretsOf({ headers: { "x-api-key": "k3y" }, endpoint: "collector:4317" })
 * ServerText.clean("bad key k3y\u001b[2J", secrets) // "bad key ***\\x1b[2J"
 * ```
 */
import * as Redact from "./Redact.js"

/**
 * What is never printed raw: C0 controls (ESC, BEL, CR, LF, TAB, …), DEL, C1 controls, the line and
 * paragraph separators, and the bidirectional marks, embeddings, overrides and isolates.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

/** `text` with each unsafe character as a visible escape: `\x1b`, `\n`, `\u202e`. */
export const escapeControls = (text: string): string =>
  text.replace(UNSAFE, (char) => {
    const named = NAMED[char]
    if (named !== undefined) return named
    const code = char.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`
  })

/** Enough of a server's text (an error body) for a log line. */
export const MAX_LENGTH = 300
/** A connection error with its explanation and remedy (`ConnectionError.describe`) is longer. */
export const MAX_ERROR_LENGTH = 1_000

/**
 * What a server could echo back of a connection's config: every configured header value (and the
 * credential inside an `authorization` value) and the user-info of the endpoint.
 */
export const secretsOf = (config: {
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly endpoint?: string | undefined
}): ReadonlyArray<string> => Redact.secretsIn({ headers: config.headers ?? {}, endpoint: config.endpoint })

/**
 * Server text as it may be printed: every secret replaced by its redaction, then every unsafe
 * character escaped, then shortened to `maxLength`. Redaction comes before shortening, so a secret
 * cut in two by the limit cannot leak its first half.
 */
export const clean = (text: string, secrets: ReadonlyArray<string>, maxLength: number = MAX_LENGTH): string => {
  const safe = escapeControls(Redact.scrub(text, secrets))
  return safe.length > maxLength ? `${safe.slice(0, maxLength)}…` : safe
}
