/**
 * `lingo-obs doctor` of both Effect lines: for each enabled signal, the path a service's exports
 * take — DNS, TCP, TLS — then one real export request (a test span, metric point or log record)
 * through the engine's transport, with the collector's answer and a remedy for each failure. Each
 * line resolves its config (file > `OTEL_*` > defaults, durations in ms) and resource for it.
 *
 * @example
 * ```ts
 * import * as Serializers from "@opentelemetry/otlp-transformer"
 * import * as Doctor from "@lingo-obs/otlp/Doctor"
 *
 * const result = await Doctor.run(config, { source: "observability.yaml", resource, serializers: Serializers })
 * console.log(Doctor.format(result))
 * process.exitCode = result.ok ? 0 : 1
 * ```
 */
import * as Fs from "node:fs"
import * as Endpoint from "./Endpoint.js"
import type * as ExportConfig from "./ExportConfig.js"
import * as DoctorProbes from "./internal/doctorProbes.js"
import * as DoctorRequests from "./internal/doctorRequests.js"
import * as OtlpGrpc from "./OtlpGrpc.js"
import * as OtlpHttp from "./OtlpHttp.js"
import * as ServerText from "./ServerText.js"
import { fromCause } from "./StartError.js"
import type { Signal } from "./Transport.js"

export type { Resource, Serializers } from "./internal/doctorRequests.js"

export type Status = "ok" | "fail"

/** One step of a signal's check. */
export interface Step {
  readonly name: "endpoint" | "dns" | "tcp" | "tls" | "export"
  readonly status: Status
  readonly detail: string
  /** What to do about a failure. */
  readonly remedy?: string
}

export interface SignalResult {
  readonly signal: Signal
  /** `otlp_grpc host:port (TLS)`, `stdout`, `off`. */
  readonly target: string
  /** Whether the signal exports over the network, i.e. whether there was anything to check. */
  readonly checked: boolean
  readonly steps: ReadonlyArray<Step>
  readonly ok: boolean
}

export interface Result {
  readonly source: string
  readonly signals: ReadonlyArray<SignalResult>
  /** Every enabled signal got its test item through. */
  readonly ok: boolean
}

/** A signal's section of the config, as the engine takes it (the export timeout in milliseconds). */
export interface SignalSection extends ExportConfig.ConnectionConfig {
  readonly enabled: boolean
  /** `otlp_grpc` exports OTLP over `protocol`; `stdout` and `none` have nothing to check. */
  readonly exporter: string
}

/** The three signal sections of a resolved config. */
export type DoctorConfig = Readonly<Record<"tracing" | "metrics" | "logs", SignalSection>>

export interface Options {
  /** What the config came from, for the report. */
  readonly source?: string
  /** Bound of each network step (the export uses the signal's `exportTimeout`). Default 3 s. */
  readonly timeoutMillis?: number
  /** The service's resource, carried by the test items as its own exports would carry it. */
  readonly resource: DoctorRequests.Resource
  /** The line's OTLP serializers (`@opentelemetry/otlp-transformer`). */
  readonly serializers: DoctorRequests.Serializers
}

type Section = "tracing" | "metrics" | "logs"

const SECTIONS: ReadonlyArray<readonly [Section, Signal]> = [["tracing", "traces"], ["metrics", "metrics"], ["logs", "logs"]]

/** The role a Google Cloud service account needs to write each signal. */
const GCP_ROLE: Readonly<Record<Signal, string>> = {
  traces: "roles/cloudtrace.agent",
  metrics: "roles/monitoring.metricWriter",
  logs: "roles/logging.logWriter"
}

/** The signal-specific environment variable suffix of the OTLP exporter variables. */
const ENV_SIGNAL: Readonly<Record<Signal, string>> = { traces: "TRACES", metrics: "METRICS", logs: "LOGS" }

/** A signal's section with its endpoint resolved as the exporter does (scheme → TLS, spec defaults). */
type ConnectionSection = SignalSection & { readonly endpoint: string }

/** The config field and the environment variables that set a connection setting, for remedies. */
const setting = (section: Section, signal: Signal, field: string, variable: string) =>
  `${section}.${field} (or OTEL_EXPORTER_OTLP_${ENV_SIGNAL[signal]}_${variable} / OTEL_EXPORTER_OTLP_${variable})`

const days = (date: Date, now: number) => Math.floor((date.getTime() - now) / 86_400_000)

/** Why a TLS handshake failed to happen: the server answered, but not in TLS. */
const PLAINTEXT_CODES = new Set(["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG", "ECONNRESET", "EPROTO"])

