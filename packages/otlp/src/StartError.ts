/**
 * Why a signal's export could not start: its endpoint cannot be used, a TLS file cannot be read,
 * the channel cannot be built, or the start-up probe found no collector. A plain `Error`, so any
 * line of the toolkit maps it onto its own error type (the Effect 3 line: `PipelineStartError`).
 *
 * @example
 * ```ts
 * try { ExportPipeline.connect("traces", config) } catch (error) {
 *   if (error instanceof StartError) console.error(error.signal, error.endpoint, error.reason)
 * }
 * ```
 */
export class StartError extends Error {
  readonly signal: string
  /** The endpoint as log lines show it: never with a password. */
  readonly endpoint: string
  /** What went wrong, without the "Cannot start …" preamble. */
  readonly reason: string

  constructor(fields: {
    readonly signal: string
    readonly endpoint: string
    readonly reason: string
    readonly cause?: unknown
  }) {
    super(
      `Cannot start the ${fields.signal} pipeline (endpoint ${fields.endpoint}): ${fields.reason}`,
      "cause" in fields ? { cause: fields.cause } : undefined
    )
    this.name = "StartError"
    this.signal = fields.signal
    this.endpoint = fields.endpoint
    this.reason = fields.reason
  }
}

/** A thrown or rejected value of a pipeline's start, as a `StartError` (its message the reason). */
export const fromCause = (signal: string, endpoint: string) => (cause: unknown): StartError =>
  cause instanceof StartError ? cause : new StartError({
    signal,
    endpoint,
    reason: cause instanceof Error ? cause.message : String(cause),
    cause
  })
