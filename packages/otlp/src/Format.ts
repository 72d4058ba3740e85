/** Durations and sizes as log lines show them; plain functions shared by the export engine and Diagnostics. */

/** `250ms`, `5.0s`, `1m 2s`. */
export const formatMillis = (millis: number): string =>
  millis < 1_000
    ? `${Math.round(millis)}ms`
    : millis < 60_000
    ? `${(millis / 1_000).toFixed(1)}s`
    : `${Math.floor(millis / 60_000)}m ${Math.round((millis % 60_000) / 1_000)}s`

/** `512 B`, `9.8 KiB`, `4.0 MiB`. */
export const formatBytes = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`