const readPem = (path: string | undefined): Buffer | undefined => (path === undefined ? undefined : Fs.readFileSync(path))

const tlsStep = async (
  section: Section,
  signal: Signal,
  config: ConnectionSection,
  host: string,
  port: number,
  timeoutMillis: number
): Promise<Step> => {
  let material: { ca?: Buffer | undefined; key?: Buffer | undefined; cert?: Buffer | undefined }
  try {
    material = config.insecure ? {} : {
      ca: readPem(config.certificate),
      key: readPem(config.clientKey),
      cert: readPem(config.clientCertificate)
    }
  } catch (error) {
    return {
      name: "tls",
      status: "fail",
      detail: `cannot read the TLS files: ${error instanceof Error ? error.message : String(error)}`,
      remedy: `fix the paths in ${setting(section, signal, "certificate", "CERTIFICATE")} and the client key/certificate`
    }
  }
  const answer = await DoctorProbes.handshake({ host, port, timeoutMillis, ...material })
  if (config.insecure) {
    return answer.ok
      ? {
        name: "tls",
        status: "fail",
        detail: `the server speaks TLS (certificate ${answer.value.subject}), but the config sends plaintext`,
        remedy: `set ${setting(section, signal, "insecure", "INSECURE")} to false, or use an https:// or bare host:port ` +
          `endpoint; if its CA is private, also set ${section}.certificate`
      }
      : { name: "tls", status: "ok", detail: "plaintext, as configured (the server does not answer TLS)" }
  }
  if (!answer.ok) {
    const plaintext = PLAINTEXT_CODES.has(answer.code) || /wrong version number|disconnected before secure/i.test(answer.message)
    return {
      name: "tls",
      status: "fail",
      detail: plaintext
        ? `the server does not speak TLS (${answer.code || answer.message}), but the config expects TLS`
        : `TLS handshake failed: ${answer.message}`,
      remedy: plaintext
        ? `for a plaintext collector set ${setting(section, signal, "insecure", "INSECURE")} to true or use an ` +
          `http:// endpoint (never across an untrusted network); otherwise enable TLS on the collector's OTLP receiver`
        : `check that the port is the collector's ${
          config.protocol === "grpc" ? "OTLP/gRPC" : "OTLP/HTTP"
        } port and that no proxy terminates the connection`
    }
  }
  const { protocol, alpn, subject, issuer, altNames, validTo, rejection } = answer.value
  const now = Date.now()
  const expiry = validTo === undefined ? "" : `, expires ${validTo.toISOString().slice(0, 10)} (in ${days(validTo, now)} days)`
  const certificate = `certificate ${subject} issued by ${issuer}${expiry}`
  const negotiated = `${protocol ?? "TLS"}, ALPN ${alpn ?? "none"}`
  // gRPC runs on HTTP/2 only; OTLP/HTTP goes over HTTP/1.1 (Node's client), so any choice serves it.
  if (rejection === undefined && config.protocol === "grpc" && alpn !== undefined && alpn !== "h2") {
    return {
      name: "tls",
      status: "fail",
      detail: `${negotiated}, ${certificate}: the server chose ${alpn}, but gRPC needs HTTP/2 (ALPN h2)`,
      remedy: `this endpoint speaks ${alpn} only, like an OTLP/HTTP receiver (port 4318): set ` +
        `${setting(section, signal, "protocol", "PROTOCOL")} to http/protobuf, or use the collector's OTLP/gRPC port ` +
        `(4317); a proxy in front of it must pass HTTP/2`
    }
  }
  if (rejection === undefined) return { name: "tls", status: "ok", detail: `${negotiated}, ${certificate}` }
  const trusted = config.certificate === undefined ? "the system's root CAs" : `the CA file ${config.certificate}`
  const remedy = rejection === "ERR_TLS_CERT_ALTNAME_INVALID"
    ? `connect by a name the certificate covers (${altNames || subject}), or reissue it with ${host} in its subjectAltName`
    : rejection === "CERT_HAS_EXPIRED"
    ? "renew the collector's certificate"
    : `set ${setting(section, signal, "certificate", "CERTIFICATE")} to the PEM of the CA that issued the collector's ` +
      `certificate (issuer ${issuer})`
  return {
    name: "tls",
    status: "fail",
    detail: `${certificate}: not accepted by ${trusted} (${rejection})`,
    remedy
  }
}

