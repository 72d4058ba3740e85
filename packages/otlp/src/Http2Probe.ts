/**
 * Whether an endpoint accepts an HTTP/2 connection (TLS handshake included), with the socket's
 * or handshake's own error when it does not: grpc-js's `waitForReady` only ever says "failed to
 * connect before the deadline", which names no certificate problem and always waits it out.
 */
import * as Http2 from "node:http2"
import * as Net from "node:net"
import type { TlsMaterial } from "./TlsMaterial.js"

export interface Target {
  readonly host: string
  readonly port: number
}


/** `host:port`, `[v6]:port`, or a URL, into host and port (4317 when absent). */
export const parseTarget = (endpoint: string): Target => {
  const withoutScheme = endpoint.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "")
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(withoutScheme)
  if (bracketed !== null) return { host: bracketed[1]!, port: Number(bracketed[2] ?? 4317) }
  const at = withoutScheme.lastIndexOf(":")
  return at > 0 && /^\d+$/.test(withoutScheme.slice(at + 1))
    ? { host: withoutScheme.slice(0, at), port: Number(withoutScheme.slice(at + 1)) }
    : { host: withoutScheme, port: 4317 }
}

/** TLS server name: a DNS name only (RFC 6066; an IP address there makes Node print DEP0123). */
export const serverName = (host: string): string | undefined => (Net.isIP(host) === 0 ? host : undefined)

/**
 * Resolves once the server has answered with its HTTP/2 settings; rejects with the connection's
 * error, or an error coded `LINGO_NOT_HTTP2` when it closed without speaking HTTP/2, or
 * `ETIMEDOUT` after `timeoutMillis`.
 */
export const probe = (target: Target, tls: TlsMaterial | undefined, timeoutMillis: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const host = target.host.includes(":") ? `[${target.host}]` : target.host
    const session = Http2.connect(
      `${tls === undefined ? "http" : "https"}://${host}:${target.port}`,
      tls === undefined ? {} : {
        ca: tls.ca,
        key: tls.key,
        cert: tls.cert,
        // Hostname checks still use the host; only SNI is left out for an IP address.
        servername: serverName(target.host) ?? "",
        ALPNProtocols: ["h2"]
      }
    )
    let settled = false
    const finish = (error?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      session.destroy()
      if (error === undefined) resolve()
      else reject(error)
    }
    const timer = setTimeout(() => {
      const error: NodeJS.ErrnoException = new Error(`no connection within ${timeoutMillis}ms`)
      error.code = "ETIMEDOUT"
      finish(error)
    }, timeoutMillis)
    session.once("remoteSettings", () => finish())
    session.on("error", (error) => finish(error))
    // A TLS 1.3 alert after the handshake (a client certificate required) reaches only the socket.
    session.once("connect", (_, socket) => socket.once("error", (error) => finish(error)))
    session.once("close", () => {
      const error: NodeJS.ErrnoException = new Error("the server closed the connection before speaking HTTP/2")
      error.code = "LINGO_NOT_HTTP2"
      finish(error)
    })
  })
