/** Helpers shared by the gRPC server and client wrappers. */
import type * as Grpc from "@grpc/grpc-js"
import * as Duration from "effect/Duration"
import * as SemConv from "@lingo-obs/otlp/HttpSemConv"

/** A service definition, or a generated client constructor (`loadPackageDefinition(...).pkg.Service`). */
export type ServiceInput = Grpc.ServiceDefinition | { readonly service: Grpc.ServiceDefinition }

export const definitionOf = (input: ServiceInput): Grpc.ServiceDefinition =>
  typeof input === "function" || ("service" in input && isDefinition(input.service))
    ? (input as { readonly service: Grpc.ServiceDefinition }).service
    : (input as Grpc.ServiceDefinition)

const isDefinition = (u: unknown): u is Grpc.ServiceDefinition =>
  typeof u === "object" && u !== null &&
  Object.values(u).every((method) => typeof method === "object" && method !== null && "path" in method)

/** `/pkg.Service/Method` → `{ service: "pkg.Service", method: "Method", name: "pkg.Service/Method" }`. */
export const describePath = (path: string) => {
  const trimmed = path.startsWith("/") ? path.slice(1) : path
  const slash = trimmed.lastIndexOf("/")
  const service = slash === -1 ? "" : trimmed.slice(0, slash)
  const method = slash === -1 ? trimmed : trimmed.slice(slash + 1)
  return { service, method, name: trimmed }
}

/** The `rpc.*` attributes of a method on its spans (the names of semantic conventions 1.37). */
export const rpcAttributes = (path: string) => {
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
export const targetAddress = (target: string) => {
  const withoutScheme = target.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, "")
  return splitHostPort(withoutScheme.split(",")[0] ?? withoutScheme)
}

/** A deadline `timeout` from now, as gRPC takes it; none without a timeout. */
export const deadlineAfter = (timeout: Duration.DurationInput | undefined): Date | undefined =>
  timeout === undefined ? undefined : new Date(Date.now() + Duration.toMillis(Duration.decode(timeout)))

/** Whether a gRPC deadline has passed. */
export const deadlinePassed = (deadline: Grpc.Deadline | undefined): boolean => {
  if (deadline === undefined) return false
  const millis = deadline instanceof Date ? deadline.getTime() : deadline
  return Number.isFinite(millis) && Date.now() >= millis
}
