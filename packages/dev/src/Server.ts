/**
 * The viewer's HTTP server on 127.0.0.1: the built viewer assets, a JSON API over the store, and
 * server-sent events (`GET /api/events`) that tell open tabs something arrived.
 *
 *   GET /api/stats                        Api.Stats
 *   GET /api/traces?service=&name=&minDurationMs=&errors=1&attribute=k%3Dv&traceId=&limit=
 *   GET /api/traces/:traceId              Api.TraceDetail
 *   GET /api/logs?q=&minSeverity=&traceId=&service=&limit=
 *   GET /api/metrics                      Api.MetricInfo[]
 *   GET /api/metrics/:name                Api.MetricDetail
 *   GET /api/events                       text/event-stream of `update` events (Api.Update)
 */
import { existsSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { LocalOrigin } from "@lingo-obs/otlp-receiver"
import type * as Api from "./Api.js"
import type { Store } from "./Store.js"

export interface ServerOptions {
  readonly store: Store
  /** 0 picks a free port. */
  readonly port: number
  readonly host?: "127.0.0.1"
  /** The built viewer; found next to this module (dist/ui) by default. */
  readonly assetsDir?: string
  /** Added to `/api/stats`: the file, the receiver's endpoints. */
  readonly info?: () => Record<string, unknown>
  /** How long updates are gathered before one event goes out (default 25 ms). */
  readonly eventDelayMs?: number
  /** Host names answered besides loopback (see `LocalOrigin`): every other `Host` gets 403. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Ends the 403 message, e.g. the flag that allows another name. */
  readonly allowedHostsHint?: string
  /** A client must send a whole request within this time (default 30 s), or its connection is cut. */
  readonly requestTimeoutMs?: number
}

export interface Server {
  readonly port: number
  /** `http://127.0.0.1:<port>/` */
  readonly url: string
  close(): Promise<void>
}

class BadRequest extends Error {}

/** A path segment decoded, or 400: `GET /%` is a request like any other, not an exception. */
const decodePath = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new BadRequest("the path is not valid percent-encoding")
  }
}

/** A client must send a whole request within this time, or its connection is cut. */
const REQUEST_TIMEOUT_MS = 30_000

const HOST = "127.0.0.1"
const HEARTBEAT_MS = 15_000
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon"
}

