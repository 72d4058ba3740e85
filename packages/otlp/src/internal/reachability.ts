/**
 * What the signals' pipelines have learned about an endpoint, shared between them: the traces,
 * metrics and logs of a service usually go to one collector, so once one signal has been
 * answered there, the others know it is there (a shutdown does not give up on it as "never
 * reached"), and a pipeline waiting out a back-off towards it tries again at once. What is
 * known lasts while a pipeline sending there is open (a new layer starts from nothing).
 */

/** The shared knowledge of one endpoint (an origin, `host:port`). */
export interface Reachability {
  /** A server has answered there (success or not) since start, whichever signal it was. */
  readonly reached: boolean
  /** Records an answer from the server; listeners hear of the first success after a failure. */
  answered(ok: boolean): void
  /** Records a failed attempt (no server found, or a retryable answer). */
  failed(): void
  /** Calls `listener` when a pipeline succeeds there after a failure; returns its removal. */
  onAnswered(listener: () => void): () => void
  /** The pipeline is shut down: once no pipeline uses the entry, it is forgotten. */
  release(): void
}

interface Entry {
  reached: boolean
  failing: boolean
  readonly listeners: Set<() => void>
  users: number
}

const entries = new Map<string, Entry>()

/** The shared reachability of `key` for one more pipeline (created on first use). */
export const of = (key: string): Reachability => {
  let entry = entries.get(key)
  if (entry === undefined) entries.set(key, entry = { reached: false, failing: false, listeners: new Set(), users: 0 })
  const shared = entry
  shared.users++
  let released = false
  return {
    get reached() {
      return shared.reached
    },
    answered: (ok) => {
      shared.reached = true
      if (!ok) return
      const wasFailing = shared.failing
      shared.failing = false
      if (wasFailing) for (const listener of [...shared.listeners]) listener()
    },
    failed: () => {
      shared.failing = true
    },
    onAnswered: (listener) => {
      shared.listeners.add(listener)
      return () => shared.listeners.delete(listener)
    },
    release: () => {
      if (released) return
      released = true
      if (--shared.users === 0 && entries.get(key) === shared) entries.delete(key)
    }
  }
}
