/**
 * Who may talk to a server that listens on 127.0.0.1 while its user browses the web. Binding to
 * loopback keeps other machines out, but not web pages: any page can make the browser send
 * requests to 127.0.0.1, and a page whose own name is rebound (DNS rebinding) to 127.0.0.1 can
 * read the answers too. Such requests carry the page's name in `Host` (and, for a cross-origin
 * POST, its origin in `Origin`), so a loopback server answers only requests whose `Host` names
 * loopback (`localhost`, `127.0.0.1`, `[::1]`, any port) or a name its user allowed, and refuses
 * a browser's cross-origin request, as Vite and webpack-dev-server do.
 *
 * @example
 * ```ts
 * import { LocalOrigin } from "@lingo-obs/otlp-receiver"
 *
 * const allowed = LocalOrigin.allowedHosts(["devbox"])
 * const reason = LocalOrigin.refusal(request.headers, allowed)
 * if (reason !== undefined) return answer(403, reason)
 * ```
 */
import type { IncomingHttpHeaders } from "node:http"

/** The names every loopback server answers to. */
export const LOOPBACK_HOSTS: ReadonlyArray<string> = ["localhost", "127.0.0.1", "[::1]"]

/** The host name of a `Host` value (`name[:port]`), lower-case; `undefined` when it is not one. */
export const hostnameOf = (authority: string): string | undefined => {
  if (authority === "" || /[\s/?#@\\]/.test(authority)) return undefined
  try {
    return new URL(`http://${authority}`).hostname.toLowerCase()
  } catch {
    return undefined
  }
}

/** The loopback names plus `extra` (host names, no port), normalized for `refusal`. */
export const allowedHosts = (extra: ReadonlyArray<string> = []): ReadonlySet<string> => {
  const names = new Set(LOOPBACK_HOSTS)
  for (const name of extra) {
    const hostname = hostnameOf(name)
    if (hostname === undefined) throw new Error(`not a host name: ${JSON.stringify(name)}`)
    names.add(hostname)
  }
  return names
}

const originAllowed = (origin: string, allowed: ReadonlySet<string>): boolean => {
  try {
    const url = new URL(origin)
    return (url.protocol === "http:" || url.protocol === "https:") && allowed.has(url.hostname.toLowerCase())
  } catch {
    // `null` (sandboxed frames, file: pages) and anything unparsable.
    return false
  }
}

/**
 * Why a request must be refused (answer 403 with it), or `undefined` when its `Host` names an
 * allowed host and it carries no `Origin` or an allowed one. `hint` ends the message, e.g. how to
 * allow another name.
 */
export const refusal = (headers: IncomingHttpHeaders, allowed: ReadonlySet<string>, hint = ""): string | undefined => {
  const host = headers.host
  const hostname = host === undefined ? undefined : hostnameOf(host)
  const names = [...allowed].join(", ")
  if (hostname === undefined || !allowed.has(hostname)) {
    return `refused: the Host header must name this machine's loopback (${names}), so that web pages cannot reach this server through DNS rebinding${hint}`
  }
  const origin = headers.origin
  if (origin !== undefined && !originAllowed(origin, allowed)) {
    return `refused: a cross-origin browser request (the Origin header is not one of ${names})${hint}`
  }
  return undefined
}