const exportRemedy = (section: Section, signal: Signal, config: ConnectionSection, code: number): string => {
  const sent = Object.keys(config.headers)
  const headers = sent.length === 0 ? "no headers are configured" : `headers sent: ${sent.join(", ")}`
  switch (OtlpGrpc.codeName(code)) {
    case "UNAUTHENTICATED":
      return `the collector wants credentials (${headers}): set the header it expects in ` +
        `${setting(section, signal, "headers", "HEADERS")}, e.g. authorization=Bearer <token> or your vendor's API-key header`
    case "PERMISSION_DENIED":
      return `the credentials are not allowed to write ${signal} (${headers}): check the key or tenant header; on Google ` +
        `Cloud grant the service account ${GCP_ROLE[signal]}`
    case "UNIMPLEMENTED":
      return `the server has no OTLP ${signal} service: add the otlp receiver to service.pipelines.${signal} of the ` +
        `collector config (or switch ${section}.enabled off if ${signal} are not wanted)`
    case "UNAVAILABLE":
      return "the collector did not take the call: is it up and is this its OTLP/gRPC port (4317 by default)?"
    case "DEADLINE_EXCEEDED":
      return `no answer within ${section}.exportTimeout: the collector is overloaded, or a proxy holds the call`
    case "RESOURCE_EXHAUSTED":
      return "the collector is shedding load (memory_limiter, quota): scale it or raise its limits"
    case "INVALID_ARGUMENT":
      return "the server could not decode an OTLP request: is a non-gRPC proxy or another service on this port?"
    default:
      return "see the collector's logs for this call"
  }
}

/**
 * The gRPC code an OTLP/HTTP status stands for, so that one table of remedies serves both
 * (the mapping the OTLP specification gives between the two).
 */
const HTTP_AS_GRPC: Readonly<Record<number, number>> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 12, // UNIMPLEMENTED: no route for this signal at that URL
  429: 8, // RESOURCE_EXHAUSTED
  502: 14,
  503: 14, // UNAVAILABLE
  504: 4 // DEADLINE_EXCEEDED
}

const exportStep = async (
  section: Section,
  signal: Signal,
  config: ConnectionSection,
  written: SignalSection,
  request: Uint8Array
): Promise<Step> => {
  let transport: ReturnType<typeof OtlpGrpc.transport>
  try {
    transport = config.protocol === "grpc" ? OtlpGrpc.transport(signal, config) : OtlpHttp.transport(signal, written)
  } catch (error) {
    const endpoint = config.protocol === "grpc" ? config.endpoint : Endpoint.redact(written.endpoint ?? "")
    return { name: "export", status: "fail", detail: fromCause(signal, endpoint)(error).message, remedy: "fix the TLS settings above" }
  }
  try {
    const result = await transport.send(request)
    const item = DoctorRequests.ITEM[signal]
    if (result.ok) {
      // A partial success (`rejected`) is part of the SendResult contract the transports grow into.
      const rejected = (result as { readonly rejected?: number }).rejected ?? 0
      return rejected > 0
        ? { name: "export", status: "fail", detail: `the collector rejected ${item}`, remedy: "see the collector's logs" }
        : { name: "export", status: "ok", detail: `${item} accepted` }
    }
    const grpcCode = config.protocol === "grpc" ? result.code : HTTP_AS_GRPC[result.code] ?? 2
    return {
      name: "export",
      status: "fail",
      detail: `${item} refused: ${result.status} (${result.message})`,
      remedy: exportRemedy(section, signal, config, grpcCode)
    }
  } finally {
    transport.close()
  }
}

