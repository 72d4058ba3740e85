/**
 * gRPC status codes as the instrumentation reports them: their names, which ones make a server
 * span an error (the RPC semantic conventions), and the status a finished call answers with.
 *
 * @example
 * ```ts
 * GrpcCodes.codeName(GrpcCodes.Code.NOT_FOUND) // "NOT_FOUND"
 * GrpcCodes.isServerError(GrpcCodes.Code.NOT_FOUND) // false: the client's doing
 * ```
 */
import * as Grpc from "@grpc/grpc-js"

/** The gRPC status codes (`Code.NOT_FOUND`, …), as `@grpc/grpc-js` numbers them. */
export const Code = Grpc.status
export type Code = Grpc.status

/** The name of a code, e.g. `NOT_FOUND`; the number as text for a code gRPC does not define. */
export const codeName = (code: number): string => Grpc.status[code] ?? String(code)

/**
 * The codes that mean the server failed, for which the semantic conventions mark a server span as
 * an error; the others (NOT_FOUND, INVALID_ARGUMENT, …) are the client's doing.
 */
const SERVER_ERRORS: ReadonlySet<number> = new Set([
  Code.UNKNOWN,
  Code.DEADLINE_EXCEEDED,
  Code.UNIMPLEMENTED,
  Code.INTERNAL,
  Code.UNAVAILABLE,
  Code.DATA_LOSS
])

/** Whether a server span that ended with `code` is an error (the RPC semantic conventions). */
export const isServerError = (code: number): boolean => SERVER_ERRORS.has(code)

/** The status a call answers with, and what kind of outcome led to it. */
export interface Status {
  readonly code: Code
  readonly details: string
  readonly metadata?: Grpc.Metadata | undefined
  /** `ok`, `status` (a status error), `failure` (another error), `defect`, `interrupted`. */
  readonly kind: "ok" | "status" | "failure" | "defect" | "interrupted"
  /** For `error.type`: the error's tag or class name, or the code name. */
  readonly errorType: string | undefined
}

/** An error's name for `error.type`: its `_tag` (tagged errors), its class name, or its type. */
export const errorTypeOf = (error: unknown): string => {
  const tagged = (typeof error === "object" && error !== null) || typeof error === "function"
  if (tagged && "_tag" in error && typeof error._tag === "string") return error._tag
  if (error instanceof Error) return error.name
  return typeof error
}

/** How a call's handler (or a client's Effect) ended, as each line reads it off its `Exit`. */
export type Outcome =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly error: unknown }
  | { readonly _tag: "Defect"; readonly defect: unknown }
  | { readonly _tag: "Interrupted" }

/** A status error of either line (`GrpcStatusError`): its tag, code, message, trailing metadata. */
interface StatusError {
  readonly _tag: "GrpcStatusError"
  readonly code: Code
  readonly message: string
  readonly metadata?: Grpc.Metadata | undefined
}

const isStatusError = (u: unknown): u is StatusError =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === "GrpcStatusError"

/**
 * The status an outcome maps to: success is OK; a `GrpcStatusError` its own code and message; any
 * other failure UNKNOWN; a defect INTERNAL; an interruption CANCELLED, or DEADLINE_EXCEEDED once
 * `deadlinePassed` says so. Messages of unknown failures and defects stay on the server.
 */
export const statusOf = (outcome: Outcome, deadlinePassed: () => boolean): Status => {
  switch (outcome._tag) {
    case "Success":
      return { code: Code.OK, details: "OK", kind: "ok", errorType: undefined }
    case "Failure": {
      const error = outcome.error
      if (isStatusError(error)) {
        return { code: error.code, details: error.message, metadata: error.metadata, kind: "status", errorType: codeName(error.code) }
      }
      return { code: Code.UNKNOWN, details: "Unknown error", kind: "failure", errorType: errorTypeOf(error) }
    }
    case "Defect":
      return { code: Code.INTERNAL, details: "Internal error", kind: "defect", errorType: errorTypeOf(outcome.defect) }
    case "Interrupted": {
      const code = deadlinePassed() ? Code.DEADLINE_EXCEEDED : Code.CANCELLED
      return { code, details: codeName(code), kind: "interrupted", errorType: codeName(code) }
    }
  }
}
