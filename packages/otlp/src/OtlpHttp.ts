/**
 * The OTLP/HTTP transport of a signal: POSTs already encoded OTLP requests (protobuf or JSON) to
 * the signal's URL with Node's own HTTP client, with the configured headers, TLS (system roots,
 * a CA file, or mutual TLS) for `https://`, gzip, and the export timeout, and classifies the
 * answer as the OTLP specification says: 429, 502, 503 and 504 are retryable, honouring
 * `Retry-After` (seconds or an HTTP-date); every other 4xx and 5xx is permanent; a connection
 * that cannot be made or breaks, and a timeout, are retryable. A 2xx answer's body is read for a
 * partial success; a 2xx whose body breaks or does not end is still delivered (never resent).
 * Every request is sent with tracing suppressed, so HTTP auto-instrumentation never makes a
 * span of an export (which would be exported by another request, and so on).
 *
 * @example
 * ```ts
 * const transport = OtlpHttp.transport("traces", { ...config, protocol: "http/protobuf" })
 * const result = await transport.send(ProtobufTraceSerializer.serializeRequest(spans)!)
 * ```
 */
import * as Http from "node:http"
import * as Https from "node:https"
import * as Net from "node:net"
import * as Tls from "node:tls"
import { promisify } from "node:util"
import * as Zlib from "node:zlib"
import { context } from "@opentelemetry/api"
import { suppressTracing } from "@opentelemetry/core"
import * as ConnectionError from "./ConnectionError.js"
import * as Endpoint from "./Endpoint.js"
import type * as ExportConfig from "./ExportConfig.js"
import { serverName } from "./Http2Probe.js"
import * as PartialSuccess from "./PartialSuccess.js"
import * as ServerText from "./ServerText.js"
import * as TlsMaterial from "./TlsMaterial.js"
import type { SendFailure, SendResult, Signal, Transport } from "./Transport.js"

const gzip = promisify(Zlib.gzip)

/** The HTTP statuses the OTLP specification names retryable. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504])

/** Enough of an error body for a log line; the rest is not read. */
const MAX_RESPONSE_BYTES = 64 * 1024
/**
 * How long a 2xx answer's body (a partial success, a few bytes) is waited for: the data was
 * accepted, so a body that does not end must not hold the export, nor make it be sent again.
 */
const SUCCESS_BODY_GRACE_MILLIS = 1_000

/** gRPC's names for what is not an HTTP answer, so both transports' failures read alike. */
const UNAVAILABLE = { code: 14, status: "UNAVAILABLE" } as const
const DEADLINE_EXCEEDED = { code: 4, status: "DEADLINE_EXCEEDED" } as const
const CANCELLED = { code: 1, status: "CANCELLED" } as const

/**
 * The delay a `Retry-After` value asks for: delta-seconds or an HTTP-date (RFC 9110 §10.2.3);
 * `undefined` when absent or malformed. A date in the past asks for no delay.
 */
