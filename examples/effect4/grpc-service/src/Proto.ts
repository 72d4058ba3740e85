/**
 * The service definitions, loaded from the `.proto` files at startup with `@grpc/proto-loader`,
 * and the message types as TypeScript sees them (proto-loader's output is untyped).
 */
import type * as Grpc from "@grpc/grpc-js"
import * as ProtoLoader from "@grpc/proto-loader"
import { fileURLToPath } from "node:url"

const PROTO_DIR = fileURLToPath(new URL("../proto/", import.meta.url))

const definitions = ProtoLoader.loadSync(["users.proto", "health.proto"], {
  includeDirs: [PROTO_DIR],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true
})

/** `lingo.users.v1.UserService`. */
export const UserServiceDefinition = definitions["lingo.users.v1.UserService"] as Grpc.ServiceDefinition

/** `grpc.health.v1.Health`. */
export const HealthDefinition = definitions["grpc.health.v1.Health"] as Grpc.ServiceDefinition

export interface GetUserRequest {
  readonly id: string
}

export interface ListUsersRequest {
  readonly limit?: number | undefined
}

export interface User {
  readonly id: string
  readonly name: string
  readonly email: string
}

export interface HealthCheckRequest {
  readonly service?: string | undefined
}

export interface HealthCheckResponse {
  readonly status: "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN"
}