const checkSignal = async (
  section: Section,
  signal: Signal,
  written: SignalSection,
  request: (json: boolean) => Uint8Array,
  timeoutMillis: number
): Promise<SignalResult> => {
  if (!written.enabled || written.exporter === "none") {
    return { signal, target: "off", checked: false, steps: [], ok: true }
  }
  if (written.exporter !== "otlp_grpc") {
    return { signal, target: written.exporter, checked: false, steps: [], ok: true }
  }
  let target: Endpoint.Target
  try {
    target = Endpoint.resolve(signal, written)
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    return {
      signal,
      target: "otlp_grpc",
      checked: true,
      steps: [{ name: "endpoint", status: "fail", detail, remedy: `write ${section}.endpoint as http(s)://host:port` }],
      ok: false
    }
  }
  const config: ConnectionSection = { ...written, endpoint: target.authority, insecure: !target.tls }
  const shown = `otlp ${config.protocol} ${target.display} (${config.insecure ? "plaintext" : "TLS"})`
  const steps: Array<Step> = []
  // Every step may quote the server (a certificate's names, an error body, a handshake error): the
  // report shows none of its control characters and none of the configured header values.
  const secrets = ServerText.secretsOf(written)
  const printable = (text: string) => ServerText.clean(text, secrets, Number.POSITIVE_INFINITY)
  const done = () => ({
    signal,
    target: shown,
    checked: true,
    steps: steps.map((step) => ({
      ...step,
      detail: printable(step.detail),
      ...(step.remedy === undefined ? {} : { remedy: printable(step.remedy) })
    })),
    ok: steps.every((step) => step.status !== "fail")
  })
  const address = DoctorProbes.splitHostPort(config.endpoint)
  if (address === undefined) {
    steps.push({
      name: "endpoint",
      status: "fail",
      detail: `${config.endpoint} has no port`,
      remedy: `write ${section}.endpoint as host:port, e.g. otel-collector:4317`
    })
    return done()
  }
  const resolved = await DoctorProbes.resolve(address.host)
  if (!resolved.ok) {
    steps.push({
      name: "dns",
      status: "fail",
      detail: `${address.host} does not resolve (${resolved.code || resolved.message})`,
      remedy: "check the host name, and that this environment's DNS knows it (a cluster-internal name only resolves inside the cluster)"
    })
    return done()
  }
  steps.push({ name: "dns", status: "ok", detail: `${address.host} → ${resolved.value.join(", ")}` })
  const connected = await DoctorProbes.connect(address.host, address.port, timeoutMillis)
  if (!connected.ok) {
    const refused = connected.code === "ECONNREFUSED"
    steps.push({
      name: "tcp",
      status: "fail",
      detail: refused ? `connection refused by ${config.endpoint}` : `cannot connect to ${config.endpoint}: ${connected.message}`,
      remedy: refused
        ? "nothing listens there: start the collector, or fix the port (OTLP/gRPC is 4317, OTLP/HTTP 4318)"
        : "a firewall, network policy or VPC egress rule drops the connection, or the host is down"
    })
    return done()
  }
  steps.push({ name: "tcp", status: "ok", detail: `connected in ${connected.value} ms` })
  const tls = await tlsStep(section, signal, config, address.host, address.port, timeoutMillis)
  steps.push(tls)
  if (tls.status === "fail") return done()
  steps.push(await exportStep(section, signal, config, written, request(config.protocol === "http/json")))
  return done()
}

/**
 * Checks every enabled signal of `config` against its collector; never throws for what it
 * finds, only reports it.
 */
export const run = async (config: DoctorConfig, options: Options): Promise<Result> => {
  const timeoutMillis = options.timeoutMillis ?? 3_000
  const signals: Array<SignalResult> = []
  for (const [section, signal] of SECTIONS) {
    const sectionConfig = config[section]
    // The export answer should come back within the step bound too; a slower collector is a finding.
    const bounded = {
      ...sectionConfig,
      exportTimeoutMillis: Math.min(sectionConfig.exportTimeoutMillis, Math.max(timeoutMillis, 5_000))
    }
    const request = (json: boolean) => DoctorRequests.encode(options.serializers, signal, options.resource, json)
    signals.push(await checkSignal(section, signal, bounded, request, timeoutMillis))
  }
  return { source: options.source ?? "config", signals, ok: signals.every((signal) => signal.ok) }
}

const MARK: Readonly<Record<Status, string>> = { ok: "ok  ", fail: "FAIL" }

/** The report as text: one block per signal, a remedy under each failure, and a verdict. */
export const format = (result: Result): string => {
  const lines = [`lingo-obs doctor: config of ${result.source} (precedence: file > environment > default)`, ""]
  for (const signal of result.signals) {
    lines.push(`${signal.signal}: ${signal.target}${signal.checked ? "" : " (nothing to check)"}`)
    for (const step of signal.steps) {
      lines.push(`  ${MARK[step.status]}  ${step.name.padEnd(6)}  ${step.detail}`)
      if (step.remedy !== undefined) lines.push(`              remedy: ${step.remedy}`)
    }
  }
  const checked = result.signals.filter((signal) => signal.checked)
  const failed = checked.filter((signal) => !signal.ok)
  lines.push(
    "",
    checked.length === 0
      ? "No signal exports over OTLP: nothing to check."
      : failed.length === 0
      ? `All ${checked.length} exporting signal(s) reached the collector.`
      : `${failed.length} of ${checked.length} exporting signal(s) failed: ${failed.map((signal) => signal.signal).join(", ")}.`
  )
  return lines.join("\n")
}
