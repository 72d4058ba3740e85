/**
 * `required` as a Layer combinator, as on the Effect 3 line: when a signal's pipeline cannot
 * start, either the program does not start (`required: true`, with an error naming the signal,
 * the endpoint and the cause), or one warning is logged and the signal runs as a no-op.
 *
 * @example
 * ```ts
 * const TracingOrNoop = Required.withFallback(tracingLayer, {
 *   signal: "traces", required: false, fallback: Layer.empty
 * })
 * ```
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Diagnostics from "./Diagnostics.js"

/** A signal's pipeline could not start. */
export class PipelineStartError extends Data.TaggedError("PipelineStartError")<{
  readonly signal: string
  readonly endpoint: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Cannot start the ${this.signal} pipeline (endpoint ${this.endpoint}): ${this.reason}`
  }
}

/** Wraps a thrown or rejected value of a pipeline's construction as a `PipelineStartError`. */
export const startError = (signal: string, endpoint: string) => (cause: unknown): PipelineStartError =>
  new PipelineStartError({ signal, endpoint, reason: cause instanceof Error ? cause.message : String(cause), cause })

/**
 * Builds `layer`; if it fails with a `PipelineStartError`, fails startup when `required`,
 * otherwise logs one warning and builds `fallback` (the signal's no-op layer) instead.
 */
export const withFallback = <ROut, E, RIn, E2, RIn2>(
  layer: Layer.Layer<ROut, E | PipelineStartError, RIn>,
  options: {
    readonly signal: string
    readonly required: boolean
    readonly fallback: Layer.Layer<ROut, E2, RIn2>
  }
): Layer.Layer<ROut, E | E2 | PipelineStartError, RIn | RIn2> =>
  options.required ? layer : Layer.catch(layer, (error): Layer.Layer<ROut, E | E2, RIn2> => {
    if (!(error instanceof PipelineStartError)) return Layer.unwrap(Effect.fail(error as E))
    return Layer.provideMerge(
      options.fallback,
      Layer.effectDiscard(
        Effect.logWarning(`${error.message}. Continuing without ${options.signal} (required: false).`).pipe(
          Diagnostics.annotate({ signal: options.signal, endpoint: error.endpoint })
        )
      )
    )
  })
