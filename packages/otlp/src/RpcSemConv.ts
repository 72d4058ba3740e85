/**
 * The RPC semantic conventions as the gRPC instrumentation of both Effect lines and the plain
 * grpc-js interceptors apply them, with no Effect: span names and `rpc.*` span attributes, the
 * call-duration metrics (names, units, descriptions, bucket boundaries, attributes), the status a
 * failed call reports, `error.type` per side, `rpc.message` events, and the grpc-js service
 * definition and address helpers they all need.
 *
 * @example
 * ```ts
 * RpcSemConv.spanName("/users.UserService/GetUser") // "users.UserService/GetUser"
 * RpcSemConv.metricAttributes({ service: "users.UserService", method: "GetUser", code: 5, status: "NOT_FOUND" })
 * // { "rpc.system.name": "grpc", "rpc.method": "users.UserService/GetUser", "rpc.status_code": "NOT_FOUND", ... }
 * ```
 */
import * as Grpc from "@grpc/grpc-js"
import { METRIC_RPC_CLIENT_CALL_DURATION, METRIC_RPC_SERVER_CALL_DURATION } from "@opentelemetry/semantic-conventions"
import {
  ATTR_RPC_MESSAGE_ID,
  ATTR_RPC_MESSAGE_TYPE,
  ATTR_RPC_MESSAGE_UNCOMPRESSED_SIZE,
  EVENT_RPC_MESSAGE,
  METRIC_RPC_CLIENT_DURATION,
  METRIC_RPC_SERVER_DURATION,
  RPC_MESSAGE_TYPE_VALUE_RECEIVED,
  RPC_MESSAGE_TYPE_VALUE_SENT
} from "@opentelemetry/semantic-conventions/incubating"
import { Code, codeName, isServerError } from "./GrpcCodes.js"
import * as SemConv from "./HttpSemConv.js"

// ---------------------------------------------------------------------------------------------
// Service definitions and call kinds

/** A service definition, or a generated client constructor (`loadPackageDefinition(...).pkg.Service`). */
export type ServiceInput = Grpc.ServiceDefinition | { readonly service: Grpc.ServiceDefinition }

const isDefinition = (u: unknown): u is Grpc.ServiceDefinition =>
  typeof u === "object" && u !== null &&
  Object.values(u).every((method) => typeof method === "object" && method !== null && "path" in method)

/** The service definition of a definition or of a generated client constructor. */
export const definitionOf = (input: ServiceInput): Grpc.ServiceDefinition =>
  typeof input === "function" || ("service" in input && isDefinition(input.service))
    ? (input as { readonly service: Grpc.ServiceDefinition }).service
    : (input as Grpc.ServiceDefinition)

/** The key of the method named `name` (its key, `getUser`, or its proto name, `GetUser`); undefined if none. */
export const methodKey = (definition: Grpc.ServiceDefinition, name: string): string | undefined =>
  Object.keys(definition).find((key) => key === name || definition[key]?.originalName === name)

/** The four kinds of gRPC call. */
export type CallKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming"

/** The kind of call a method makes, from its definition's stream flags. */
export const callKind = (method: { readonly requestStream: boolean; readonly responseStream: boolean }): CallKind =>
  method.requestStream
    ? method.responseStream ? "bidi_streaming" : "client_streaming"
    : method.responseStream
    ? "server_streaming"
    : "unary"

// ---------------------------------------------------------------------------------------------
// Span names and attributes

/** `/pkg.Service/Method` → `{ service: "pkg.Service", method: "Method", name: "pkg.Service/Method" }`. */
export const describePath = (path: string) => {
  const trimmed = path.startsWith("/") ? path.slice(1) : path
  const slash = trimmed.lastIndexOf("/")
  const service = slash === -1 ? "" : trimmed.slice(0, slash)
  const method = slash === -1 ? trimmed : trimmed.slice(slash + 1)
  return { service, method, name: trimmed }
}

/** The span name of a call: `pkg.Service/Method`. */
export const spanName = (path: string): string => describePath(path).name

