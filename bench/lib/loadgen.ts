/**
 * A small HTTP load generator, run as its own process: `connections` keep-alive sockets (one
 * `http.Agent`), each sending GET requests back to back for `durationMillis` after a warm-up;
 * reports requests per second, latency percentiles and errors. Written for these benchmarks
 * rather than installed, so that what is measured and how is visible in a page of code.
 */
import * as Http from "node:http"
import { event, exit, params, result } from "./protocol.js"
import { percentiles } from "./stats.js"

interface Params {
  readonly url: string
  readonly connections: number
  readonly warmupMillis: number
  readonly durationMillis: number
}

const p = params<Params>()
const agent = new Http.Agent({ keepAlive: true, maxSockets: p.connections, maxFreeSockets: p.connections })
const url = new URL(p.url)

const request = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = Http.request(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname, method: "GET" },
      (res) => {
        res.on("data", () => {})
        res.on("end", () => resolve(res.statusCode ?? 0))
        res.on("error", reject)
      }
    )
    req.on("error", reject)
    req.end()
  })

const main = async () => {
  let recording = false
  let stopped = false
  let latencies = new Float64Array(1 << 20)
  let count = 0
  let errors = 0
  let non2xx = 0
  const record = (millis: number) => {
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2)
      bigger.set(latencies)
      latencies = bigger
    }
    latencies[count++] = millis
  }
  const worker = async () => {
    while (!stopped) {
      const start = process.hrtime.bigint()
      try {
        const status = await request()
        if (recording) {
          record(Number(process.hrtime.bigint() - start) / 1e6)
          if (status < 200 || status >= 300) non2xx++
        }
      } catch {
        if (recording) errors++
      }
    }
  }
  const workers = Array.from({ length: p.connections }, worker)
  await new Promise((resolve) => setTimeout(resolve, p.warmupMillis))
  recording = true
  event("measuring")
  const start = process.hrtime.bigint()
  await new Promise((resolve) => setTimeout(resolve, p.durationMillis))
  recording = false
  event("measured")
  const elapsedSeconds = Number(process.hrtime.bigint() - start) / 1e9
  stopped = true
  await Promise.all(workers)
  agent.destroy()
  const latency = percentiles(latencies.subarray(0, count))
  result({ requests: count, requestsPerSecond: count / elapsedSeconds, errors, non2xx, latencyMillis: latency })
  exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  exit(1)
})
