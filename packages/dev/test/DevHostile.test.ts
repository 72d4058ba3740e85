/**
 * The built `lingo-obs dev` (packages/dev/dist/bin.js, as `npx lingo-obs-dev` runs it; run
 * `npx --yes pnpm@10 build` first) as a real child process on free ports, against what a hostile
 * web page or a careless client sends: every request gets a 4xx answer, the process stays up, no
 * Host but loopback (or an allowed name) gets a 2xx, memory stays bounded, and `--file` never
 * touches a file that is not its journal.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest"
import {
  chainRequest,
  emptySpansRequest,
  field,
  grpcRaw,
  GrpcStatus,
  gzipBomb,
  LOGS_EXPORT,
  malformedLogsRequest,
  nestedKvlist,
  spanFields,
  TRACE_ID,
  traceRequest,
  TRACES_EXPORT
} from "../../otlp-receiver/test/support/hostile.js"
import { ROOT, type Running, startBuilt } from "./support/processes.js"

const BIN = "packages/dev/dist/bin.js"
const READY = /viewer on (http:\/\/127\.0\.0\.1:\d+\/)/
const FREE_PORTS = ["--port", "0", "--grpc-port", "0", "--http-port", "0"]

interface Dev {
  readonly process: Running
  readonly viewerPort: number
  readonly grpcEndpoint: string
  readonly httpPort: number
}

const startDev = async (args: ReadonlyArray<string> = [], register?: (cleanup: () => Promise<void>) => void): Promise<Dev> => {
  if (!existsSync(join(ROOT, BIN))) throw new Error(`${BIN} is missing: run \`npx --yes pnpm@10 build\` first`)
  const running = await startBuilt(BIN, [...FREE_PORTS, ...args], READY, register)
  const endpoints = /gRPC (127\.0\.0\.1:\d+), HTTP http:\/\/127\.0\.0\.1:(\d+)/.exec(running.output())
  if (endpoints === null) throw new Error(`no OTLP endpoints in the output:\n${running.output()}`)
  return {
    process: running,
    viewerPort: Number(new URL(running.ready).port),
    grpcEndpoint: endpoints[1]!,
    httpPort: Number(endpoints[2])
  }
}

interface Answer {
  readonly status: number
  readonly body: string
}

/** One request with exactly these headers (Host included), answered or cut; SSE streams are read until their first event. */
const send = (port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (response) => {
      let text = ""
      response.on("data", (chunk: Buffer) => {
        text += chunk.toString()
        if (response.headers["content-type"] === "text/event-stream" && text.includes("\n\n")) {
          resolve({ status: response.statusCode!, body: text })
          req.destroy()
        }
      })
      response.on("end", () => resolve({ status: response.statusCode!, body: text }))
    })
    req.on("error", reject)
    req.end(body)
  })

const PROTOBUF = { "content-type": "application/x-protobuf" }

const alive = async (dev: Dev): Promise<void> => {
  expect(dev.process.child.exitCode).toBeNull()
  expect((await send(dev.viewerPort, "GET", "/api/stats")).status).toBe(200)
}

const stats = async (dev: Dev) => JSON.parse((await send(dev.viewerPort, "GET", "/api/stats")).body) as {
  held: { spans: number; traces: number; bytes: number }
  capacity: { bytes: number }
  evicted: { spans: number }
  received: { spans: number; logs: number }
}

/** Resident memory of a process, from /proc (Linux). */
const rssBytes = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return Number(match![1]) * 1024
}

const GiB = 1024 ** 3

