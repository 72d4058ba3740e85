/**
 * gRPC status codes as Effect errors. A handler chooses the status of its call by failing with a
 * `GrpcStatusError`; a client call that ends with a non-OK status fails with one. Any other
 * failure of a handler becomes `UNKNOWN` and a defect `INTERNAL`, both with a message that
 * reveals nothing of the server's internals.
 *
 * @example
 * ```ts
 * import { GrpcStatus } from "@lingo-obs/http-middleware"
 *
 * const getUser = (request: { id: string }) =>
 *   Effect.fromNullable(users.get(request.id)).pipe(
 *     Effect.mapError(() => GrpcStatus.notFound(`user ${request.id} does not exist`))
 *   )
 * ```
 */
import type * as Grpc from "@grpc/grpc-js"
import * as GrpcCodes from "@lingo-obs/otlp/GrpcCodes"
import { codeName, type Status, statusOf } from "@lingo-obs/otlp/GrpcCodes"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"

/** The gRPC status codes (`Code.NOT_FOUND`, …), as `@grpc/grpc-js` numbers them. */
export const Code = GrpcCodes.Code
export type Code = GrpcCodes.Code

// The code names, the server-error rule of the RPC semantic conventions and the status shape are
// the engine's, shared with the Effect 4 line.
export { codeName, isServerError, type Status } from "@lingo-obs/otlp/GrpcCodes"

/** A call ended (or is to end) with `code`; `message` is what the peer sees as the status details. */
export class GrpcStatusError extends Data.TaggedError("GrpcStatusError")<{
  readonly code: Code
  readonly message: string
  /** Trailing metadata sent with (or received with) the status. */
  readonly metadata?: Grpc.Metadata | undefined
}> {
  /** The code's name, e.g. `NOT_FOUND`. */
  get codeName(): string {
    return codeName(this.code)
  }
}

/** Whether `u` is a `GrpcStatusError`. */
export const isGrpcStatusError = (u: unknown): u is GrpcStatusError => Predicate.isTagged(u, "GrpcStatusError")

/** A `GrpcStatusError` with `code` and `message`. */
export const make = (code: Code, message: string, metadata?: Grpc.Metadata): GrpcStatusError =>
  new GrpcStatusError({ code, message, metadata })

export const invalidArgument = (message: string) => make(Code.INVALID_ARGUMENT, message)
export const notFound = (message: string) => make(Code.NOT_FOUND, message)
export const alreadyExists = (message: string) => make(Code.ALREADY_EXISTS, message)
export const permissionDenied = (message: string) => make(Code.PERMISSION_DENIED, message)
export const unauthenticated = (message: string) => make(Code.UNAUTHENTICATED, message)
export const failedPrecondition = (message: string) => make(Code.FAILED_PRECONDITION, message)
export const resourceExhausted = (message: string) => make(Code.RESOURCE_EXHAUSTED, message)
export const unavailable = (message: string) => make(Code.UNAVAILABLE, message)
export const unimplemented = (message: string) => make(Code.UNIMPLEMENTED, message)
export const internal = (message: string) => make(Code.INTERNAL, message)

/**
 * The status an exit maps to: success is OK; a `GrpcStatusError` its own code and message; any
 * other failure UNKNOWN; a defect INTERNAL; an interruption CANCELLED, or DEADLINE_EXCEEDED once
 * `deadlinePassed` says so. Messages of unknown failures and defects stay on the server (the
 * engine's `GrpcCodes.statusOf`, shared by both lines).
 */
export const fromExit = (exit: Exit.Exit<unknown, unknown>, deadlinePassed: () => boolean = () => false): Status => {
  if (Exit.isSuccess(exit)) return statusOf({ _tag: "Success" }, deadlinePassed)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) return statusOf({ _tag: "Failure", error: failure.value }, deadlinePassed)
  const defect = Cause.dieOption(exit.cause)
  if (Option.isSome(defect)) return statusOf({ _tag: "Defect", defect: defect.value }, deadlinePassed)
  return statusOf({ _tag: "Interrupted" }, deadlinePassed)
}
