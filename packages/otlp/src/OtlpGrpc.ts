/**
 * The OTLP/gRPC connection of a signal: the endpoint, TLS (system roots, a CA file, or mutual
 * TLS) unless `insecure`, headers as gRPC metadata, compression, and a transport that sends
 * already encoded OTLP requests and reports the gRPC status, the server's RetryInfo delay
 * included, so the export pipeline can decide what to retry.
 *
 * Reading TLS material is part of starting a pipeline: a missing or unreadable file, like
 * TLS material or an endpoint the channel refuses, throws a `StartError`. Every call is made with tracing
 * suppressed, so gRPC auto-instrumentation never makes a span of an export.
 */
import * as Grpc from "@grpc/grpc-js"
import { context } from "@opentelemetry/api"
import { suppressTracing } from "@opentelemetry/core"
import * as Tls from "node:tls"
import * as ConnectionError from "./ConnectionError.js"
import type * as ExportConfig from "./ExportConfig.js"
import * as Http2Probe from "./Http2Probe.js"
import * as PartialSuccess from "./PartialSuccess.js"
import * as RetryInfo from "./RetryInfo.js"
import * as ServerText from "./ServerText.js"
import { StartError } from "./StartError.js"
import * as TlsMaterial from "./TlsMaterial.js"
import type { SendResult, Signal, Transport } from "./Transport.js"

/** The signals and their OTLP service methods. */
export const SERVICE_METHODS = {
  traces: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
  metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
  logs: "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
} as const satisfies Record<Signal, string>
export type { Signal } from "./Transport.js"

/**
 * The connection fields of a signal's config section, the endpoint resolved (`Endpoint.resolve`):
 * `host:port`, with `insecure` saying whether it is plaintext.
 */
export type ConnectionConfig = ExportConfig.ConnectionConfig & { readonly endpoint: string }

export type { SendFailure, SendResult, Transport } from "./Transport.js"

/** Codes a collector uses for "not now": the same data may succeed later. */
const TRANSIENT: ReadonlySet<number> = new Set([
  Grpc.status.UNAVAILABLE,
  Grpc.status.RESOURCE_EXHAUSTED,
  Grpc.status.DEADLINE_EXCEEDED,
  Grpc.status.ABORTED,
  // The OTLP specification also names these retryable: CANCELLED as when a collector is killed
  // mid-call, OUT_OF_RANGE, DATA_LOSS.
  Grpc.status.CANCELLED,
  Grpc.status.OUT_OF_RANGE,
  Grpc.status.DATA_LOSS
])

/** The name of a gRPC status code (`UNAVAILABLE`), as operators know them. */
export const codeName = (code: number): string => Grpc.status[code] ?? `CODE_${code}`

/**
 * Whether a failed call may succeed if sent again. Besides the transient codes, an `INTERNAL`
 * that grpc-js made up from a reset stream (`Received RST_STREAM …`: the connection ended under
 * the call, no status came from the server) is retryable: a collector restarting or a proxy
 * dropping the connection ends every call in flight this way.
 */
export const isRetryable = (code: number, details: string): boolean =>
  TRANSIENT.has(code) || (code === Grpc.status.INTERNAL && details.startsWith("Received RST_STREAM"))

/**
 * Classifies a call's outcome: the error (or `null`) and the raw Export response. The server's
 * text is made printable and cleared of `secrets` (the configured header values).
 */
export const classify = (
  error: Grpc.ServiceError | null,
  response: Uint8Array | undefined,
  expectation: ConnectionError.Expectation = { tls: false },
  secrets: ReadonlyArray<string> = []
): SendResult => {
  if (error === null) {
    const partial = PartialSuccess.decode(response)
    return partial === undefined
      ? { ok: true }
      : { ok: true, rejected: partial.rejected, rejectedMessage: ServerText.clean(partial.message, secrets) }
  }
  const details = error.details || error.message
  // A connection that never came up: name the socket's or TLS handshake's own error.
  const message = ServerText.clean(
    error.code === Grpc.status.UNAVAILABLE ? ConnectionError.describe(details, expectation) : details,
    secrets,
    ServerText.MAX_ERROR_LENGTH
  )
  return {
    ok: false,
    retryable: isRetryable(error.code, details),
    code: error.code,
    status: codeName(error.code),
    message,
    retryDelayMillis: RetryInfo.delayMillis(error.metadata?.get(RetryInfo.TRAILER)[0]),
    // grpc-js fails calls this way while the channel has no connection (and none could be made).
    unreachable: error.code === Grpc.status.UNAVAILABLE && /^No connection established|Failed to connect|ECONNREFUSED/.test(details)
  }
}

/** gRPC metadata carrying the configured headers (keys lower-cased, as gRPC requires). */
export const metadata = (headers: Readonly<Record<string, string>>): Grpc.Metadata => {
  const result = new Grpc.Metadata()
  for (const [name, value] of Object.entries(headers)) result.set(name.toLowerCase(), value)
  return result
}

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * Resolves `true` once a channel that is not connected now becomes ready, `false` when it is
 * connected already (the server answered the failure: nothing to wait for), when the time is
 * up, or once the transport is closed.
 */
const awaitReconnect = (channel: ReturnType<Grpc.Client["getChannel"]>, timeoutMillis: number, closed: () => boolean): Promise<boolean> =>
  new Promise((resolve) => {
    const deadline = Date.now() + timeoutMillis
    let wasDown = false
    const check = () => {
      if (closed()) return resolve(false)
      const state = channel.getConnectivityState(true)
      if (state === Grpc.connectivityState.READY) return resolve(wasDown)
      if (state === Grpc.connectivityState.SHUTDOWN) return resolve(false)
      wasDown = true
      channel.watchConnectivityState(state, deadline, (error) => (error ? resolve(false) : check()))
    }
    check()
  })

