/** Helpers shared by the gRPC server and client wrappers: the engine's, plus what needs Effect. */
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as Duration from "effect/Duration"

export {
  deadlinePassed,
  definitionOf,
  describePath,
  type ServiceInput,
  spanAttributes as rpcAttributes,
  splitHostPort,
  targetAddress
} from "@lingo-obs/otlp/RpcSemConv"

/** A deadline `timeout` from now, as gRPC takes it; none without a timeout. */
export const deadlineAfter = (timeout: Duration.DurationInput | undefined): Date | undefined =>
  RpcSemConv.deadlineAfterMillis(timeout === undefined ? undefined : Duration.toMillis(Duration.decode(timeout)))