export const retryAfterMillis = (value: string | undefined, now = Date.now()): number | undefined => {
  const trimmed = value?.trim()
  if (trimmed === undefined || trimmed === "") return undefined
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000
  // An HTTP-date names its day and month (`Sun, 06 Nov 1994 08:49:37 GMT`); `Date.parse` alone takes "-1".
  const date = /^[a-z]{3},/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The `google.rpc.Status` message of an error body, or the body's text, as the server wrote it (see `ServerText`). */
const errorMessage = (body: Buffer, contentType: string | undefined): string => {
  let text = ""
  if (contentType?.includes("json")) {
    try {
      const parsed = JSON.parse(body.toString("utf8")) as { message?: unknown }
      if (typeof parsed.message === "string") text = parsed.message
    } catch {
      // Not JSON after all: the raw text below.
    }
  } else if (contentType?.includes("protobuf")) {
    text = statusMessage(body) ?? ""
  }
  if (text === "" && !contentType?.includes("protobuf")) text = body.toString("utf8").trim()
  return text
}

/** Field 2 (`message`) of a protobuf `google.rpc.Status`, read without a protobuf library. */
const statusMessage = (bytes: Uint8Array): string | undefined => {
  let offset = 0
  const varint = () => {
    let result = 0
    let scale = 1
    for (let index = 0; index < 10 && offset < bytes.length; index++) {
      const byte = bytes[offset++]!
      result += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return result
      scale *= 128
    }
    return -1
  }
  while (offset < bytes.length) {
    const key = varint()
    if (key < 0) return undefined
    const wireType = key & 7
    if (wireType === 0) varint()
    else if (wireType === 2) {
      const length = varint()
      if (length < 0 || offset + length > bytes.length) return undefined
      if (key >>> 3 === 2) return Buffer.from(bytes.subarray(offset, offset + length)).toString("utf8")
      offset += length
    } else if (wireType === 1) offset += 8
    else if (wireType === 5) offset += 4
    else return undefined
  }
  return undefined
}

/** The partial success of a JSON Export response (`{"partialSuccess":{"rejectedSpans":"3",…}}`). */
const jsonPartialSuccess = (body: Buffer): PartialSuccess.PartialSuccess | undefined => {
  try {
    const partial = (JSON.parse(body.toString("utf8")) as { partialSuccess?: Record<string, unknown> }).partialSuccess
    if (typeof partial !== "object" || partial === null) return undefined
    const count = partial["rejectedSpans"] ?? partial["rejectedDataPoints"] ?? partial["rejectedLogRecords"] ?? 0
    const rejected = Number(count)
    const message = typeof partial["errorMessage"] === "string" ? partial["errorMessage"] : ""
    if (!Number.isFinite(rejected)) return undefined
    return rejected === 0 && message === "" ? undefined : { rejected, message }
  } catch {
    return undefined
  }
}

/**
 * Classifies an HTTP answer: a 2xx with its partial success; 429/502/503/504 retryable with the
 * server's `Retry-After`; anything else permanent, with a hint when the path looks wrong. The
 * server's text is made printable and cleared of `secrets` (the configured header values).
 */
export const classify = (
  status: number,
  headers: Http.IncomingHttpHeaders,
  body: Buffer,
  url: string,
  secrets: ReadonlyArray<string> = []
): SendResult => {
  const contentType = headers["content-type"]?.toLowerCase()
  if (status >= 200 && status < 300) {
    const partial = contentType?.includes("json") ? jsonPartialSuccess(body) : PartialSuccess.decode(body)
    return partial === undefined
      ? { ok: true }
      : { ok: true, rejected: partial.rejected, rejectedMessage: ServerText.clean(partial.message, secrets) }
  }
  const retryable = RETRYABLE_STATUSES.has(status)
  let message = ServerText.clean(errorMessage(body, contentType), secrets) || (Http.STATUS_CODES[status] ?? "no reason given")
  if (status === 404) message += `; is ${url} the collector's OTLP/HTTP path? (an endpoint with a path is used as-is)`
  if (status >= 300 && status < 400 && headers.location !== undefined) {
    message += `; redirected to ${ServerText.clean(headers.location, secrets)}`
  }
  const retryDelayMillis = retryable ? retryAfterMillis(headers["retry-after"]) : undefined
  return {
    ok: false,
    retryable,
    code: status,
    status: `HTTP ${status}`,
    message,
    ...(retryDelayMillis === undefined ? {} : { retryDelayMillis })
  }
}

/** Socket errors meaning no server could be reached at all (as opposed to a connection that broke). */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

/** A request that never got an HTTP answer: the connection failed or broke, or the timeout fired. */
const connectionFailure = (
  error: unknown,
  timedOut: boolean,
  timeoutMillis: number,
  expectation: ConnectionError.Expectation,
  secrets: ReadonlyArray<string>
): SendFailure => {
  if (timedOut) {
    return { ok: false, retryable: true, ...DEADLINE_EXCEEDED, message: `no answer within ${timeoutMillis}ms` }
  }
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  return {
    ok: false,
    retryable: true,
    ...UNAVAILABLE,
    // A TLS error quotes the server's certificate (its names): server text too.
    message: ServerText.clean(
      ConnectionError.describe(typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message, expectation),
      secrets,
      ServerText.MAX_ERROR_LENGTH
    ),
    unreachable: typeof code === "string" && UNREACHABLE_CODES.has(code)
  }
}

/** How often a lost connection is tried again while the pipeline backs off. */
const RECONNECT_POLL_MILLIS = 500

const shutDown: SendFailure = { ok: false, retryable: false, ...CANCELLED, message: "the pipeline is shut down" }

/** The connection fields of a signal's config section; the endpoint as written (`Endpoint.resolve` reads it). */
export type ConnectionConfig = ExportConfig.ConnectionConfig

/** The request headers: the configured ones, then those OTLP/HTTP fixes (they win). */
const requestHeaders = (config: ConnectionConfig, json: boolean): Record<string, string> => ({
  ...config.headers,
  "content-type": json ? "application/json" : "application/x-protobuf",
  "user-agent": "lingo-obs",
  ...(config.compression === "gzip" ? { "content-encoding": "gzip" } : {})
})

/**
 * The transport of a signal whose `protocol` is `http/protobuf` or `http/json`. Nothing connects
 * until the first send or probe; connections are kept alive between exports. Throws a
 * `StartError` when the endpoint cannot be used or its TLS material cannot be read.
 */
export const transport = (signal: Signal, config: ConnectionConfig): Transport => {
  const target = Endpoint.target(signal, config)
  const tls = target.tls ? TlsMaterial.read(signal, target.display, config) : undefined
  const url = new URL(target.url)
  const agentOptions = { keepAlive: true }
  const agent = tls === undefined ? new Http.Agent(agentOptions) : new Https.Agent({ ...agentOptions, ...tls })
  const client = tls === undefined ? Http : Https
  const headers = requestHeaders(config, config.protocol === "http/json")
  const timeoutMillis = config.exportTimeoutMillis
  const inFlight = new Set<Http.ClientRequest>()
  const expectation = { tls: tls !== undefined }
  const secrets = ServerText.secretsOf(config)
  let closed = false
  /** The last request got no HTTP answer: a back-off may end as soon as a connection can be made. */
  let connectionDown = false

  const post = (body: Uint8Array): Promise<SendResult> =>
    new Promise((resolveOnce) => {
      let timedOut = false
      /** The server answered 2xx: whatever happens to the body now, the data was accepted. */
      let accepted = false
      let done = false
      const resolve = (result: SendResult) => {
        if (done) return
        done = true
        settle()
        resolveOnce(result)
      }
      // Not traced: an instrumented `http` would make a span of the export, exported in turn.
      const request = context.with(suppressTracing(context.active()), () =>
        client.request(url, {
          method: "POST",
          agent,
          headers: { ...headers, "content-length": String(body.byteLength) }
        }, (response) => {
          const status = response.statusCode ?? 0
          accepted = status >= 200 && status < 300
          connectionDown = false
          if (accepted) {
            clearTimeout(timer)
            timer = setTimeout(() => {
              resolve({ ok: true })
              request.destroy()
            }, Math.min(SUCCESS_BODY_GRACE_MILLIS, timeoutMillis)).unref()
          }
          const chunks: Array<Buffer> = []
          let size = 0
          response.on("data", (chunk: Buffer) => {
            size += chunk.length
            if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk)
          })
          response.on("end", () => resolve(classify(status, response.headers, Buffer.concat(chunks), target.display, secrets)))
          // A body that breaks off: for a 2xx the data is delivered, partial success unknown.
          response.on("error", (error) => resolve(accepted ? { ok: true } : connectionFailure(error, timedOut, timeoutMillis, expectation, secrets)))
          response.on("close", () => {
            if (!response.complete) resolve(accepted ? { ok: true } : connectionFailure(new Error("the answer broke off"), timedOut, timeoutMillis, expectation, secrets))
          })
        })
      )
      let timer = setTimeout(() => {
        timedOut = true
        request.destroy()
      }, timeoutMillis)
      const settle = () => {
        clearTimeout(timer)
        inFlight.delete(request)
      }
      request.on("error", (error) => {
        if (accepted) return resolve({ ok: true })
        connectionDown = !timedOut
        resolve(closed ? shutDown : connectionFailure(error, timedOut, timeoutMillis, expectation, secrets))
      })
      inFlight.add(request)
      request.end(body)
    })

  const send = async (request: Uint8Array): Promise<SendResult> => {
    if (closed) return shutDown
    const body = config.compression === "gzip" ? await gzip(request) : request
    return closed ? shutDown : post(body)
  }

  return {
    endpoint: target.display,
    send,
    probe: (probeTimeout) =>
      probe(url, tls, probeTimeout).catch((cause: unknown) => {
        throw new Error(
          `the endpoint did not accept ${expectation.tls ? "a TLS" : "a plaintext"} connection: ${
            ServerText.clean(ConnectionError.describe(cause, expectation), secrets, ServerText.MAX_ERROR_LENGTH)
          }`,
          { cause }
        )
      }),
    awaitReconnect: async (timeoutMillis) => {
      if (!connectionDown) return false
      // Connect attempts every half second, as gRPC's reconnect does, until one succeeds.
      const deadline = Date.now() + timeoutMillis
      while (!closed && Date.now() < deadline) {
        const attempt = Math.min(RECONNECT_POLL_MILLIS, deadline - Date.now())
        const started = Date.now()
        if (await probe(url, tls, attempt).then(() => true, () => false)) return !closed
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, attempt - (Date.now() - started))).unref())
      }
      return false
    },
    close: () => {
      closed = true
      for (const request of inFlight) request.destroy()
      inFlight.clear()
      agent.destroy()
    }
  }
}

/** Opens one connection to the endpoint (the TLS handshake included) and closes it. */
const probe = (url: URL, tls: TlsMaterial.TlsMaterial | undefined, timeoutMillis: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1")
    const port = Number(url.port || (tls === undefined ? 80 : 443))
    const socket = tls === undefined
      ? Net.connect({ host, port })
      : Tls.connect({ host, port, ...tls, servername: serverName(host) ?? "" })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no connection within ${timeoutMillis}ms`))
    }, timeoutMillis)
    socket.once(tls === undefined ? "connect" : "secureConnect", () => {
      clearTimeout(timer)
      socket.end()
      resolve()
    })
    socket.once("error", (error) => {
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    })
  })
