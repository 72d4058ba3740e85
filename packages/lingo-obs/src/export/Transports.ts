/**
 * The OTLP transports of the engine (`@lingo-obs/otlp`): gRPC or HTTP as a signal's `protocol`
 * says, for its resolved endpoint.
 */
import type { Signal } from "@lingo-obs/otlp/Transport"
import * as Effect from "effect/Effect"
import { PipelineStartError } from "../Required.js"
import type { Connect, ExporterConfig } from "./ExportPipeline.js"

/** PENDING the engine's transports (branch e20t): until they are merged, no OTLP endpoint can be opened. */
export const connect: Connect = (signal: Signal, config: ExporterConfig) =>
  Effect.fail(
    new PipelineStartError({
      signal,
      endpoint: config.endpoint ?? "default",
      reason: "the OTLP transports are not in @lingo-obs/otlp yet"
    })
  )