/** The `rpc.*` attributes of a method on its spans (the names of semantic conventions 1.37). */
export const spanAttributes = (path: string): Record<string, string> => {
  const { method, service } = describePath(path)
  return { [SemConv.RPC_SYSTEM_LEGACY]: "grpc", [SemConv.RPC_SERVICE_LEGACY]: service, [SemConv.RPC_METHOD]: method }
}

/** `host:port` (IPv6 in brackets) → its parts; a bare host has no port. */
export const splitHostPort = (address: string): { readonly host: string; readonly port: number | undefined } => {
  if (address.startsWith("[")) {
    const close = address.indexOf("]")
    const port = address.slice(close + 2)
    return { host: address.slice(1, close), port: port === "" ? undefined : Number(port) }
  }
  const colon = address.lastIndexOf(":")
  if (colon === -1 || address.indexOf(":") !== colon) return { host: address, port: undefined }
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) }
}

/** The address part of a gRPC target: `dns:///host:port`, `ipv4:a.b.c.d:port`, or plain `host:port`. */
export const targetAddress = (target: string): { readonly host: string; readonly port: number | undefined } => {
  const withoutScheme = target.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, "")
  return splitHostPort(withoutScheme.split(",")[0] ?? withoutScheme)
}

/** `server.address` and `server.port` (the port left out when unknown). */
export const serverAttributes = (host: string, port: number | undefined): Record<string, string | number> =>
  port === undefined
    ? { [SemConv.SERVER_ADDRESS]: host }
    : { [SemConv.SERVER_ADDRESS]: host, [SemConv.SERVER_PORT]: port }

/** `network.peer.address` and `network.peer.port` of a grpc-js peer (`host:port`); none for `unknown`. */
export const peerAttributes = (peer: string): Record<string, string | number> => {
  if (peer === "unknown" || peer === "") return {}
  const { host, port } = splitHostPort(peer)
  return port === undefined
    ? { [SemConv.NETWORK_PEER_ADDRESS]: host }
    : { [SemConv.NETWORK_PEER_ADDRESS]: host, [SemConv.NETWORK_PEER_PORT]: port }
}

// ---------------------------------------------------------------------------------------------
// Deadlines

/** A deadline `millis` from now, as gRPC takes it; none without a timeout. */
export const deadlineAfterMillis = (millis: number | undefined): Date | undefined =>
  millis === undefined ? undefined : new Date(Date.now() + millis)

/**
 * Whether a gRPC deadline has passed, or is less than `slackMillis` away. A server learns of a
 * passed deadline either from its own timer or from the client's cancellation, which the client
 * sends at its (slightly earlier) deadline: the slack tells the second apart from a real cancel.
 */
export const deadlinePassed = (deadline: Grpc.Deadline | undefined, slackMillis = 0): boolean => {
  if (deadline === undefined) return false
  const millis = deadline instanceof Date ? deadline.getTime() : deadline
  return Number.isFinite(millis) && Date.now() + slackMillis >= millis
}

// ---------------------------------------------------------------------------------------------
// Status and error.type

/** The status a call ended with, as a client sees it. */
export interface CallStatus {
  readonly code: Code
  readonly details: string
  readonly metadata?: Grpc.Metadata | undefined
}

/** The status of a grpc-js error (a `ServiceError`, or anything thrown): its code, or UNKNOWN. */
export const statusOfError = (error: unknown): CallStatus => {
  const e = (typeof error === "object" && error !== null ? error : {}) as Partial<Grpc.ServiceError>
  return {
    code: typeof e.code === "number" ? e.code : Code.UNKNOWN,
    details: e.details ?? e.message ?? "Unknown error",
    metadata: e.metadata
  }
}

/**
 * `error.type` of a call that ended with `code`: on the client any non-OK code (its name); on the
 * server only the server-error codes, named by `cause` (an error's tag or class) when known.
 */
export const errorType = (side: Side, code: number, cause?: string | undefined): string | undefined =>
  side === "client"
    ? code === Code.OK ? undefined : codeName(code)
    : isServerError(code)
    ? cause ?? codeName(code)
    : undefined

/** Whether the span of a call that ended with `code` has an error status (server: only server errors). */
export const isSpanError = (side: Side, code: number): boolean =>
  side === "client" ? code !== Code.OK : isServerError(code)

// ---------------------------------------------------------------------------------------------
// Metrics