describe("lingo-obs dev, built, against hostile input", () => {
  let dev: Dev
  const cleanups: Array<() => Promise<void>> = []
  beforeAll(async () => {
    dev = await startDev(["--allowed-host", "devbox.test"], (cleanup) => cleanups.push(cleanup))
  }, 90_000)
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  it("answers GET /% and other bad percent-encoding with 400 and keeps running", async () => {
    for (const path of ["/%", "/api/traces/%E0%A4%A", "/api/metrics/%", "/%%32%"]) {
      const answer = await send(dev.viewerPort, "GET", path)
      expect([path, answer.status]).toEqual([path, 400])
    }
    await alive(dev)
  })

  it("answers the 23-byte malformed logs request 400 (gRPC INVALID_ARGUMENT), stores nothing, keeps running", async () => {
    const body = malformedLogsRequest()
    expect(body.length).toBe(23)
    expect((await send(dev.httpPort, "POST", "/v1/logs", PROTOBUF, body)).status).toBe(400)
    expect((await grpcRaw(dev.grpcEndpoint, LOGS_EXPORT, body)).code).toBe(GrpcStatus.INVALID_ARGUMENT)
    await alive(dev)
    expect((await stats(dev)).received.logs).toBe(0)
  })

  it("answers a span attribute nested 2,000 deep 400 over HTTP and INVALID_ARGUMENT over gRPC", async () => {
    const deep = traceRequest(spanFields("deep", nestedKvlist(2_000), { traceId: "dddddddddddddddddddddddddddddddd" }))
    expect((await send(dev.httpPort, "POST", "/v1/traces", PROTOBUF, deep)).status).toBe(400)
    expect((await grpcRaw(dev.grpcEndpoint, TRACES_EXPORT, deep)).code).toBe(GrpcStatus.INVALID_ARGUMENT)
    await alive(dev)
    expect((await send(dev.viewerPort, "GET", "/api/traces/dddddddddddddddddddddddddddddddd")).status).toBe(404)
  })

  it("gives no 2xx to Host: attacker.example on the viewer, its API, its events or ingest; localhost and 127.0.0.1 work", async () => {
    const span = traceRequest(spanFields("rebound", field(1, "x"), { traceId: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }))
    const requests = (host: string) => [
      send(dev.viewerPort, "GET", "/", { host }),
      send(dev.viewerPort, "GET", "/api/stats", { host }),
      send(dev.viewerPort, "GET", "/api/traces", { host }),
      send(dev.viewerPort, "GET", "/api/events", { host }),
      send(dev.httpPort, "POST", "/v1/traces", { ...PROTOBUF, host }, span)
    ]
    for (const host of ["attacker.example", `attacker.example:${dev.viewerPort}`, "localhost.attacker.example"]) {
      for (const answer of await Promise.all(requests(host))) {
        expect([host, answer.status]).toEqual([host, 403])
        expect(answer.body).toContain("--allowed-host")
      }
    }
    expect((await stats(dev)).received.spans).toBe(0)
    for (const host of ["localhost", `localhost:${dev.viewerPort}`, "127.0.0.1", `[::1]:${dev.viewerPort}`, "devbox.test"]) {
      for (const answer of await Promise.all(requests(host))) expect([host, answer.status]).toEqual([host, 200])
    }
    expect((await stats(dev)).received.spans).toBe(5)
  })

  it("refuses a cross-origin browser POST to ingest and sends no CORS headers", async () => {
    const before = (await stats(dev)).received.spans
    const span = traceRequest(spanFields("cross-origin", field(1, "x"), { traceId: "cccccccccccccccccccccccccccccccc" }))
    for (const origin of ["https://attacker.example", "null", "http://localhost.attacker.example"]) {
      expect((await send(dev.httpPort, "POST", "/v1/traces", { ...PROTOBUF, origin }, span)).status).toBe(403)
    }
    expect((await stats(dev)).received.spans).toBe(before)
    const sameOrigin = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: dev.httpPort, method: "POST", path: "/v1/traces", headers: { ...PROTOBUF, origin: `http://localhost:${dev.viewerPort}` } }, (response) => {
        response.resume()
        resolve({ status: response.statusCode, ...response.headers })
      })
      req.on("error", reject)
      req.end(span)
    })
    expect(sameOrigin.status).toBe(200)
    expect(Object.keys(sameOrigin).filter((name) => name.startsWith("access-control-"))).toEqual([])
  })

  it("answers a 60 KiB gzip bomb 413 with RSS under 1 GiB, and the viewer keeps answering", async () => {
    const bomb = gzipBomb(60 * 1024 * 1024)
    expect(bomb.length).toBeLessThan(64 * 1024)
    const answer = await send(dev.httpPort, "POST", "/v1/traces", { ...PROTOBUF, "content-encoding": "gzip" }, bomb)
    expect(answer.status).toBe(413)
    // Millions of empty spans in a 4 KiB gzip body: refused by count before they are decoded.
    const emptySpans = gzipSync(emptySpansRequest(4 * 1024 * 1024 - 64))
    expect((await send(dev.httpPort, "POST", "/v1/traces", { ...PROTOBUF, "content-encoding": "gzip" }, emptySpans)).status).toBe(413)
    expect(rssBytes(dev.process.child.pid!)).toBeLessThan(GiB)
    await alive(dev)
  })

  it("serves a trace 10,000 spans deep: 200 from the API, not a stack overflow", async () => {
    expect((await send(dev.httpPort, "POST", "/v1/traces", PROTOBUF, chainRequest(10_000))).status).toBe(200)
    const detail = await send(dev.viewerPort, "GET", `/api/traces/${TRACE_ID}`)
    expect(detail.status).toBe(200)
    const rows = (JSON.parse(detail.body) as { rows: Array<{ depth: number }> }).rows
    expect([rows.length, rows[rows.length - 1]!.depth]).toEqual([10_000, 9_999])
    expect((await send(dev.viewerPort, "GET", "/api/traces")).status).toBe(200)
  })
})

