/**
 * How long the export pipeline waits before retrying: capped, jittered exponential back-off,
 * a server's RetryInfo / Retry-After honoured within the same bounds, and shorter waits while
 * shutting down so that the shutdown timeout is used well.
 */
import type { RetrySettings } from "./pipelineOptions.js"

/** While shutting down, retries wait at most this long so the shutdown timeout is used well. */
const SHUTDOWN_MAX_BACKOFF_MILLIS = 250
/** While shutting down, a server's delay is honoured as asked, but never below this (no busy loop). */
const SHUTDOWN_MIN_BACKOFF_MILLIS = 50

/**
 * Exponential back-off with ±50 % jitter, never above the cap; a server's delay is honoured
 * within the same bounds (a RetryInfo of 0 cannot make a busy loop, nor 10 minutes a stall).
 */
export const backoffDelay = (
  retry: RetrySettings,
  attempt: number,
  serverDelay: number | undefined,
  random: () => number
): number => {
  const { initialBackoffMillis, maxBackoffMillis } = retry
  if (serverDelay !== undefined) return Math.min(maxBackoffMillis, Math.max(initialBackoffMillis, serverDelay))
  const base = Math.min(maxBackoffMillis, initialBackoffMillis * 2 ** Math.min(attempt - 1, 30))
  return Math.min(maxBackoffMillis, Math.round(base * (0.5 + random())))
}

/**
 * The wait while shutting down: our own back-off (`delay`) is shortened to use the time left
 * well; a server's delay (`asked`) is honoured as asked (not raised to initialBackoff).
 */
export const shutdownDelay = (retry: RetrySettings, delay: number, asked: number | undefined): number =>
  asked === undefined
    ? Math.min(delay, SHUTDOWN_MAX_BACKOFF_MILLIS)
    : Math.min(retry.maxBackoffMillis, Math.max(SHUTDOWN_MIN_BACKOFF_MILLIS, asked))
