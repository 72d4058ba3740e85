/** Helpers shared by the gRPC server and client of the Effect 4 line. */
import * as Grpc from "@grpc/grpc-js"
import type { TextMapGetter, TextMapSetter } from "@opentelemetry/api"
import * as Duration from "effect/Duration"

/** A service definition, or a generated client constructor (`loadPackageDefinition(...).pkg.Service`). */
export type ServiceInput = Grpc.ServiceDefinition | { readonly service: Grpc.ServiceDefinition }

const isDefinition = (u: unknown): u is Grpc.ServiceDefinition =>
  typeof u === "object" && u !== null &&
  Object.values(u).every((method) => typeof method === "object" && method !== null && "path" in method)

export const definitionOf = (input: ServiceInput): Grpc.ServiceDefinition =>
  typeof input === "function" || ("service" in input && isDefinition(input.service))
    ? (input as { readonly service: Grpc.ServiceDefinition }).service
    : (input as Grpc.ServiceDefinition)

/** The call kind of a method, as its definition says. */
export type Kind = "unary" | "serverStreaming" | "clientStreaming" | "bidiStreaming"

export const kindOf = (method: Grpc.MethodDefinition<unknown, unknown>): Kind =>
  method.requestStream
    ? (method.responseStream ? "bidiStreaming" : "clientStreaming")
    : (method.responseStream ? "serverStreaming" : "unary")

/** A deadline `timeout` from now, as gRPC takes it; none without a timeout. */
export const deadlineAfter = (timeout: Duration.Input | undefined): Date | undefined =>
  timeout === undefined ? undefined : new Date(Date.now() + Duration.toMillis(Duration.fromInputUnsafe(timeout)))

/** Whether a gRPC deadline has passed. */
export const deadlinePassed = (deadline: Grpc.Deadline | undefined): boolean => {
  if (deadline === undefined) return false
  const millis = deadline instanceof Date ? deadline.getTime() : deadline
  return Number.isFinite(millis) && Date.now() >= millis
}

/** gRPC metadata; binary (`-bin`) values are not text and never carry context. */
export const metadataGetter: TextMapGetter<Grpc.Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key.toLowerCase()).filter((value): value is string => typeof value === "string")
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values
  }
}

export const metadataSetter: TextMapSetter<Grpc.Metadata> = {
  set: (carrier, key, value) => carrier.set(key.toLowerCase(), value)
}

// TODO(e3grpc RpcSemConv): the Effect-free helpers below move to the engine.
/** `/pkg.Service/Method` → `{ service: "pkg.Service", method: "Method", name: "pkg.Service/Method" }`. */
export const describePath = (path: string) => {
  const trimmed = path.startsWith("/") ? path.slice(1) : path
  const slash = trimmed.lastIndexOf("/")
  const service = slash === -1 ? "" : trimmed.slice(0, slash)
  const method = slash === -1 ? trimmed : trimmed.slice(slash + 1)
  return { service, method, name: trimmed }
}

export const rpcAttributes = (path: string) => {
  const { method, service } = describePath(path)
  return { "rpc.system": "grpc", "rpc.service": service, "rpc.method": method }
}

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

export const targetAddress = (target: string) => {
  const withoutScheme = target.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, "")
  return splitHostPort(withoutScheme.split(",")[0] ?? withoutScheme)
}

export const messageEvent = (type: "SENT" | "RECEIVED", id: number, size: number | undefined) => ({
  name: "message",
  attributes: size === undefined
    ? { "message.type": type, "message.id": id }
    : { "message.type": type, "message.id": id, "message.uncompressed_size": size }
})