describe("lingo-obs dev, built, bounded in memory", () => {
  it("keeps 3.5 MiB spans within --max-bytes, evicting the oldest traces, without crashing", async () => {
    // A small bound keeps the test short; the default (256 MiB) was checked with 3,000 such spans by hand.
    const dev = await startDev(["--max-bytes", "16MiB"])
    const payload = field(1, "x".repeat(3.5 * 1024 * 1024))
    const traceIdOf = (index: number) => index.toString(16).padStart(32, "0")
    const count = 40
    let maxRss = 0
    for (let index = 1; index <= count; index++) {
      const body = traceRequest(spanFields(`big ${index}`, payload, { traceId: traceIdOf(index) }))
      expect((await send(dev.httpPort, "POST", "/v1/traces", PROTOBUF, body)).status).toBe(200)
      if (index % 10 === 0) maxRss = Math.max(maxRss, rssBytes(dev.process.child.pid!))
    }
    const { held, evicted, capacity } = await stats(dev)
    expect(capacity.bytes).toBe(16 * 1024 * 1024)
    expect(held.bytes).toBeLessThanOrEqual(16 * 1024 * 1024)
    expect(held.spans).toBeGreaterThanOrEqual(3)
    expect(held.spans + evicted.spans).toBe(count)
    // The newest stayed, the oldest went.
    expect((await send(dev.viewerPort, "GET", `/api/traces/${traceIdOf(count)}`)).status).toBe(200)
    expect((await send(dev.viewerPort, "GET", `/api/traces/${traceIdOf(1)}`)).status).toBe(404)
    expect(maxRss).toBeLessThan(GiB)
    await alive(dev)
  }, 120_000)
})

describe("lingo-obs dev, built, --file", () => {
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "lingo-obs-dev-file-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    return dir
  }
  const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex")
  /** Runs the bin to its exit, as a start that must fail does. */
  const runToExit = (args: ReadonlyArray<string>) => {
    const result = spawnSync(process.execPath, [BIN, ...FREE_PORTS, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 })
    return { status: result.status, stderr: result.stderr, stdout: result.stdout }
  }

  it("refuses an existing file that is not a journal, leaving it byte for byte intact", () => {
    const notes = join(tempDir(), "notes.md")
    writeFileSync(notes, "# Notes\n\nDo not lose these.\n".repeat(100))
    const before = sha256(notes)
    const result = runToExit(["--file", notes])
    expect(result.status).toBe(1)
    expect(result.stderr.trim()).toBe(
      `lingo-obs dev: --file: ${notes} is not a lingo-obs journal (its first line is not {"lingo-obs-journal":1}) and was left untouched; give --file a new path or an existing journal`
    )
    expect(sha256(notes)).toBe(before)
  })

  it("refuses a symbolic link, leaving its target intact", () => {
    const dir = tempDir()
    const target = join(dir, "target.txt")
    writeFileSync(target, "keep me")
    symlinkSync(target, join(dir, "link.jsonl"))
    const result = runToExit(["--file", join(dir, "link.jsonl")])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("is a symbolic link; links are not followed")
    expect(readFileSync(target, "utf8")).toBe("keep me")
  })

  it("fails at start, in one line, for a path it cannot create", () => {
    const result = runToExit(["--file", join(tempDir(), "missing-directory", "telemetry.jsonl")])
    expect(result.status).toBe(1)
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^lingo-obs dev: --file: cannot create the journal .*: ENOENT/)])
  })

  it("creates a new journal with its header and reloads it on the next start", async () => {
    const file = join(tempDir(), "telemetry.jsonl")
    const first = await startDev(["--file", file])
    const span = traceRequest(spanFields("kept", field(1, "x"), { traceId: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" }))
    expect((await send(first.httpPort, "POST", "/v1/traces", PROTOBUF, span)).status).toBe(200)
    expect(await first.process.stop()).toBe(0)
    expect(readFileSync(file, "utf8").split("\n")[0]).toBe('{"lingo-obs-journal":1}')
    const second = await startDev(["--file", file])
    expect(second.process.output()).toContain("(1 item(s) reloaded)")
    expect((await send(second.viewerPort, "GET", "/api/traces/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")).status).toBe(200)
  })
})