/** Which end of a call. */
export type Side = "server" | "client"

/** Bucket boundaries of the RPC call-duration histograms, in seconds (semantic conventions). */
export const CALL_DURATION_BOUNDARIES: ReadonlyArray<number> = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
]

/** Bucket boundaries of the legacy RPC duration histograms, in milliseconds (semantic conventions ≤ 1.37). */
export const LEGACY_DURATION_BOUNDARIES: ReadonlyArray<number> = [
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000
]

/** A histogram as the conventions define it. */
export interface HistogramDefinition {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly boundaries: ReadonlyArray<number>
}

/** `rpc.server.call.duration` / `rpc.client.call.duration`, in seconds. */
export const callDuration: Readonly<Record<Side, HistogramDefinition>> = {
  server: {
    name: METRIC_RPC_SERVER_CALL_DURATION,
    description: "Measures the duration of an incoming Remote Procedure Call (RPC).",
    unit: "s",
    boundaries: CALL_DURATION_BOUNDARIES
  },
  client: {
    name: METRIC_RPC_CLIENT_CALL_DURATION,
    description: "Measures the duration of an outgoing Remote Procedure Call (RPC).",
    unit: "s",
    boundaries: CALL_DURATION_BOUNDARIES
  }
}

/** `rpc.server.duration` / `rpc.client.duration` in milliseconds: the names of 1.37 and earlier. */
export const legacyDuration: Readonly<Record<Side, HistogramDefinition>> = {
  server: {
    name: METRIC_RPC_SERVER_DURATION,
    description: "Measures the duration of inbound RPC.",
    unit: "ms",
    boundaries: LEGACY_DURATION_BOUNDARIES
  },
  client: {
    name: METRIC_RPC_CLIENT_DURATION,
    description: "Measures the duration of outbound RPC.",
    unit: "ms",
    boundaries: LEGACY_DURATION_BOUNDARIES
  }
}

/** One RPC as the metrics describe it. */
export interface RpcCall {
  /** `package.Service`. */
  readonly service: string
  /** `Method`. */
  readonly method: string
  /** The gRPC status code (`0`). */
  readonly code: number
  /** Its name (`OK`), the value of `rpc.status_code`. */
  readonly status: string
  readonly serverAddress?: string | undefined
  readonly serverPort?: number | undefined
  /** `error.type` when the call counts as failed on this side (see `errorType`). */
  readonly errorType?: string | undefined
}

/** The `RpcCall` of a call to `path` that ended with `code` on `side`. */
export const rpcCall = (
  side: Side,
  path: string,
  code: number,
  server: { readonly host: string; readonly port: number | undefined },
  cause?: string | undefined
): RpcCall => {
  const { method, service } = describePath(path)
  return {
    service,
    method,
    code,
    status: codeName(code),
    serverAddress: server.host,
    serverPort: server.port,
    errorType: errorType(side, code, cause)
  }
}

/** Metric attribute values; undefined values are to be left out. */
export type MetricAttributes = Record<string, string | number | undefined>

/** The attributes of the call-duration metrics: `rpc.system.name`, `rpc.method`, `rpc.status_code`, server, `error.type`. */
export const metricAttributes = (call: RpcCall): MetricAttributes => ({
  [SemConv.RPC_SYSTEM_NAME]: SemConv.RPC_SYSTEM_NAME_VALUE_GRPC,
  [SemConv.RPC_METHOD]: `${call.service}/${call.method}`,
  [SemConv.RPC_STATUS_CODE]: call.status,
  [SemConv.SERVER_ADDRESS]: call.serverAddress,
  [SemConv.SERVER_PORT]: call.serverPort,
  [SemConv.ERROR_TYPE]: call.errorType
})

/** The attributes of the legacy duration metrics (server attributes on the client side only, as 1.37 had them). */
export const legacyMetricAttributes = (call: RpcCall, side: Side): MetricAttributes => ({
  [SemConv.RPC_SYSTEM_LEGACY]: SemConv.RPC_SYSTEM_NAME_VALUE_GRPC,
  [SemConv.RPC_SERVICE_LEGACY]: call.service,
  [SemConv.RPC_METHOD]: call.method,
  [SemConv.RPC_GRPC_STATUS_CODE]: call.code,
  ...(side === "client" ? { [SemConv.SERVER_ADDRESS]: call.serverAddress, [SemConv.SERVER_PORT]: call.serverPort } : {})
})

