/**
 * Config values that are adjusted rather than refused, the same on both Effect lines: a sampling
 * ratio outside [0, 1] is clamped, a batch larger than its queue is cut to the queue's size. Each
 * adjustment is one warning naming the field (the caller logs it through its line's logger).
 *
 * @example
 * ```ts
 * const { config, adjustments } = ConfigRanges.clamp(decoded)
 * for (const { field, message } of adjustments) log(message, { field })
 * ```
 */

/** The decoded fields this module adjusts; both lines' decoded configs have them. */
export interface Ranged {
  readonly tracing: { readonly samplingRatio: number; readonly maxExportBatchSize: number; readonly maxQueueSize: number }
  readonly logs: { readonly maxExportBatchSize: number; readonly maxQueueSize: number }
}

/** One adjusted field and the warning that says so. */
export interface Adjustment {
  readonly field: string
  readonly message: string
}

/** The config with its ranges adjusted (the same object when nothing was), and one warning per adjustment. */
export const clamp = <C extends Ranged>(config: C): { readonly config: C; readonly adjustments: ReadonlyArray<Adjustment> } => {
  const adjustments: Array<Adjustment> = []
  let tracing = config.tracing
  if (tracing.samplingRatio < 0 || tracing.samplingRatio > 1) {
    const clamped = Math.min(1, Math.max(0, tracing.samplingRatio))
    adjustments.push({
      field: "tracing.samplingRatio",
      message: `tracing.samplingRatio ${tracing.samplingRatio} is outside [0, 1]; using ${clamped}`
    })
    tracing = { ...tracing, samplingRatio: clamped }
  }
  if (tracing.maxExportBatchSize > tracing.maxQueueSize) {
    adjustments.push({
      field: "tracing.maxExportBatchSize",
      message: `tracing.maxExportBatchSize ${tracing.maxExportBatchSize} is above tracing.maxQueueSize ${tracing.maxQueueSize}; using ${tracing.maxQueueSize}`
    })
    tracing = { ...tracing, maxExportBatchSize: tracing.maxQueueSize }
  }
  let logs = config.logs
  if (logs.maxExportBatchSize > logs.maxQueueSize) {
    adjustments.push({
      field: "logs.maxExportBatchSize",
      message: `logs.maxExportBatchSize ${logs.maxExportBatchSize} is above logs.maxQueueSize ${logs.maxQueueSize}; using ${logs.maxQueueSize}`
    })
    logs = { ...logs, maxExportBatchSize: logs.maxQueueSize }
  }
  return {
    config: tracing === config.tracing && logs === config.logs ? config : { ...config, tracing, logs },
    adjustments
  }
}