/** What a TLS connection uses; `undefined` for plaintext. */
type Material = TlsMaterial.TlsMaterial | undefined

const readMaterial = (signal: Signal, config: ConnectionConfig): Material =>
  config.insecure ? undefined : TlsMaterial.read(signal, config.endpoint, config)

const channelCredentials = (signal: Signal, config: ConnectionConfig, material: Material): Grpc.ChannelCredentials => {
  if (material === undefined) return Grpc.credentials.createInsecure()
  try {
    const host = Http2Probe.parseTarget(config.endpoint).host
    // For an IP address the name is checked here, since the SNI name grpc-js sends is replaced (see ipOptions).
    const verify = Http2Probe.serverName(host) === undefined
      ? { checkServerIdentity: (_: string, cert: Tls.PeerCertificate) => Tls.checkServerIdentity(host, cert) }
      : {}
    return Grpc.credentials.createSsl(material.ca ?? null, material.key ?? null, material.cert ?? null, verify)
  } catch (cause) {
    throw new StartError({
      signal,
      endpoint: config.endpoint,
      reason: `invalid TLS material: ${ConnectionError.describe(cause, { tls: true })}`,
      cause
    })
  }
}

/**
 * Channel credentials: plaintext when `insecure`, otherwise TLS with the configured CA and client
 * pair. Throws a `StartError` when a file cannot be read or the material is invalid.
 */
export const credentials = (signal: Signal, config: ConnectionConfig): Grpc.ChannelCredentials =>
  channelCredentials(signal, config, readMaterial(signal, config))

/**
 * grpc-js sends the endpoint's host as the TLS server name (SNI), an IP address included, which
 * RFC 6066 forbids and Node answers with a DEP0123 warning on stderr. For an IP endpoint the
 * server name becomes a reserved, never-resolving name; the certificate is still checked
 * against the IP address (see channelCredentials).
 */
const ipOptions = (config: ConnectionConfig): Grpc.ChannelOptions =>
  !config.insecure && Http2Probe.serverName(Http2Probe.parseTarget(config.endpoint).host) === undefined
    ? { "grpc.ssl_target_name_override": "ip-address.invalid" }
    : {}

const CHANNEL_OPTIONS: Grpc.ChannelOptions = {
  "grpc.primary_user_agent": "lingo-obs",
  // gRPC's default reconnect back-off grows to two minutes; a collector that comes back should
  // receive data within seconds, and the export pipeline paces its own retries.
  "grpc.initial_reconnect_backoff_ms": 500,
  "grpc.max_reconnect_backoff_ms": 5_000
}

const passThrough = (request: Uint8Array): Buffer => Buffer.from(request.buffer, request.byteOffset, request.byteLength)

/**
 * The transport of a signal. Nothing connects until the first call or probe. Throws a
 * `StartError` when its TLS material cannot be read or the channel cannot be built.
 *
 * @example
 * ```ts
 * const transport = OtlpGrpc.transport("traces", { ...config, endpoint: target.authority, insecure: !target.tls })
 * const result = await transport.send(ProtobufTraceSerializer.serializeRequest(spans)!)
 * ```
 */
export const transport = (signal: Signal, config: ConnectionConfig): Transport => {
  const material = readMaterial(signal, config)
  const credentials = channelCredentials(signal, config, material)
  const expectation = { tls: material !== undefined }
  const secrets = ServerText.secretsOf(config)
  let client: Grpc.Client
  try {
    client = new Grpc.Client(config.endpoint, credentials, {
      ...CHANNEL_OPTIONS,
      ...ipOptions(config),
      ...(config.compression === "gzip" ? { "grpc.default_compression_algorithm": 2 } : {})
    })
  } catch (cause) {
    throw new StartError({ signal, endpoint: config.endpoint, reason: describe(cause), cause })
  }
  const headers = metadata(config.headers)
  const timeoutMillis = config.exportTimeoutMillis
  const inFlight = new Set<Grpc.ClientUnaryCall>()
  let closed = false

  const send = (request: Uint8Array): Promise<SendResult> =>
    new Promise((resolve) => {
      if (closed) {
        resolve({
          ok: false,
          retryable: false,
          code: Grpc.status.CANCELLED,
          status: codeName(Grpc.status.CANCELLED),
          message: "the pipeline is shut down"
        })
        return
      }
      // Not traced: an instrumented grpc-js would make a span of the export, exported in turn.
      const call = context.with(suppressTracing(context.active()), () =>
        client.makeUnaryRequest(
          SERVICE_METHODS[signal],
          passThrough,
          (response: Buffer) => response,
          request,
          headers.clone(),
          { deadline: Date.now() + timeoutMillis },
          (error: Grpc.ServiceError | null, response?: Buffer) => {
            inFlight.delete(call)
            resolve(classify(error, response, expectation, secrets))
          }
        )
      )
      inFlight.add(call)
    })

  return {
    endpoint: config.endpoint,
    send,
    probe: (probeTimeout) =>
      Http2Probe.probe(Http2Probe.parseTarget(config.endpoint), material, probeTimeout).catch((cause: unknown) => {
        throw new Error(
          `the endpoint did not accept ${expectation.tls ? "a TLS" : "a plaintext"} connection: ${
            ServerText.clean(ConnectionError.describe(cause, expectation), secrets, ServerText.MAX_ERROR_LENGTH)
          }`,
          { cause }
        )
      }),
    awaitReconnect: (timeoutMillis) => awaitReconnect(client.getChannel(), timeoutMillis, () => closed),
    close: () => {
      closed = true
      for (const call of inFlight) call.cancel()
      inFlight.clear()
      client.close()
    }
  }
}
