/**
 * The OTLP transports a test can reach the receiver over, with what differs in what an operator
 * reads: the status names of failures and the delay a server's "retry later" asks for. Resilience
 * tests run once per transport with `describe.each(TRANSPORTS)`.
 */
import type { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import type { Config } from "../src/index.js"

type Section = NonNullable<Config.ObservabilityConfigInput["tracing"]>

export interface TestTransport {
  readonly name: string
  /** The connection fields of a signal's config that reach `receiver` over this transport. */
  readonly connection: (receiver: OtlpReceiver.Receiver, signal?: "traces" | "metrics" | "logs") => Section
  /** The receiver's endpoint as the toolkit's log lines name it. */
  readonly endpoint: (receiver: OtlpReceiver.Receiver, signal?: "traces" | "metrics" | "logs") => string
  /** The status an UNAVAILABLE fault is logged with (gRPC code name or HTTP status). */
  readonly unavailable: string
  readonly permissionDenied: string
  /** The delay a fault's `retryDelayMs` asks for: RetryInfo is exact, `Retry-After` whole seconds. */
  readonly askedDelay: (millis: number) => number
}

export const GRPC: TestTransport = {
  name: "OTLP/gRPC",
  connection: (receiver) => ({ protocol: "grpc", endpoint: receiver.endpoint, insecure: true }),
  endpoint: (receiver) => receiver.endpoint,
  unavailable: "UNAVAILABLE",
  permissionDenied: "PERMISSION_DENIED",
  askedDelay: (millis) => millis
}

export const HTTP_PROTOBUF: TestTransport = {
  name: "OTLP/HTTP",
  // The base URL, as a user writes it: the signal path is appended.
  connection: (receiver) => ({ protocol: "http/protobuf", endpoint: receiver.httpEndpoint }),
  endpoint: (receiver, signal = "traces") => `${receiver.httpEndpoint}/v1/${signal}`,
  unavailable: "HTTP 503",
  permissionDenied: "HTTP 403",
  askedDelay: (millis) => Math.ceil(millis / 1_000) * 1_000
}

export const TRANSPORTS: ReadonlyArray<TestTransport> = [GRPC, HTTP_PROTOBUF]
