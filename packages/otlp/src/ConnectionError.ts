/**
 * Why a connection to a collector failed, in words an operator can act on: the TLS handshake's
 * own error (unknown CA, expired or misnamed certificate, a client certificate required, TLS
 * against a plaintext server and the reverse) or the socket's (refused, unknown host), each
 * with its remedy. Plain TypeScript, shared by every transport and the start-up probe.
 *
 * @example
 * ```ts
 * ConnectionError.explain("write EPROTO ...:wrong version number", { tls: true })
 * // "the server does not speak TLS (plaintext): use an http:// endpoint or insecure: true"
 * ```
 */

/** The side of the connection the config asks for. */
export interface Expectation {
  /** The config asks for TLS. */
  readonly tls: boolean
}

interface Rule {
  readonly matches: RegExp
  readonly explain: (expectation: Expectation) => string
}

// Matched against the error's code and message (Node's TLS codes, OpenSSL's texts, and grpc-js's
// "No connection established. Last error: …" which carries them).
const RULES: ReadonlyArray<Rule> = [
  {
    matches: /wrong version number|ERR_SSL_WRONG_VERSION_NUMBER|packet length too long|unknown protocol/i,
    explain: () => "the server does not speak TLS (plaintext): use an http:// endpoint or insecure: true"
  },
  {
    matches: /LINGO_NOT_HTTP2|before speaking HTTP\/2/,
    explain: ({ tls }) =>
      tls
        ? "the server closed the connection before speaking HTTP/2: is it an OTLP/gRPC endpoint?"
        : "the server closed a plaintext connection before speaking HTTP/2; it probably expects TLS: use an https:// endpoint or insecure: false"
  },
  {
    matches: /certificate required|CERTIFICATE_REQUIRED|alert bad certificate|alert handshake failure|peer did not return a certificate/i,
    explain: () => "the server requires a client certificate (mutual TLS): set clientKey and clientCertificate"
  },
  {
    matches: /CERT_HAS_EXPIRED|certificate has expired/i,
    explain: () => "the server's TLS certificate has expired: renew it on the collector"
  },
  {
    matches: /CERT_NOT_YET_VALID|certificate is not yet valid/i,
    explain: () => "the server's TLS certificate is not valid yet: check the clocks and the certificate"
  },
  {
    matches: /ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match|altnames/i,
    explain: () =>
      "the server's TLS certificate is not issued for this host name: use the name it was issued for in the endpoint, or fix the certificate"
  },
  {
    matches:
      /SELF_SIGNED_CERT|self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|UNABLE_TO_GET_ISSUER_CERT|unable to get (local )?issuer|certificate signature failure/i,
    explain: () =>
      "the server's TLS certificate is signed by a CA this process does not trust: set certificate to the CA's PEM file (OTEL_EXPORTER_OTLP_CERTIFICATE)"
  },
  {
    matches: /ECONNREFUSED|connection refused/i,
    explain: () => "connection refused: nothing listens there (is the collector running, and is the port right?)"
  },
  {
    matches: /ENOTFOUND|EAI_AGAIN|getaddrinfo|Name resolution failed/i,
    explain: () => "the host name does not resolve: check the endpoint"
  }
]

/** The explanation with its remedy, or `undefined` when the cause is none of the known ones. */
export const explain = (cause: unknown, expectation: Expectation): string | undefined => {
  const text = typeof cause === "string" ? cause : cause instanceof Error
    ? `${(cause as NodeJS.ErrnoException).code ?? ""} ${cause.message}`
    : String(cause)
  return RULES.find((rule) => rule.matches.test(text))?.explain(expectation)
}

/** The error itself, without grpc-js's wrapping ("No connection established. Last error: Error: …"). */
const essence = (text: string): string =>
  /Last error: (?:Error: )?(.*?)(?:\. Resolution note:.*)?$/s.exec(text)?.[1]?.trim() || text

/** `explanation (original error)`, or the original text alone when it is not recognised. */
export const describe = (cause: unknown, expectation: Expectation): string => {
  const original = cause instanceof Error ? cause.message : String(cause)
  const explanation = explain(cause, expectation)
  return explanation === undefined ? original : `${explanation} (${essence(original)})`
}