/** dist/ui beside the built module; from the sources (tests), the package's dist/ui. */
export const defaultAssetsDir = (): string => {
  const candidates = [fileURLToPath(new URL("./ui/", import.meta.url)), fileURLToPath(new URL("../dist/ui/", import.meta.url))]
  return candidates.find((dir) => existsSync(join(dir, "index.html"))) ?? candidates[0]!
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>lingo-obs dev</title>
<p>The viewer is not built. Run <code>pnpm --filter @lingo-obs/dev build</code>; the API under /api works meanwhile.</p>`

const numberParam = (params: URLSearchParams, name: string): number | undefined => {
  const raw = params.get(name)
  if (raw === null || raw === "") return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new BadRequest(`${name}: expected a non-negative number, got "${raw}"`)
  return value
}

const textParam = (params: URLSearchParams, name: string): string | undefined => {
  const value = params.get(name)?.trim()
  return value === undefined || value === "" ? undefined : value
}

const sendJson = (response: ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
  response.end(JSON.stringify(body))
}

/** Starts the server and resolves once it listens. */
export const start = async (options: ServerOptions): Promise<Server> => {
  const { store } = options
  const assetsDir = resolve(options.assetsDir ?? defaultAssetsDir())
  const clients = new Set<ServerResponse>()

  // Updates are gathered for a moment so a burst of exports becomes one event per tab.
  let pending: { seq: number; spans: number; logs: number; metricPoints: number; traceIds: Set<string> } | undefined
  let timer: NodeJS.Timeout | undefined
  const sendPending = () => {
    timer = undefined
    if (pending === undefined) return
    const update: Api.Update = { ...pending, traceIds: [...pending.traceIds].slice(-100) }
    pending = undefined
    const frame = `event: update\ndata: ${JSON.stringify(update)}\n\n`
    for (const client of clients) client.write(frame)
  }
  const unsubscribe = store.subscribe((update) => {
    if (clients.size === 0) return
    pending ??= { seq: 0, spans: 0, logs: 0, metricPoints: 0, traceIds: new Set() }
    pending.seq = update.seq
    pending.spans += update.spans
    pending.logs += update.logs
    pending.metricPoints += update.metricPoints
    for (const id of update.traceIds) pending.traceIds.add(id)
    timer ??= setTimeout(sendPending, options.eventDelayMs ?? 25)
  })
  const heartbeat = setInterval(() => {
    for (const client of clients) client.write(": keep-alive\n\n")
  }, HEARTBEAT_MS)
  heartbeat.unref()

  const api = (path: string, params: URLSearchParams, request: IncomingMessage, response: ServerResponse): void => {
    if (path === "/api/stats") return sendJson(response, 200, { ...store.stats(), ...options.info?.() })
    if (path === "/api/traces") {
      const filter = {
        service: textParam(params, "service"),
        name: textParam(params, "name"),
        minDurationMs: numberParam(params, "minDurationMs"),
        errorsOnly: params.get("errors") === "1" || params.get("errors") === "true",
        attribute: textParam(params, "attribute"),
        traceId: textParam(params, "traceId")
      }
      return sendJson(response, 200, store.traces(filter, numberParam(params, "limit") ?? 200))
    }
    if (path.startsWith("/api/traces/")) {
      const detail = store.trace(decodePath(path.slice("/api/traces/".length)))
      return detail === undefined
        ? sendJson(response, 404, { error: "no such trace in the store (never received, or evicted)" })
        : sendJson(response, 200, detail)
    }
    if (path === "/api/logs") {
      const filter = {
        query: textParam(params, "q"),
        minSeverity: numberParam(params, "minSeverity"),
        traceId: textParam(params, "traceId"),
        service: textParam(params, "service")
      }
      return sendJson(response, 200, store.logs(filter, numberParam(params, "limit") ?? 500))
    }
    if (path === "/api/metrics") return sendJson(response, 200, store.metrics())
    if (path.startsWith("/api/metrics/")) {
      const detail = store.metric(decodePath(path.slice("/api/metrics/".length)))
      return detail === undefined ? sendJson(response, 404, { error: "no such metric in the store" }) : sendJson(response, 200, detail)
    }
    if (path === "/api/events") {
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" })
      response.write(`event: hello\ndata: ${JSON.stringify({ seq: store.lastSeq })}\n\n`)
      clients.add(response)
      request.once("close", () => clients.delete(response))
      return
    }
    sendJson(response, 404, { error: `no API route ${path}` })
  }

  const asset = async (path: string, response: ServerResponse): Promise<void> => {
    const relative = path === "/" ? "index.html" : decodePath(path.slice(1))
    const file = resolve(assetsDir, relative)
    if (file !== assetsDir && !file.startsWith(assetsDir + sep)) return sendJson(response, 404, { error: "not found" })
    try {
      const body = await readFile(file)
      const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream"
      response.writeHead(200, { "content-type": type, "cache-control": "no-cache" })
      response.end(body)
    } catch {
      if (relative === "index.html") {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" })
        response.end(NOT_BUILT)
      } else {
        sendJson(response, 404, { error: "not found" })
      }
    }
  }

  const allowed = LocalOrigin.allowedHosts(options.allowedHosts)
  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refused = LocalOrigin.refusal(request.headers, allowed, options.allowedHostsHint)
    if (refused !== undefined) return sendJson(response, 403, { error: refused })
    if (request.method !== "GET" && request.method !== "HEAD") return sendJson(response, 405, { error: "GET only" })
    const url = new URL(request.url ?? "/", `http://${HOST}`)
    if (url.pathname.startsWith("/api/")) return api(url.pathname, url.searchParams, request, response)
    await asset(url.pathname, response)
  }

  // The one entry of every request: whatever fails inside ends as an answer, never as an exception.
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  const server: HttpServer = createServer(
    { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1_000, requestTimeout) },
    (request, response) => {
      serve(request, response).catch((error: unknown) => {
        if (response.headersSent) return void response.destroy()
        if (error instanceof BadRequest) return sendJson(response, 400, { error: error.message })
        sendJson(response, 500, { error: `the viewer's server failed: ${error instanceof Error ? error.message : String(error)}` })
      })
    }
  )

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject)
    server.listen(options.port, options.host ?? HOST, () => {
      server.off("error", reject)
      resolveListen()
    })
  })
  const port = (server.address() as AddressInfo).port

  return {
    port,
    url: `http://${HOST}:${port}/`,
    close: async () => {
      unsubscribe()
      clearInterval(heartbeat)
      clearTimeout(timer)
      for (const client of clients) client.end()
      clients.clear()
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
    }
  }
}