/** `attributes` without its undefined values. */
export const defined = <V>(attributes: Record<string, V | undefined>): Record<string, V> => {
  const out: Record<string, V> = {}
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) out[key] = value
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Message events

/** The name of a message event: `rpc.message`. */
export const MESSAGE_EVENT: string = EVENT_RPC_MESSAGE

/** `SENT` or `RECEIVED`. */
export type MessageType = typeof RPC_MESSAGE_TYPE_VALUE_SENT | typeof RPC_MESSAGE_TYPE_VALUE_RECEIVED
export const SENT: MessageType = RPC_MESSAGE_TYPE_VALUE_SENT
export const RECEIVED: MessageType = RPC_MESSAGE_TYPE_VALUE_RECEIVED

/**
 * Whether a call of this kind gets message events: one per message of a streaming call, none on
 * unary calls. The `rpc.message` event of `@opentelemetry/semantic-conventions` 1.45 (the names this
 * toolkit follows) says "In case of unary calls message events SHOULD NOT be recorded"; 1.37 and
 * earlier said a unary call would have one SENT and one RECEIVED event.
 */
export const hasMessageEvents = (kind: CallKind): boolean => kind !== "unary"

/** The attributes of one message event: type, id (from 1, per direction) and size in bytes when known. */
export const messageEventAttributes = (
  type: MessageType,
  id: number,
  size: number | undefined
): Record<string, string | number> =>
  size === undefined
    ? { [ATTR_RPC_MESSAGE_TYPE]: type, [ATTR_RPC_MESSAGE_ID]: id }
    : { [ATTR_RPC_MESSAGE_TYPE]: type, [ATTR_RPC_MESSAGE_ID]: id, [ATTR_RPC_MESSAGE_UNCOMPRESSED_SIZE]: size }

/**
 * Numbers the messages of one call in each direction and hands the attributes of each message's
 * event to `record` (which adds the event to the call's span).
 */
export interface MessageEvents {
  readonly sent: (size: number | undefined) => void
  readonly received: (size: number | undefined) => void
}

/** Message events for one call, reported to `record`. */
export const messageEvents = (record: (attributes: Record<string, string | number>) => void): MessageEvents => {
  let sent = 0
  let received = 0
  return {
    sent: (size) => record(messageEventAttributes(SENT, ++sent, size)),
    received: (size) => record(messageEventAttributes(RECEIVED, ++received, size))
  }
}

/**
 * The uncompressed size of `message` in bytes, by the method's serializer: exact for a message
 * about to be sent; for a received message (re-serialized) exact wherever the serializer is
 * canonical, as protobuf's is. Undefined when it cannot serialize.
 */
export const sizeOf = (serialize: (message: any) => Buffer, message: unknown): number | undefined => {
  if (Buffer.isBuffer(message)) return message.length
  try {
    return serialize(message).length
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Metadata as a propagation carrier

/** A `TextMapGetter` over gRPC metadata; binary (`-bin`) values are not text and never carry context. */
export const metadataGetter = {
  keys: (carrier: Grpc.Metadata): Array<string> => Object.keys(carrier.getMap()),
  get: (carrier: Grpc.Metadata, key: string): string | Array<string> | undefined => {
    const values = carrier.get(key.toLowerCase()).filter((value): value is string => typeof value === "string")
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values
  }
}

/** A `TextMapSetter` over gRPC metadata. */
export const metadataSetter = {
  set: (carrier: Grpc.Metadata, key: string, value: string): void => carrier.set(key.toLowerCase(), value)
}

/**
 * The metadata a client call sends: a copy of the caller's (the call adds its trace context, the
 * caller's object is left alone), or one built from a record of text values.
 */
export const outgoingMetadata = (input: Grpc.Metadata | Readonly<Record<string, string>> | undefined): Grpc.Metadata => {
  if (input instanceof Grpc.Metadata) return input.clone()
  const metadata = new Grpc.Metadata()
  for (const [key, value] of Object.entries(input ?? {})) metadata.set(key, value)
  return metadata
}
