/** The viewer's side of the dev server's JSON API and live events. */
import { createContext } from "preact"
import { useContext, useEffect, useRef, useState } from "preact/hooks"
import type * as Api from "../src/Api.js"

export type { Api }

/** An answer other than 2xx: the server's `error` text and the status, so views can tell 404 apart. */
export class HttpError extends Error {
  constructor(message: string, readonly status: number) {
    super(message)
  }
}

export const getJson = async <T>(path: string): Promise<T> => {
  const response = await fetch(path)
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string }
    throw new HttpError(body.error ?? `${path}: HTTP ${response.status}`, response.status)
  }
  return (await response.json()) as T
}

export const query = (params: Record<string, string | number | boolean | undefined>): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "" && value !== false) search.set(key, String(value))
  }
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

/** Bumped by every server-sent update; views that read it refetch. */
export const LiveContext = createContext<{ readonly version: number; readonly connected: boolean }>({
  version: 0,
  connected: false
})

export const useLiveSource = (): { version: number; connected: boolean } => {
  const [state, setState] = useState({ version: 0, connected: false })
  useEffect(() => {
    const source = new EventSource("/api/events")
    source.addEventListener("hello", () => setState((current) => ({ ...current, connected: true })))
    source.addEventListener("update", () => setState((current) => ({ version: current.version + 1, connected: true })))
    source.onerror = () => setState((current) => ({ ...current, connected: false }))
    return () => source.close()
  }, [])
  return state
}

/**
 * Fetches `path` now, whenever it changes, and on live updates when `live`; keeps the last good data
 * while a refetch runs, and never runs two fetches of the same view at once.
 */
export const useFetch = <T>(
  path: string | undefined,
  live = true
): { data: T | undefined; error: string | undefined; notFound: boolean } => {
  const { version } = useContext(LiveContext)
  const [state, setState] = useState<{ path?: string; data?: T; error?: string; notFound?: boolean }>({})
  const inFlight = useRef(false)
  const again = useRef(false)
  const latestPath = useRef(path)
  latestPath.current = path
  const load = () => {
    const wanted = latestPath.current
    if (wanted === undefined) return
    if (inFlight.current) {
      again.current = true
      return
    }
    inFlight.current = true
    getJson<T>(wanted)
      .then(
        (data) => setState({ path: wanted, data }),
        (error: unknown) =>
          setState({
            path: wanted,
            error: String(error instanceof Error ? error.message : error),
            notFound: error instanceof HttpError && error.status === 404
          })
      )
      .finally(() => {
        inFlight.current = false
        if (again.current) {
          again.current = false
          load()
        }
      })
  }
  useEffect(load, [path])
  useEffect(() => {
    if (live && version > 0) load()
  }, [version])
  const fresh = state.path === path
  return {
    data: fresh || state.data !== undefined ? state.data : undefined,
    error: fresh ? state.error : undefined,
    notFound: fresh && state.notFound === true
  }
}
