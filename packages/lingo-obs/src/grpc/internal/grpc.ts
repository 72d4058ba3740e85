/**
 * Helpers shared by the gRPC server and client of the Effect 4 line: the engine's (`RpcSemConv`,
 * one copy for both lines and the grpc-js interceptors), plus what needs Effect.
 */
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as Duration from "effect/Duration"

export {
  callKind,
  type CallKind,
  definitionOf,
  describePath,
  metadataGetter,
  metadataSetter,
  methodKey,
  type ServiceInput,
  spanAttributes as rpcAttributes,
  targetAddress
} from "@lingo-obs/otlp/RpcSemConv"

/** A deadline `timeout` from now, as gRPC takes it; none without a timeout. */
export const deadlineAfter = (timeout: Duration.Input | undefined): Date | undefined =>
  RpcSemConv.deadlineAfterMillis(timeout === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(timeout)))

/**
 * A client cancels at its deadline, a hair before the server's own timer: a cancellation this
 * close to the deadline is the deadline (the Effect 3 line allows the same).
 */
const DEADLINE_SLACK_MILLIS = 50

/** Whether the call's deadline has passed (or is within the slack of a client's cancellation). */
export const deadlinePassed = (deadline: Parameters<typeof RpcSemConv.deadlinePassed>[0]): boolean =>
  RpcSemConv.deadlinePassed(deadline, DEADLINE_SLACK_MILLIS)
