/**
 * The network steps of `lingo-obs doctor` below gRPC: name resolution, a TCP connection, and a TLS
 * handshake that reports what the server presented instead of refusing it, so a mismatch can be
 * named (plaintext server behind a TLS config and the reverse, a CA the config does not trust, a
 * host name the certificate does not cover, an expired certificate).
 */
import * as Dns from "node:dns/promises"
import * as Net from "node:net"
import * as Tls from "node:tls"

/** `host:port` (IPv6 in brackets) split; `undefined` when there is no port. */
export const splitHostPort = (endpoint: string): { readonly host: string; readonly port: number } | undefined => {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint.trim())
  return match === null ? undefined : { host: match[1]!, port: Number(match[2]) }
}

const errorCode = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : ""

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export type Outcome<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly code: string; readonly message: string }

const failure = (error: unknown): Outcome<never> => ({ ok: false, code: errorCode(error), message: errorText(error) })

/** The addresses `host` resolves to (an IP literal resolves to itself). */
export const resolve = async (host: string): Promise<Outcome<ReadonlyArray<string>>> => {
  if (Net.isIP(host) !== 0) return { ok: true, value: [host] }
  try {
    const addresses = await Dns.lookup(host, { all: true })
    return { ok: true, value: addresses.map((entry) => entry.address) }
  } catch (error) {
    return failure(error)
  }
}

/** Opens and closes a TCP connection; resolves with the time it took. */
export const connect = (host: string, port: number, timeoutMillis: number): Promise<Outcome<number>> =>
  new Promise((settle) => {
    const started = Date.now()
    const socket = Net.connect({ host, port })
    socket.setTimeout(timeoutMillis, () => {
      socket.destroy()
      settle({ ok: false, code: "ETIMEDOUT", message: `no answer within ${timeoutMillis} ms` })
    })
    socket.once("connect", () => {
      socket.destroy()
      settle({ ok: true, value: Date.now() - started })
    })
    socket.once("error", (error) => settle(failure(error)))
  })

/** What a TLS server presented. */
export interface Handshake {
  /** The TLS version (`TLSv1.3`). */
  readonly protocol: string | null
  /** The application protocol the server chose by ALPN (`h2`, `http/1.1`); `undefined` when it chose none. */
  readonly alpn: string | undefined
  readonly subject: string
  readonly issuer: string
  readonly altNames: string
  readonly validTo: Date | undefined
  /** `undefined` when the configured trust (CA, host name) accepts the certificate; else OpenSSL's code. */
  readonly rejection: string | undefined
}

const distinguishedName = (name: Tls.Certificate | undefined): string =>
  name === undefined ? "" : Object.entries(name).map(([key, value]) => `${key}=${String(value)}`).join(", ")

export interface TlsOptions {
  readonly host: string
  readonly port: number
  readonly ca?: Buffer | undefined
  readonly key?: Buffer | undefined
  readonly cert?: Buffer | undefined
  readonly timeoutMillis: number
}

/**
 * Attempts a TLS handshake that accepts any certificate, then says whether the configured trust
 * would have: a failed handshake means the server does not speak TLS. It offers both `h2` (gRPC)
 * and `http/1.1` (OTLP/HTTP) by ALPN, so that a server which speaks only one of them still answers
 * (one that knows neither would refuse the handshake); the caller judges what was chosen.
 */
export const handshake = (options: TlsOptions): Promise<Outcome<Handshake>> =>
  new Promise((settle) => {
    const socket = Tls.connect({
      host: options.host,
      port: options.port,
      ...(Net.isIP(options.host) === 0 ? { servername: options.host } : {}),
      ALPNProtocols: ["h2", "http/1.1"],
      rejectUnauthorized: false,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.key === undefined ? {} : { key: options.key }),
      ...(options.cert === undefined ? {} : { cert: options.cert })
    })
    socket.setTimeout(options.timeoutMillis, () => {
      socket.destroy()
      settle({ ok: false, code: "ETIMEDOUT", message: `no TLS answer within ${options.timeoutMillis} ms` })
    })
    socket.once("secureConnect", () => {
      const certificate = socket.getPeerCertificate()
      const validTo = certificate.valid_to === undefined ? undefined : new Date(certificate.valid_to)
      const rejection = socket.authorized ? undefined : String(socket.authorizationError ?? "UNKNOWN")
      const protocol = socket.getProtocol()
      const alpn = socket.alpnProtocol
      socket.destroy()
      settle({
        ok: true,
        value: {
          protocol,
          alpn: typeof alpn === "string" ? alpn : undefined,
          subject: distinguishedName(certificate.subject),
          issuer: distinguishedName(certificate.issuer),
          altNames: certificate.subjectaltname ?? "",
          validTo,
          rejection
        }
      })
    })
    socket.once("error", (error) => settle(failure(error)))
  })
